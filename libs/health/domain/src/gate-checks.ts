import { combineBaselines, type CohortBaseline } from './baseline';
import { bucketMean, bucketsIn, restartsIn, type DeviceTelemetry } from './device-telemetry';
import { summarizeWindow, windowMean, type FleetWindow } from './fleet-window';
import type { CheckSpec, CheckType, GateSpec } from './gate-config';
import { byDeviceType, type GateDevice } from './gate-device';
import { combineVerdicts, type MetricName, type TimeWindow, type Verdict } from './health.types';
import { mean, round6, selectPercentile, slope } from './stats';

/** What one check found, with every input needed to recompute it. */
export interface CheckResult {
  check: CheckType;
  verdict: Verdict;
  reason: string;
  window: TimeWindow;
  /** the limit the value was held against, in the value's unit, and how it was derived */
  threshold?: number;
  thresholdRule: string;
  value?: number;
  samples?: number;
  devices?: number;
  baseline?: Record<string, number | string | string[]>;
  /** per device type, for the checks evaluated per cohort */
  byDeviceType?: CheckResult[];
  deviceType?: string;
  details?: Record<string, number | string | string[]>;
}

export interface CheckContext {
  /** window summaries already computed in this evaluation (error rate and latency share theirs) */
  summaries?: Map<string, FleetWindow>;
  /** deployed devices by type, once per evaluation */
  byType?: Map<string, GateDevice[]>;
  at: number;
  spec: GateSpec;
  deployed: readonly GateDevice[];
  totalDevices: number;
  targetVersion?: string;
  baselines: readonly CohortBaseline[];
}

export function evaluateCheck(check: CheckSpec, ctx: CheckContext): CheckResult {
  const window = { from: ctx.at - check.windowMs, to: ctx.at };
  switch (check.type) {
    case 'error_rate':
    case 'latency_p95':
      return perDeviceType(check, window, ctx);
    case 'memory_trend':
      return memoryTrend(check, window, ctx);
    case 'application_health':
      return applicationHealth(check, window, ctx);
    case 'crash_count':
      return crashCount(check, window, ctx);
    case 'device_health':
      return deviceHealth(check, window, ctx);
    case 'fleet_coverage':
      return fleetCoverage(check, window, ctx);
  }
}

/** error_rate and latency_p95 are judged per device type: a bad build on one type must not hide in the mean. */
function perDeviceType(check: CheckSpec, window: TimeWindow, ctx: CheckContext): CheckResult {
  const parts = [...typesOf(ctx).entries()].map(([type, devices]) => metricForType(check, window, ctx, type, devices));
  const verdict = combineVerdicts(parts.map((p) => p.verdict));
  const worst = parts.find((p) => p.verdict === verdict);
  return {
    check: check.type,
    verdict,
    reason: parts.length === 0 ? 'no_deployed_devices' : (worst?.reason ?? 'ok'),
    window,
    thresholdRule: parts[0]?.thresholdRule ?? ruleOf(check, ctx),
    samples: parts.reduce((s, p) => s + (p.samples ?? 0), 0),
    devices: ctx.deployed.length,
    byDeviceType: parts,
  };
}

/**
 * Baseline-relative (the seeds' edge rule) when the cohorts have a baseline; the preset's absolute limit
 * (the service presets) when they have none. The planner sets `healthPreset: default` on every gated
 * rollout, so a preset cannot mean "override the baseline": it is what a fleet without history is held to.
 */
function ruleOf(check: CheckSpec, ctx: CheckContext, hasBaseline = true): string {
  if (!hasBaseline && ctx.spec.preset) return check.type === 'error_rate' ? `value <= preset ${ctx.spec.preset.name} max error rate (no baseline)` : `value <= preset ${ctx.spec.preset.name} max p95 latency ms (no baseline)`;
  return check.type === 'error_rate' ? `value <= baseline.mean + ${check.threshold} points` : `value <= baseline.p95 * (1 + ${check.threshold}%)`;
}

function metricForType(check: CheckSpec, window: TimeWindow, ctx: CheckContext, deviceType: string, devices: GateDevice[]): CheckResult {
  const metric: MetricName = check.type === 'error_rate' ? 'errorRate' : 'latencyP95Ms';
  const fleet = cachedSummary(ctx, `deployed|${deviceType}`, devices, window, ctx.targetVersion);
  const samples = fleet.metricSamples[metric];
  const base: CheckResult = { check: check.type, deviceType, verdict: 'INCONCLUSIVE', reason: 'too_few_samples', window, thresholdRule: '', samples, devices: devices.length };
  // Selection reorders the cached latency values in place, which leaves their multiset (and any percentile) as is.
  const value = metric === 'errorRate' ? windowMean(fleet, 'errorRate') : selectPercentile(fleet.values.latencyP95Ms, 95);
  if (value !== undefined && samples > 0) base.value = round6(value);
  const groups = new Set(devices.map((d) => d.groupId));
  const baseline = combineBaselines(
    ctx.baselines.filter((b) => b.cohort.deviceType === deviceType && groups.has(b.cohort.groupId) && b.cohort.version !== ctx.targetVersion),
    metric,
  );
  base.thresholdRule = ruleOf(check, ctx, baseline !== undefined);
  if (baseline) base.baseline = { mean: baseline.mean, p95: baseline.p95, stddev: baseline.stddev, buckets: baseline.buckets, samples: baseline.samples, cohorts: baseline.cohorts, combination: 'bucket-weighted' };
  const threshold = thresholdFor(check, ctx, baseline);
  if (threshold !== undefined) base.threshold = round6(threshold);
  if (samples < ctx.spec.minSamples || value === undefined) return { ...base, details: { minSamples: ctx.spec.minSamples } };
  if (threshold === undefined) return { ...base, reason: 'no_baseline' };
  const pass = round6(value) <= round6(threshold);
  return { ...base, verdict: pass ? 'PASS' : 'FAIL', reason: pass ? 'within_threshold' : `${check.type}_above_threshold` };
}

/** Error rate and latency of one device set over one window, summarised once per evaluation. */
export function cachedSummary(ctx: Pick<CheckContext, 'summaries'>, key: string, devices: readonly GateDevice[], window: TimeWindow, version: string | undefined): FleetWindow {
  const id = `${key}|${window.from}|${window.to}|${version ?? ''}`;
  const cached = ctx.summaries?.get(id);
  if (cached) return cached;
  const summary = summarizeWindow(devices.map((d) => d.telemetry), window, { version }, ['errorRate', 'latencyP95Ms'], ['latencyP95Ms']);
  ctx.summaries?.set(id, summary);
  return summary;
}

function thresholdFor(check: CheckSpec, ctx: CheckContext, baseline: { mean: number; p95: number } | undefined): number | undefined {
  if (!baseline) return ctx.spec.preset ? (check.type === 'error_rate' ? ctx.spec.preset.maxErrorRate : ctx.spec.preset.maxLatencyMs) : undefined;
  return check.type === 'error_rate' ? baseline.mean + check.threshold / 100 : baseline.p95 * (1 + check.threshold / 100);
}

/** Percent growth per 10 minutes of one device's memory over the window (least squares over bucket means). */
export function memoryGrowthPer10Min(device: DeviceTelemetry | undefined, window: TimeWindow, version?: string): number | undefined {
  if (!device) return undefined;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of bucketsIn(device, window)) {
    if (version !== undefined && b.version !== version) continue;
    const m = bucketMean(b, 'memoryMb');
    if (m) {
      xs.push(b.start);
      ys.push(m.value);
    }
  }
  if (xs.length < 3) return undefined;
  const level = mean(ys);
  if (level <= 0) return 0;
  return (slope(xs, ys) * 600_000 * 100) / level;
}

function memoryTrend(check: CheckSpec, window: TimeWindow, ctx: CheckContext): CheckResult {
  const growths = ctx.deployed.map((d) => memoryGrowthPer10Min(d.telemetry, window, ctx.targetVersion)).filter((g): g is number => g !== undefined);
  const base: CheckResult = { check: 'memory_trend', verdict: 'INCONCLUSIVE', reason: 'too_few_samples', window, threshold: check.threshold, thresholdRule: 'mean device growth < threshold % per 10 min', devices: growths.length };
  if (growths.length === 0) return { ...base, details: { minBucketsPerDevice: 3 } };
  const value = round6(mean(growths));
  const pass = value < check.threshold;
  return { ...base, value, verdict: pass ? 'PASS' : 'FAIL', reason: pass ? 'memory_stable' : 'memory_growing', details: { maxGrowth: round6(Math.max(...growths)) } };
}

type DeviceCondition = 'healthy' | 'silent' | 'awaiting_new_version' | 'endpoint_down' | 'wrong_version' | 'restarting' | 'fell_back' | 'install_failed';

/**
 * One device's condition over a window: reporting, endpoint up, running the target version, no restarts.
 * A device whose install finished but that has not reported the new version yet (it reports FINISHED before
 * its reboot) is awaiting it, not wrong: only one that ran it and switched away is wrong_version. One that
 * never comes up on it is a fallback once the verification's reboot window is over (device-verification).
 */
export function deviceCondition(device: GateDevice, window: TimeWindow, targetVersion: string | undefined): DeviceCondition {
  if (device.fallback) return 'fell_back';
  if (device.failed) return 'install_failed';
  const t = device.telemetry;
  if (!t || t.lastAt < window.from) return 'silent';
  if (t.healthEndpoint === 'down') return 'endpoint_down';
  if (targetVersion !== undefined && t.runningVersion !== undefined && t.runningVersion !== targetVersion) {
    return ranVersionSince(t, targetVersion, device.deployedAt) ? 'wrong_version' : 'awaiting_new_version';
  }
  if (restartsIn(t, window) > 0) return 'restarting';
  return 'healthy';
}

function conditions(ctx: CheckContext, window: TimeWindow): Record<DeviceCondition, number> {
  const counts: Record<DeviceCondition, number> = { healthy: 0, silent: 0, awaiting_new_version: 0, endpoint_down: 0, wrong_version: 0, restarting: 0, fell_back: 0, install_failed: 0 };
  for (const d of ctx.deployed) counts[deviceCondition(d, window, ctx.targetVersion)] += 1;
  return counts;
}

/**
 * The devices whose health says something about the build: a failed install never ran it (the group's error
 * condition and the wave-failure trigger count those), one still rebooting into it does not run it yet; a
 * fallback ran it and did not hold (that counts here).
 */
function runningTheBuild(ctx: CheckContext, counts: Record<DeviceCondition, number>): number {
  return ctx.deployed.length - counts.install_failed - counts.awaiting_new_version;
}

/** At most this share of the devices judged may be silent before a check (or a canary phase) says nothing (INCONCLUSIVE). */
export const MAX_SILENT_SHARE = 0.2;

function applicationHealth(check: CheckSpec, window: TimeWindow, ctx: CheckContext): CheckResult {
  const counts = conditions(ctx, window);
  const judged = runningTheBuild(ctx, counts);
  const unhealthy = judged - counts.healthy - counts.silent;
  const base: CheckResult = { check: 'application_health', verdict: 'PASS', reason: 'all_healthy', window, threshold: 100, thresholdRule: 'every reporting device running the new build healthy, at most a fifth silent (failed installs are the error condition\'s)', devices: judged, value: percent(counts.healthy, judged - counts.silent), details: counts };
  if (judged === 0 && counts.awaiting_new_version === 0) return { ...base, verdict: 'INCONCLUSIVE', reason: 'no_deployed_devices' };
  if (unhealthy > 0) return { ...base, verdict: 'FAIL', reason: 'unhealthy_devices' };
  // As the canary's phases: a device that went quiet must not hold the gate forever (the fleet's
  // skip_and_queue), so the others are judged as long as at most a fifth of the devices are silent.
  if (counts.silent > judged * MAX_SILENT_SHARE) return { ...base, verdict: 'INCONCLUSIVE', reason: 'silent_devices' };
  if (counts.awaiting_new_version > 0) return { ...base, verdict: 'INCONCLUSIVE', reason: 'devices_awaiting_new_version' };
  return counts.silent > 0 ? { ...base, reason: 'all_reporting_healthy' } : base;
}

function deviceHealth(check: CheckSpec, window: TimeWindow, ctx: CheckContext): CheckResult {
  const counts = conditions(ctx, window);
  const judged = runningTheBuild(ctx, counts);
  const value = percent(counts.healthy, judged);
  const base: CheckResult = { check: 'device_health', verdict: 'PASS', reason: 'enough_healthy', window, threshold: check.threshold, thresholdRule: 'healthy % of devices running the new build >= threshold (silent devices are not healthy)', devices: judged, value, details: counts };
  if (judged === 0 || counts.silent === judged) return { ...base, verdict: 'INCONCLUSIVE', reason: judged === 0 ? 'no_deployed_devices' : 'silent_devices' };
  return value >= check.threshold ? base : { ...base, verdict: 'FAIL', reason: 'too_few_healthy' };
}

/**
 * Restarts come from the devices' restart logs (any version: a crash right after the switch counts); the
 * sample minimum is over the new version's samples, from the same per-type summaries error rate uses.
 */
function crashCount(check: CheckSpec, window: TimeWindow, ctx: CheckContext): CheckResult {
  let samples = 0;
  let restarts = 0;
  let reporting = 0;
  for (const [type, devices] of typesOf(ctx)) {
    const fleet = cachedSummary(ctx, `deployed|${type}`, devices, window, ctx.targetVersion);
    samples += fleet.samples;
    reporting += fleet.reportingDevices;
  }
  for (const d of ctx.deployed) if (d.telemetry && d.telemetry.restartLog.length > 0) restarts += restartsIn(d.telemetry, window);
  const base: CheckResult = { check: 'crash_count', verdict: 'PASS', reason: 'within_threshold', window, threshold: check.threshold, thresholdRule: 'restarts in window <= threshold', value: restarts, samples, devices: reporting };
  if (restarts > check.threshold) return { ...base, verdict: 'FAIL', reason: 'crashes_above_threshold' };
  if (samples < ctx.spec.minSamples) return { ...base, verdict: 'INCONCLUSIVE', reason: 'too_few_samples', details: { minSamples: ctx.spec.minSamples } };
  return base;
}

/** Deployed devices by type, grouped once per evaluation. */
export function typesOf(ctx: Pick<CheckContext, 'deployed' | 'byType'>): Map<string, GateDevice[]> {
  if (ctx.byType) return ctx.byType;
  const grouped = byDeviceType(ctx.deployed);
  if ('byType' in ctx) ctx.byType = grouped;
  return grouped;
}

/**
 * Coverage is a count, not a health signal: below the threshold it fails only when it can no longer be
 * reached (too many failed); while devices are still installing or queued it is INCONCLUSIVE (ask again).
 */
function fleetCoverage(check: CheckSpec, window: TimeWindow, ctx: CheckContext): CheckResult {
  const deployed = ctx.deployed.filter((d) => d.deployedAt !== undefined && !d.failed).length;
  const failed = ctx.deployed.filter((d) => d.failed).length;
  const pending = Math.max(0, ctx.totalDevices - deployed - failed);
  const value = ctx.totalDevices === 0 ? 100 : percent(deployed, ctx.totalDevices);
  const reachable = ctx.totalDevices === 0 || percent(deployed + pending, ctx.totalDevices) >= check.threshold;
  const base: CheckResult = { check: 'fleet_coverage', verdict: 'PASS', reason: 'coverage_reached', window, threshold: check.threshold, thresholdRule: 'deployed % of rollout >= threshold', value, devices: deployed, details: { total: ctx.totalDevices, failed, pending } };
  if (value >= check.threshold) return base;
  return reachable ? { ...base, verdict: 'INCONCLUSIVE', reason: 'devices_still_pending' } : { ...base, verdict: 'FAIL', reason: 'coverage_below_threshold' };
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : round6((part * 100) / whole);
}

function ranVersionSince(t: DeviceTelemetry, version: string, since: number | undefined): boolean {
  return t.versionLog.some(([at, v]) => v === version && (since === undefined || at >= since));
}
