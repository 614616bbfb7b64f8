import { combineBaselines, type CohortBaseline, type MetricBaseline } from './baseline';
import { restartsIn, versionAt, type DeviceTelemetry } from './device-telemetry';
import { emptyMetricRecord, summarizeWindow } from './fleet-window';
import { MAX_SILENT_SHARE, memoryGrowthPer10Min } from './gate-checks';
import type { CanaryPhasesSpec, PresetLimits } from './gate-config';
import type { GateDevice } from './gate-device';
import type { MetricName, TimeWindow, Verdict } from './health.types';
import { mean, round6, selectPercentile, trendOf } from './stats';

export type PhaseName = 'immediate' | 'short_term' | 'soak';
export type PhaseStatus = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'IN_PROGRESS';

export interface PhaseCheck {
  name: string;
  verdict: Verdict;
  value?: number;
  threshold?: number;
  rule: string;
}

export interface PhaseResult {
  phase: PhaseName;
  /** offsets from each device's install */
  offsetsMs: [number, number];
  status: PhaseStatus;
  samples: number;
  devices: number;
  /** canary devices that reported fewer samples than a phase needs (offline, or silent); judged without them */
  silentDevices: number;
  checks: PhaseCheck[];
}

export interface CanaryResult {
  verdict: Verdict;
  reason: string;
  phases: PhaseResult[];
}

export interface CanaryLimits {
  errorRatePoints: number;
  latencyPercent: number;
  memoryGrowthPercent: number;
}

/** At most this share of the canary may be silent in a phase before the phase says nothing (INCONCLUSIVE). */
export { MAX_SILENT_SHARE };

interface PhaseData {
  complete: boolean;
  samples: number;
  /** samples each canary device reported in the phase */
  deviceSamples: number[];
  values: Record<MetricName, number[]>;
  /** CPU samples per cohort (`groupId|deviceType`): CPU differs by device type far more than by build */
  cpuByCohort: Map<string, number[]>;
  restarts: number;
  downSamples: number;
  /** devices that do not run the deployed version at the end of the phase (or fell back to another inside it) */
  foreignVersionDevices: number;
  growths: number[];
  maxTemperature?: number;
  /** devices with enough temperature buckets for a trend of their own, and how many of them rise */
  temperatureTrends: number;
  risingTemperatures: number;
}

/** Checks that compare a statistic of the phase's samples with a limit; see judgePhase. */
const STATISTICAL_CHECKS = new Set(['no_errors', 'error_rate', 'latency_p95', 'memory_stable', 'cpu_within_bounds', 'no_thermal_escalation']);

/** A device's own temperature needs this many buckets in a phase before its trend means anything. */
const MIN_TEMPERATURE_BUCKETS = 3;

/**
 * The seeds' canary evaluation: immediate (0-5 min: starts without crash, health endpoint up, reported
 * version matches, no errors beyond the baseline's usual range), short-term (5-30 min: error rate, p95
 * latency, memory stable, CPU in bounds, no restarts) and soak (30-60 min: the short-term metrics hold,
 * no memory leak, no thermal escalation). A failed immediate or short-term phase fails the canary; a
 * degrading soak is CAUTION (extend it); a phase still running is CAUTION too (ask again later).
 */
export function evaluateCanary(
  canary: readonly GateDevice[],
  at: number,
  spec: CanaryPhasesSpec,
  limits: CanaryLimits,
  baselines: readonly CohortBaseline[],
  targetVersion: string | undefined,
  preset?: PresetLimits,
): CanaryResult {
  const devices = canary.filter((d) => d.deployedAt !== undefined);
  const reference = referenceFor(devices, baselines, targetVersion);
  const bounds: Array<[PhaseName, number, number]> = [
    ['immediate', 0, spec.immediateEndMs],
    ['short_term', spec.immediateEndMs, spec.shortTermEndMs],
    ['soak', spec.shortTermEndMs, spec.soakEndMs],
  ];
  const phases = bounds.map(([phase, from, to]) => {
    const data = collect(devices, from, to, at, targetVersion, spec.minSamplesPerDevice);
    return judgePhase(phase, [from, to], data, devices.length, spec, limits, reference, preset);
  });
  return { ...canaryVerdict(phases, devices.length), phases };
}

/** The canary's verdict from its phases' statuses (also how an auditor recomputes it from the evidence). */
export function canaryVerdict(phases: readonly PhaseResult[], devices: number): { verdict: Verdict; reason: string } {
  if (devices === 0) return { verdict: 'INCONCLUSIVE', reason: 'no_deployed_canary_devices' };
  const [immediate, shortTerm, soak] = phases;
  if (immediate.status === 'FAIL') return { verdict: 'FAIL', reason: 'canary_immediate_failed' };
  if (shortTerm.status === 'FAIL') return { verdict: 'FAIL', reason: 'canary_short_term_failed' };
  if (phases.some((p) => p.status === 'INCONCLUSIVE')) return { verdict: 'INCONCLUSIVE', reason: 'canary_too_few_samples' };
  if (soak.status === 'FAIL') return { verdict: 'CAUTION', reason: 'canary_soak_degrading' };
  if (phases.some((p) => p.status === 'IN_PROGRESS')) return { verdict: 'CAUTION', reason: 'canary_phase_in_progress' };
  return { verdict: 'PASS', reason: 'canary_phases_passed' };
}

interface Reference {
  errorMean?: number;
  errorP95?: number;
  latencyP95?: number;
  /** each cohort's own CPU bound (`groupId|deviceType`, see cpuBoundOf) */
  cpuBoundByCohort: Map<string, number>;
}

const cohortKeyOf = (d: Pick<GateDevice, 'groupId' | 'deviceType'>) => `${d.groupId}|${d.deviceType}`;

function referenceFor(devices: readonly GateDevice[], baselines: readonly CohortBaseline[], targetVersion: string | undefined): Reference {
  const keys = new Set(devices.map(cohortKeyOf));
  const relevant = baselines.filter((b) => keys.has(cohortKeyOf(b.cohort)) && b.cohort.version !== targetVersion);
  const err = combineBaselines(relevant, 'errorRate');
  const cpuBoundByCohort = new Map<string, number>();
  for (const b of relevant) {
    const bound = cpuBoundOf(b.metrics.cpuPct);
    if (bound !== undefined) cpuBoundByCohort.set(cohortKeyOf(b.cohort), Math.max(bound, cpuBoundByCohort.get(cohortKeyOf(b.cohort)) ?? -Infinity));
  }
  return { errorMean: err?.mean, errorP95: err?.p95, latencyP95: combineBaselines(relevant, 'latencyP95Ms')?.p95, cpuBoundByCohort };
}

/** A cohort's CPU bound needs this many baseline samples: the p99 of fewer is just their largest. */
export const MIN_CPU_BASELINE_SAMPLES = 10;

/**
 * The CPU a cohort's devices stay under on the old build: its p99, and at least its mean plus three standard
 * deviations (a p99 of a few dozen samples is little more than their maximum). None from fewer than
 * MIN_CPU_BASELINE_SAMPLES samples: two sensor hubs' two samples (p99 9.9 %) failed a good build whose sensor
 * hubs averaged 9.99 %.
 */
function cpuBoundOf(cpu: MetricBaseline | undefined): number | undefined {
  if (!cpu || cpu.samples < MIN_CPU_BASELINE_SAMPLES) return undefined;
  return Math.max(cpu.p99, cpu.mean + 3 * cpu.stddev);
}

function collect(devices: readonly GateDevice[], from: number, to: number, at: number, targetVersion: string | undefined, minSamplesPerDevice: number): PhaseData {
  const data: PhaseData = {
    complete: true, samples: 0, deviceSamples: [], values: emptyMetricRecord(() => []), cpuByCohort: new Map(), restarts: 0, downSamples: 0,
    foreignVersionDevices: 0, growths: [], temperatureTrends: 0, risingTemperatures: 0,
  };
  for (const device of devices) {
    const start = (device.deployedAt as number) + from;
    const end = (device.deployedAt as number) + to;
    if (at < end) data.complete = false;
    let window: TimeWindow = { from: start, to: Math.min(end, at) };
    let deviceSamples = 0;
    if (device.telemetry && window.to > window.from) {
      let summary = summarizeWindow([device.telemetry], window);
      // A device that was away for (part of) its phase lives through it late: once the phase is over, it is
      // judged on its latest stretch of the phase's length. A fixed window would hold it silent forever, and
      // the canary INCONCLUSIVE with it; a device that reports too rarely stays silent either way.
      if (summary.samples < minSamplesPerDevice && at > end) {
        window = { from: at - (to - from), to: at };
        summary = summarizeWindow([device.telemetry], window);
      }
      deviceSamples = summary.samples;
      for (const metric of Object.keys(data.values) as MetricName[]) data.values[metric].push(...summary.values[metric]);
      const cohortCpu = data.cpuByCohort.get(cohortKeyOf(device)) ?? [];
      cohortCpu.push(...summary.values.cpuPct);
      data.cpuByCohort.set(cohortKeyOf(device), cohortCpu);
      data.restarts += restartsIn(device.telemetry, window);
      const temps: Array<[number, number]> = [];
      for (const b of device.telemetry.buckets) {
        if (b.start < window.from || b.start >= window.to) continue;
        data.downSamples += b.down;
        if (b.tempN > 0) {
          temps.push([b.start, b.tempSum / b.tempN]);
          data.maxTemperature = Math.max(data.maxTemperature ?? -Infinity, b.tempMax);
        }
      }
      // Each device against its own past: pooled, a hot camera reporting late would look like a rising fleet.
      if (temps.length >= MIN_TEMPERATURE_BUCKETS) {
        data.temperatureTrends += 1;
        if (trendOf(temps.map((t) => t[0]), temps.map((t) => t[1])) === 'increasing') data.risingTemperatures += 1;
      }
      if (deviceSamples > 0 && runsForeignVersion(device.telemetry, device.deployedAt as number, window, at >= end, targetVersion)) data.foreignVersionDevices += 1;
      const growth = memoryGrowthPer10Min(device.telemetry, window, targetVersion) ?? lateGrowth(device.telemetry, start, end, at, targetVersion);
      if (growth !== undefined) data.growths.push(growth);
    }
    data.samples += deviceSamples;
    data.deviceSamples.push(deviceSamples);
  }
  return data;
}

/**
 * A memory trend needs three buckets of the deployed version. A device that reports rarely (or late, behind a
 * busy network) may hold only two in a phase, and the phase would stay INCONCLUSIVE for good; once the phase is
 * over, such a device's trend is taken from the phase's start until now, which grows until it holds enough.
 */
function lateGrowth(t: DeviceTelemetry, phaseStart: number, phaseEnd: number, at: number, targetVersion: string | undefined): number | undefined {
  return at > phaseEnd ? memoryGrowthPer10Min(t, { from: phaseStart, to: at }, targetVersion) : undefined;
}

/**
 * A device reports its FINISHED before it reboots into the new build, so its first samples after the install
 * may still carry the old version. It runs a foreign version when, at the end of the phase, it does not run
 * the deployed one; before the phase ends only a device that already ran the deployed version and switched
 * away (a fallback) is judged, because the others may simply not have rebooted yet.
 */
function runsForeignVersion(t: DeviceTelemetry, deployedAt: number, window: TimeWindow, phaseOver: boolean, targetVersion: string | undefined): boolean {
  if (targetVersion === undefined) return false;
  const current = versionAt(t, window.to);
  if (current === undefined || current === targetVersion) return false;
  return phaseOver || t.versionLog.some(([since, version]) => version === targetVersion && since >= deployedAt && since <= window.to);
}

function judgePhase(
  phase: PhaseName,
  offsetsMs: [number, number],
  data: PhaseData,
  devices: number,
  spec: CanaryPhasesSpec,
  limits: CanaryLimits,
  ref: Reference,
  preset: PresetLimits | undefined,
): PhaseResult {
  const checks = phase === 'immediate' ? immediateChecks(data, ref, preset) : steadyChecks(phase, data, limits, ref, preset, spec);
  const silentDevices = data.deviceSamples.filter((n) => n < spec.minSamplesPerDevice).length;
  const result: PhaseResult = { phase, offsetsMs, status: 'PASS', samples: data.samples, devices, silentDevices, checks };
  // A crash, a dead health endpoint or a wrong version is a fact: seen once, the phase fails at once. A
  // statistical limit (a mean or percentile against the baseline) judged on the first few samples of a phase is
  // noise (two samples' mean CPU above the baseline's p99 failed a good build): it counts once every device
  // lived through the phase, as a pass does.
  if (checks.some((c) => c.verdict === 'FAIL' && (data.complete || !STATISTICAL_CHECKS.has(c.name)))) return { ...result, status: 'FAIL' };
  if (!data.complete) return { ...result, status: 'IN_PROGRESS' };
  // A device that goes offline must not hold the canary forever (the fleet's skip_and_queue): the phase is
  // judged on the devices that reported enough, as long as they are most of the canary.
  if (devices === 0 || silentDevices > devices * MAX_SILENT_SHARE || checks.some((c) => c.verdict === 'INCONCLUSIVE')) return { ...result, status: 'INCONCLUSIVE' };
  return result;
}

/**
 * CPU in bounds, per cohort: each device type's mean CPU against its own baseline's bound (cpuBoundOf), and the
 * check reports the cohort nearest its bound. One pooled mean against one pooled p99 (a bucket-weighted average
 * of the cohorts' p99s) failed good builds: a canary with a larger share of cameras (45 % CPU) than the
 * baseline's weighting averaged above a p99 that the edge gateways (25 %) and sensor hubs (10 %) pulled down. A
 * cohort without a CPU baseline of enough samples has no bound to hold; no cohort with one: no check.
 */
function cpuCheck(data: PhaseData, ref: Reference): PhaseCheck | undefined {
  let worst: { cohort: string; mean: number; bound: number } | undefined;
  for (const [cohort, values] of data.cpuByCohort) {
    const bound = ref.cpuBoundByCohort.get(cohort);
    if (bound === undefined || values.length === 0) continue;
    const cohortMean = round6(mean(values));
    if (!worst || cohortMean / bound > worst.mean / worst.bound) worst = { cohort, mean: cohortMean, bound };
  }
  if (!worst) return undefined;
  const deviceType = worst.cohort.slice(worst.cohort.indexOf('|') + 1);
  return limitCheck('cpu_within_bounds', worst.mean, worst.bound, `mean cpu of each device type <= its baseline's p99 and mean + 3 sd (nearest: ${deviceType})`);
}

function immediateChecks(data: PhaseData, ref: Reference, preset: PresetLimits | undefined): PhaseCheck[] {
  const errors = data.values.errorRate.length > 0 ? round6(mean(data.values.errorRate)) : undefined;
  // Baseline first, the preset only for a canary without history (see gate-checks, ruleOf).
  const errorLimit = ref.errorP95 ?? preset?.maxErrorRate;
  return [
    { name: 'no_crash', verdict: data.restarts === 0 ? 'PASS' : 'FAIL', value: data.restarts, threshold: 0, rule: 'restarts == 0' },
    { name: 'health_endpoint_up', verdict: data.downSamples === 0 ? 'PASS' : 'FAIL', value: data.downSamples, threshold: 0, rule: "no sample reports the health endpoint 'down'" },
    { name: 'version_matches', verdict: data.foreignVersionDevices === 0 ? 'PASS' : 'FAIL', value: data.foreignVersionDevices, threshold: 0, rule: 'every reporting device runs the deployed version by the end of the phase' },
    limitCheck('no_errors', errors, errorLimit, ref.errorP95 === undefined && preset ? 'error rate <= preset max (no baseline)' : 'error rate <= baseline error p95'),
  ];
}

function steadyChecks(phase: PhaseName, data: PhaseData, limits: CanaryLimits, ref: Reference, preset: PresetLimits | undefined, spec: CanaryPhasesSpec): PhaseCheck[] {
  const errors = data.values.errorRate.length > 0 ? round6(mean(data.values.errorRate)) : undefined;
  const latency = data.values.latencyP95Ms.length > 0 ? round6(selectPercentile(Float64Array.from(data.values.latencyP95Ms), 95) as number) : undefined;
  const errorLimit = ref.errorMean !== undefined ? ref.errorMean + limits.errorRatePoints / 100 : preset?.maxErrorRate;
  const latencyLimit = ref.latencyP95 !== undefined ? ref.latencyP95 * (1 + limits.latencyPercent / 100) : preset?.maxLatencyMs;
  const growth = data.growths.length > 0 ? round6(mean(data.growths)) : undefined;
  const checks: PhaseCheck[] = [
    limitCheck('error_rate', errors, errorLimit, ref.errorMean === undefined && preset ? 'error rate <= preset max (no baseline)' : `error rate <= baseline mean + ${limits.errorRatePoints} points`),
    limitCheck('latency_p95', latency, latencyLimit, ref.latencyP95 === undefined && preset ? 'p95 <= preset max (no baseline)' : `p95 <= baseline p95 * (1 + ${limits.latencyPercent}%)`),
    growth === undefined
      ? { name: 'memory_stable', verdict: 'INCONCLUSIVE', threshold: limits.memoryGrowthPercent, rule: `growth < ${limits.memoryGrowthPercent}% per 10 min` }
      : { name: 'memory_stable', verdict: growth < limits.memoryGrowthPercent ? 'PASS' : 'FAIL', value: growth, threshold: limits.memoryGrowthPercent, rule: `growth < ${limits.memoryGrowthPercent}% per 10 min` },
  ];
  if (phase === 'short_term') {
    checks.push({ name: 'no_restarts', verdict: data.restarts === 0 ? 'PASS' : 'FAIL', value: data.restarts, threshold: 0, rule: 'restarts == 0' });
    const cpu = cpuCheck(data, ref);
    if (cpu) checks.push(cpu);
  }
  if (phase === 'soak' && data.maxTemperature !== undefined) {
    // Escalation is the fleet's, not one noisy sensor's: the limit reached anywhere, or most devices rising.
    const escalating = data.maxTemperature >= spec.thermalLimitC || data.risingTemperatures * 2 > data.temperatureTrends;
    checks.push({
      name: 'no_thermal_escalation', verdict: escalating ? 'FAIL' : 'PASS', value: round6(data.maxTemperature), threshold: spec.thermalLimitC,
      rule: `max temperature < limit and not rising on most devices (${data.risingTemperatures} of ${data.temperatureTrends} rising)`,
    });
  }
  return checks;
}

function limitCheck(name: string, value: number | undefined, limit: number | undefined, rule: string): PhaseCheck {
  if (value === undefined || limit === undefined) return { name, verdict: 'INCONCLUSIVE', value, threshold: limit === undefined ? undefined : round6(limit), rule };
  const threshold = round6(limit);
  return { name, verdict: value <= threshold ? 'PASS' : 'FAIL', value, threshold, rule };
}
