import type { DeviceTelemetry } from './device-telemetry';
import { MINUTE_MS } from './health.types';

/**
 * Two-phase success: an install the device reported FINISHED is only verified once the device, after its
 * reboot, reports the new version and stays healthy through a short soak (the seeds' rolling update:
 * `success_threshold: 3` healthy checks and `min_ready_seconds: 60`). A device that comes back on another
 * version (A/B fallback) failed, whatever its feedback said.
 */
export interface VerificationPolicy {
  minHealthySamples: number;
  soakMs: number;
  /** how long after FINISHED an old-version sample may still be the pre-reboot system */
  rebootGraceMs: number;
}

export const DEFAULT_VERIFICATION_POLICY: VerificationPolicy = { minHealthySamples: 3, soakMs: 60_000, rebootGraceMs: 5 * MINUTE_MS };

export type VerificationStatus = 'verified' | 'fallback' | 'pending';

export interface VerificationOutcome {
  status: VerificationStatus;
  reason: string;
  evidence: {
    deployedAt: number;
    targetVersion: string;
    runningVersion?: string;
    lastSampleAt?: number;
    newVersionSince?: number;
    healthySamples?: number;
    restartsSince?: number;
    downSamplesSince?: number;
    soakMs: number;
    minHealthySamples: number;
    versionLog: Array<[number, string]>;
  };
}

export function assessVerification(
  telemetry: DeviceTelemetry | undefined,
  deployedAt: number,
  targetVersion: string,
  policy: VerificationPolicy = DEFAULT_VERIFICATION_POLICY,
): VerificationOutcome {
  const evidence: VerificationOutcome['evidence'] = { deployedAt, targetVersion, soakMs: policy.soakMs, minHealthySamples: policy.minHealthySamples, versionLog: [] };
  if (!telemetry) return { status: 'pending', reason: 'no_telemetry', evidence };
  evidence.runningVersion = telemetry.runningVersion;
  evidence.lastSampleAt = telemetry.lastAt;
  evidence.versionLog = telemetry.versionLog.slice(-5);
  const ranTarget = telemetry.versionLog.some(([, v]) => v === targetVersion);
  if (telemetry.runningVersion !== undefined && telemetry.runningVersion !== targetVersion) {
    // Back on another version after the new one was up, or still not on it well after the reboot window.
    if (ranTarget) return { status: 'fallback', reason: 'switched_back_after_new_version', evidence };
    if (telemetry.lastAt - deployedAt > policy.rebootGraceMs) return { status: 'fallback', reason: 'old_version_after_reboot_window', evidence };
    return { status: 'pending', reason: 'awaiting_reboot', evidence };
  }
  if (telemetry.runningVersion !== targetVersion) return { status: 'pending', reason: 'version_not_reported', evidence };
  const since = telemetry.versionLog[telemetry.versionLog.length - 1][0];
  evidence.newVersionSince = since;
  let healthy = 0;
  let down = 0;
  for (const b of telemetry.buckets) {
    if (b.start + b.span <= since || b.version !== targetVersion) continue;
    healthy += b.samples - b.down;
    down += b.down;
  }
  const restarts = telemetry.restartLog.filter(([at]) => at > since).reduce((sum, [, n]) => sum + n, 0);
  Object.assign(evidence, { healthySamples: healthy, restartsSince: restarts, downSamplesSince: down });
  if (telemetry.lastAt < deployedAt) return { status: 'pending', reason: 'no_sample_since_install', evidence };
  if (down > 0 || restarts > 0 || telemetry.healthEndpoint === 'down') return { status: 'pending', reason: 'unhealthy_on_new_version', evidence };
  if (healthy < policy.minHealthySamples || telemetry.lastAt - since < policy.soakMs) return { status: 'pending', reason: 'soaking', evidence };
  return { status: 'verified', reason: 'healthy_on_new_version_after_soak', evidence };
}
