import { between, chance, draw, type RandomState } from '../profiles/device-random';
import type { DeviceProfile } from '../profiles/device-profile';
import type { FeedbackStep, Handling } from '../ddi/ddi-types';

export interface Instructions {
  download: Handling;
  update: Handling;
  maintenanceWindow?: 'available' | 'unavailable';
}

/**
 * What a device will do with one deployment, decided up front from its profile (for the build being
 * installed) and its own random state. Everything random is drawn here, in a fixed order, so a device's
 * behaviour depends on the seed alone, not on how the network interleaves it with other devices.
 */
export interface DeploymentPlan {
  download: boolean;
  /** cut the transfer once this share of the bytes arrived, then resume with Range; absent = no interruption */
  interruptAt?: number;
  /** the download fails for good (after any real transfer problems, which are handled separately) */
  downloadFails: boolean;
  /** `now`; `window`: download now, install when the maintenance window opens; `never`: download only */
  install: 'now' | 'window' | 'never';
  installSucceeds: boolean;
  installMs: number;
  installSteps: number;
  /** after a successful install the application crash-loops (a bad build) */
  crashLoop: boolean;
}

export function planDeployment(instructions: Instructions, profile: DeviceProfile, random: RandomState): DeploymentPlan {
  const interrupted = chance(random, profile.interruptedDownloadProbability);
  const interruptShare = 0.1 + draw(random) * 0.8;
  const downloadFails = chance(random, profile.downloadFailureProbability);
  const installSucceeds = chance(random, profile.installSuccessProbability);
  const installMs = Math.round(between(random, profile.installDurationMs));
  const crashLoop = chance(random, profile.crashLoopProbability);
  const download = instructions.download !== 'skip';
  const install = instructions.update === 'skip' ? 'never' : instructions.maintenanceWindow === 'unavailable' ? 'window' : 'now';
  return {
    download,
    ...(download && interrupted ? { interruptAt: interruptShare } : {}),
    downloadFails: download && downloadFails,
    install,
    installSucceeds,
    installMs,
    installSteps: profile.installSteps,
    crashLoop: install !== 'never' && installSucceeds && crashLoop,
  };
}

/** The feedback sent when the transfer starts. */
export function downloadStarted(fileCount: number): FeedbackStep {
  return { execution: 'download', finished: 'none', details: [`Downloading ${fileCount} artifact(s)`] };
}

/** `downloaded` on success; a failed download closes the action with failure and the reason. */
export function downloadFinished(outcome: { ok: true; bytes: number } | { ok: false; reason: string }): FeedbackStep {
  if (outcome.ok) return { execution: 'downloaded', finished: 'none', details: [`Downloaded ${outcome.bytes} bytes, checksums verified`] };
  return { execution: 'closed', finished: 'failure', code: 1, details: [`Download failed: ${outcome.reason}`] };
}

export function waitingForWindow(): FeedbackStep {
  return { execution: 'scheduled', finished: 'none', details: ['Waiting for the maintenance window'] };
}

/** One `proceeding` message per step with `cnt/of` progress. */
export function installProgress(step: number, of: number): FeedbackStep {
  return { execution: 'proceeding', finished: 'none', progress: { cnt: step, of }, details: [`Installing: step ${step} of ${of}`] };
}

export function installFinished(succeeded: boolean, version: string): FeedbackStep {
  return succeeded
    ? { execution: 'closed', finished: 'success', code: 0, details: [`Installed ${version}`] }
    : { execution: 'closed', finished: 'failure', code: 2, details: [`Installation of ${version} failed: post-install check did not pass`] };
}

/** Nothing to download and nothing to install: the action is done at once. */
export function nothingToDo(): FeedbackStep {
  return { execution: 'closed', finished: 'success', code: 0, details: ['Nothing to download or install'] };
}

export function cancelAccepted(): FeedbackStep {
  return { execution: 'canceled', finished: 'success', details: ['Canceled before installation'] };
}

export function cancelRejected(reason: string): FeedbackStep {
  return { execution: 'rejected', finished: 'none', details: [reason] };
}

/**
 * The whole deployment conversation for a plan whose transfer succeeds, window included when it opens:
 * what the runner sends, in order, when nothing (cancel, 410, stop) interrupts it.
 */
export function deploymentFeedback(plan: DeploymentPlan, version: string, bytes: number, fileCount: number): FeedbackStep[] {
  const steps: FeedbackStep[] = [];
  if (plan.download) {
    steps.push(downloadStarted(fileCount));
    if (plan.downloadFails) {
      steps.push(downloadFinished({ ok: false, reason: 'simulated storage error' }));
      return steps;
    }
    steps.push(downloadFinished({ ok: true, bytes }));
  }
  if (plan.install === 'never') {
    if (!plan.download) steps.push(nothingToDo());
    return steps;
  }
  if (plan.install === 'window') steps.push(waitingForWindow());
  for (let step = 1; step <= plan.installSteps; step++) steps.push(installProgress(step, plan.installSteps));
  steps.push(installFinished(plan.installSucceeds, version));
  return steps;
}
