import { actionIdOfLink, feedbackBody, versionOfDeployment, type CancelAnswer, type DdiArtifact, type DeploymentBaseAnswer, type FeedbackStep } from '../ddi/ddi-types';
import { cancelAccepted, cancelRejected, downloadFinished, downloadStarted, installFinished, installProgress, nothingToDo, planDeployment, waitingForWindow } from '../deployment/deployment-plan';
import { downloadArtifact } from '../download/artifact-download';
import { chance } from '../profiles/device-random';
import { alreadySettled, decisionRandom, json, postWithRetry, send, type DeploymentJob, type FleetContext, type PostResult, type SimDevice } from './device-session';

/**
 * The device side of one action: read deploymentBase, plan it from the profile of the build being installed,
 * then download (Range, resume, checksums), wait for the maintenance window, install with progress, and report
 * every step as DDI feedback. Runs beside the device's polling, which keeps looking for cancellations.
 */
export async function startDeployment(context: FleetContext, device: SimDevice, href: string): Promise<void> {
  const answer = await send(context, device, href);
  if (!answer || answer.status !== 200) return;
  const base = json<DeploymentBaseAnswer>(context, answer);
  if (!base?.deployment || !Array.isArray(base.deployment.chunks)) {
    if (base) context.counters.malformedAnswers++;
    return;
  }
  const actionId = String(base.id ?? actionIdOfLink(href));
  // Another poll may have started it while this one waited for its answer.
  if (device.job?.actionId === actionId || alreadySettled(device, actionId, href)) return;
  const version = versionOfDeployment(base.deployment.chunks);
  const profile = context.profiles.profileFor(device.spec.deviceType, device.spec.region, version);
  const plan = planDeployment(base.deployment, profile, decisionRandom(context.seed, device.spec.controllerId, 'deployment', luckOf(device, actionId)));
  const job: DeploymentJob = { actionId, version, plan, phase: 'downloading', abort: new AbortController(), canceled: false, href };
  device.job = job;
  await runDeployment(context, device, job, base.deployment.chunks.flatMap((chunk) => chunk.artifacts ?? []));
}

async function runDeployment(context: FleetContext, device: SimDevice, job: DeploymentJob, artifacts: DdiArtifact[]): Promise<void> {
  const { plan } = job;
  if (plan.download) {
    context.setStatus(device, 'downloading');
    if (!(await report(context, device, job, downloadStarted(artifacts.length)))) return;
    const transfer = await downloadAll(context, device, job, artifacts);
    if (job.canceled || context.stopped) return;
    if (!transfer.ok || plan.downloadFails) {
      const reason = !transfer.ok ? transfer.reason : 'simulated storage error';
      if (await report(context, device, job, downloadFinished({ ok: false, reason }))) finish(context, device, job, 'failed', 'failure');
      return;
    }
    if (!(await report(context, device, job, downloadFinished({ ok: true, bytes: transfer.bytes })))) return;
    job.phase = 'downloaded';
    context.setStatus(device, 'downloaded');
  }
  if (plan.install === 'never') {
    if (!plan.download && !(await report(context, device, job, nothingToDo()))) return;
    finish(context, device, job, 'downloaded', plan.download ? 'downloaded' : 'success');
    return;
  }
  if (plan.install === 'window') {
    if (!(await report(context, device, job, waitingForWindow()))) return;
    job.phase = 'waiting-window';
    context.setStatus(device, 'waiting-window');
    return;
  }
  await install(context, device, job);
}

/** Called by the poll loop while a job waits: installs once deploymentBase says the window is open. */
export async function recheckWindow(context: FleetContext, device: SimDevice, job: DeploymentJob): Promise<void> {
  const answer = await send(context, device, job.href);
  if (!answer || job.phase !== 'waiting-window') return;
  if (answer.status === 404 || answer.status === 410) {
    finish(context, device, job, 'idle', 'gone');
    return;
  }
  const base = answer.status === 200 ? json<DeploymentBaseAnswer>(context, answer) : undefined;
  if (!base?.deployment || base.deployment.maintenanceWindow === 'unavailable') return;
  await install(context, device, job);
}

async function install(context: FleetContext, device: SimDevice, job: DeploymentJob): Promise<void> {
  const { plan } = job;
  job.phase = 'installing';
  context.setStatus(device, 'installing');
  const stepMs = plan.installMs / plan.installSteps;
  for (let step = 1; step <= plan.installSteps; step++) {
    if (!(await context.scheduler.sleep(stepMs))) return;
    if (!(await report(context, device, job, installProgress(step, plan.installSteps)))) return;
  }
  if (!(await report(context, device, job, installFinished(plan.installSucceeds, job.version)))) return;
  if (!plan.installSucceeds) {
    finish(context, device, job, 'failed', 'failure');
    return;
  }
  device.previousVersion = device.version;
  context.setVersion(device, job.version);
  device.bootedAt = context.scheduler.clock.now();
  device.crashLooping = plan.crashLoop;
  device.restartsSinceBoot = 0;
  finish(context, device, job, 'updated', 'success');
}

async function downloadAll(context: FleetContext, device: SimDevice, job: DeploymentJob, artifacts: DdiArtifact[]): Promise<{ ok: true; bytes: number } | { ok: false; reason: string }> {
  let bytes = 0;
  for (const artifact of artifacts) {
    const href = artifact._links?.['download-http']?.href ?? artifact._links?.download?.href;
    if (!href) return { ok: false, reason: `no download link for ${artifact.filename}` };
    const url = new URL(href, context.gatewayOrigin);
    // The device's credentials go to the gateway only, never to a cache or store on another origin.
    const headers: Record<string, string> = url.origin === context.gatewayOrigin ? { authorization: device.authorization } : {};
    const interruptAtByte = job.plan.interruptAt !== undefined ? Math.floor(artifact.size * job.plan.interruptAt) : undefined;
    const outcome = await context.downloads.run((http) =>
      downloadArtifact(http, url.toString(), artifact, {
        headers,
        ...(interruptAtByte !== undefined && interruptAtByte > 0 ? { interruptAtByte } : {}),
        signal: job.abort.signal,
        onBytes: (count) => (context.counters.bytesDownloaded += count),
      }),
    );
    context.counters.downloadResumes += outcome.resumes;
    if (!outcome.ok) {
      if (outcome.checksum) context.counters.checksumFailures++;
      return { ok: false, reason: `${artifact.filename}: ${outcome.reason}` };
    }
    bytes += outcome.bytes;
  }
  return { ok: true, bytes };
}

/** Posts one feedback message; false when the job must stop (canceled, stopped, or the action is gone). */
async function report(context: FleetContext, device: SimDevice, job: DeploymentJob, step: FeedbackStep): Promise<boolean> {
  if (job.canceled || context.stopped) return false;
  const result: PostResult = await postWithRetry(context, device, `${device.base}/deploymentBase/${encodeURIComponent(job.actionId)}/feedback`, feedbackBody(job.actionId, step, Date.now()));
  if (result === 'ok') context.counters.feedbackSent++;
  if (job.canceled || context.stopped) return false;
  if (result === 'ok') return true;
  if (result === 'gone') context.counters.feedbackGone++;
  finish(context, device, job, device.status === 'downloading' || device.status === 'installing' ? 'idle' : device.status, result === 'gone' ? 'gone' : 'unreported');
  return false;
}

function finish(context: FleetContext, device: SimDevice, job: DeploymentJob, status: SimDevice['status'], outcome: Parameters<FleetContext['settle']>[2]): void {
  job.phase = 'done';
  if (device.job === job) device.job = undefined;
  device.settledActionId = job.actionId;
  device.settledHref = job.href;
  context.setStatus(device, status);
  context.settle(device, job.actionId, outcome, job.version);
}

/**
 * cancelAction: accepted (and the transfer aborted) unless the device is installing, or its profile makes it
 * refuse. The cancel id equals the stopId; feedback goes to `cancelAction/{id}/feedback`.
 */
export async function handleCancel(context: FleetContext, device: SimDevice, href: string): Promise<void> {
  const answer = await send(context, device, href);
  if (!answer || answer.status !== 200) return;
  const cancel = json<CancelAnswer>(context, answer);
  if (!cancel?.cancelAction) return;
  const cancelId = String(cancel.id ?? actionIdOfLink(href));
  const stopId = String(cancel.cancelAction.stopId ?? cancelId);
  const job = device.job?.actionId === stopId ? device.job : undefined;
  const profile = context.profiles.profileFor(device.spec.deviceType, device.spec.region, device.version);
  const refuses = chance(decisionRandom(context.seed, device.spec.controllerId, 'cancel', stopId), profile.cancelRejectProbability);
  const installing = job?.phase === 'installing';
  const accepted = !installing && !refuses;
  if (accepted && job) {
    job.canceled = true;
    job.abort.abort();
    job.phase = 'done';
    device.job = undefined;
  }
  const step = accepted ? cancelAccepted() : cancelRejected(installing ? 'Installation in progress, cannot cancel' : 'Device refused the cancellation');
  const result = await postWithRetry(context, device, `${device.base}/cancelAction/${encodeURIComponent(cancelId)}/feedback`, feedbackBody(cancelId, step, Date.now()));
  if (result === 'ok') context.counters.cancelFeedbackSent++;
  if (accepted) {
    device.settledActionId = stopId;
    device.settledHref = undefined;
    context.setStatus(device, 'canceled');
    context.settle(device, stopId, 'canceled', job?.version ?? device.version);
  } else {
    context.settle(device, stopId, 'cancel-rejected', job?.version ?? device.version);
  }
}

/** confirmationBase: the device's consent, decided per action from its profile. */
export async function handleConfirmation(context: FleetContext, device: SimDevice, href: string): Promise<void> {
  let actionId = actionIdOfLink(href);
  if (actionId === undefined) {
    const answer = await send(context, device, href);
    if (!answer || answer.status !== 200) return;
    const body = json<{ id?: string | number; _links?: { confirmationBase?: { href: string } } }>(context, answer);
    const linked = body?._links?.confirmationBase?.href;
    actionId = linked !== undefined ? actionIdOfLink(linked) : body?.id !== undefined ? String(body.id) : undefined;
  }
  if (actionId === undefined || device.confirmedActionId === actionId) return;
  device.confirmedActionId = actionId;
  const profile = context.profiles.profileFor(device.spec.deviceType, device.spec.region, device.version);
  const confirmed = chance(decisionRandom(context.seed, device.spec.controllerId, 'confirm', actionId), profile.confirmProbability);
  const body = { confirmation: confirmed ? 'confirmed' : 'denied', code: confirmed ? 0 : 3, details: [confirmed ? 'Operator consented on the device' : 'Operator denied the update on the device'] };
  const result = await postWithRetry(context, device, `${device.base}/confirmationBase/${encodeURIComponent(actionId)}/feedback`, body);
  if (result === 'ok') context.counters.confirmationsSent++;
  if (!confirmed) context.settle(device, actionId, 'denied', device.version);
}

/**
 * What the seed decides this run of the action by: its id on the first run (so tests can predict outcomes from
 * the seed alone), `<id>#<n>` when the server offers the same action again for its n-th attempt.
 */
function luckOf(device: SimDevice, actionId: string): string {
  device.actionRun = device.settledActionId === actionId ? (device.actionRun ?? 1) + 1 : 1;
  return device.actionRun === 1 ? actionId : `${actionId}#${device.actionRun}`;
}
