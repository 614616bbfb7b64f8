import type { HealthSample, MetricName, TimeWindow } from './health.types';

/**
 * One device's samples folded into fixed time buckets, per running version (a device that switches version
 * inside a bucket gets a second bucket for the same start, so cohorts never mix versions). A bucket keeps
 * sums and counts, never the samples: memory is O(devices × retained buckets).
 */
export interface TelemetryBucket {
  start: number;
  /** its length: the policy's bucketMs, or compactBucketMs once compacted */
  span: number;
  version: string;
  samples: number;
  errSum: number;
  errN: number;
  latSum: number;
  latN: number;
  latMax: number;
  memSum: number;
  memN: number;
  cpuSum: number;
  cpuN: number;
  tempSum: number;
  tempN: number;
  tempMax: number;
  restarts: number;
  down: number;
  up: number;
}

export interface DeviceTelemetry {
  controllerId: string;
  deviceType?: string;
  /** the version the latest (by measurement time) sample reported */
  runningVersion?: string;
  lastAt: number;
  /** health endpoint state of the latest sample that reported one, and since when it has been down */
  healthEndpoint?: 'up' | 'down';
  downSince?: number;
  /** buckets in ascending start order */
  buckets: TelemetryBucket[];
  /** recent sample times, newest last: how a resent or redelivered sample is recognised */
  recentAts: number[];
  /** restarts with their time, for the crash-loop trigger (exact, not bucket-rounded) */
  restartLog: Array<[at: number, count: number]>;
  /** version changes in measurement order: for two-phase success and A/B fallback detection */
  versionLog: Array<[at: number, version: string]>;
}

export interface TelemetryPolicy {
  bucketMs: number;
  /** how long buckets are kept (the baseline looks back 24 h) */
  retentionMs: number;
  /** a sample older than the newest one of its device by more than this is dropped as late */
  allowedLatenessMs: number;
  /** a sample measured further than this in the future of the intake clock is refused (clock skew) */
  maxClockSkewMs: number;
  /** how many recent sample times are remembered per device for duplicate detection */
  duplicateMemory: number;
  /**
   * Buckets older than this are merged into `compactBucketMs` buckets: gates and triggers look at the last
   * 30-60 minutes in fine buckets, the baseline's 24 h does with coarse ones (a 1-minute resolution for a
   * day would be 1,440 buckets per device).
   */
  compactAfterMs: number;
  compactBucketMs: number;
}

export const DEFAULT_TELEMETRY_POLICY: TelemetryPolicy = {
  bucketMs: 60_000,
  retentionMs: 24 * 3600_000 + 3600_000,
  allowedLatenessMs: 10 * 60_000,
  maxClockSkewMs: 5 * 60_000,
  duplicateMemory: 32,
  compactAfterMs: 2 * 3600_000,
  compactBucketMs: 15 * 60_000,
};

export type IngestOutcome = 'accepted' | 'late-accepted' | 'duplicate' | 'too-late' | 'future' | 'invalid';

export const UNKNOWN_VERSION = 'unknown';
export const UNKNOWN_DEVICE_TYPE = 'unknown';

/** Per-tenant store of device telemetry. Pure apart from mutating itself: time comes in with each call. */
export class TelemetryStore {
  readonly devices = new Map<string, DeviceTelemetry>();
  /** one string per version and device type, so the hot loops compare them by identity */
  private readonly interned = new Map<string, string>();
  readonly counts: Record<IngestOutcome, number> = { accepted: 0, 'late-accepted': 0, duplicate: 0, 'too-late': 0, future: 0, invalid: 0 };

  constructor(readonly policy: TelemetryPolicy = DEFAULT_TELEMETRY_POLICY) {}

  /**
   * Folds one sample in. `now` is the intake clock. In-order samples take the fast path; an older sample is
   * a duplicate when its time was seen recently, merged into its own bucket when within the allowed
   * lateness, and dropped otherwise (a gate already evaluated must not change under an auditor's feet).
   */
  ingest(sample: HealthSample, now: number): IngestOutcome {
    const outcome = this.classify(sample, now);
    this.counts[outcome] += 1;
    if (outcome === 'accepted' || outcome === 'late-accepted') this.apply(sample, outcome === 'accepted');
    return outcome;
  }

  device(controllerId: string): DeviceTelemetry | undefined {
    return this.devices.get(controllerId);
  }

  /** Drops what is older than the retention and compacts old buckets; call now and then (not per sample). */
  prune(now: number): void {
    const horizon = now - this.policy.retentionMs;
    for (const device of this.devices.values()) {
      let drop = 0;
      while (drop < device.buckets.length && device.buckets[drop].start < horizon) drop++;
      if (drop > 0) device.buckets.splice(0, drop);
      if (device.restartLog.length > 0 && device.restartLog[0][0] < horizon) device.restartLog = device.restartLog.filter(([at]) => at >= horizon);
      if (device.versionLog.length > 1 && device.versionLog[0][0] < horizon) {
        device.versionLog = [...device.versionLog.slice(0, -1).filter(([at]) => at >= horizon), device.versionLog[device.versionLog.length - 1]];
      }
      this.compact(device, now - this.policy.compactAfterMs);
    }
  }

  /**
   * Merges the fine buckets that just aged past `before` into coarse ones. In steady state those are the
   * newest buckets of the old part (one a minute per device), so only they are touched.
   */
  private compact(device: DeviceTelemetry, before: number): void {
    const coarse = this.policy.compactBucketMs;
    if (coarse <= this.policy.bucketMs) return;
    const buckets = device.buckets;
    let end = buckets.length;
    while (end > 0 && buckets[end - 1].start >= before) end--;
    let first = end;
    while (first > 0 && buckets[first - 1].span < coarse) first--;
    if (first === end) return;
    // The coarse buckets a fine one may join: the last ones before the fine run (same start, same version).
    let keepFrom = first;
    const alignedFirst = align(buckets[first].start, coarse);
    while (keepFrom > 0 && buckets[keepFrom - 1].start >= alignedFirst) keepFrom--;
    const merged: TelemetryBucket[] = buckets.slice(keepFrom, first);
    for (let i = first; i < end; i++) {
      const b = buckets[i];
      const start = align(b.start, coarse);
      let target = merged.find((m) => m.start === start && m.version === b.version);
      if (!target) {
        target = emptyBucket(start, b.version, coarse);
        merged.push(target);
      }
      mergeInto(target, b);
    }
    merged.sort((a, b) => a.start - b.start);
    buckets.splice(keepFrom, end - keepFrom, ...merged);
  }

  private classify(sample: HealthSample, now: number): IngestOutcome {
    if (!Number.isFinite(sample.at) || sample.controllerId.length === 0) return 'invalid';
    if (sample.at > now + this.policy.maxClockSkewMs) return 'future';
    const device = this.devices.get(sample.controllerId);
    if (!device || sample.at > device.lastAt) return 'accepted';
    if (device.recentAts.includes(sample.at)) return 'duplicate';
    return device.lastAt - sample.at > this.policy.allowedLatenessMs ? 'too-late' : 'late-accepted';
  }

  private apply(sample: HealthSample, inOrder: boolean): void {
    const device = this.deviceFor(sample);
    const reported = sample.runningVersion === undefined ? undefined : this.intern(sample.runningVersion);
    if (sample.deviceType !== undefined) device.deviceType = this.intern(sample.deviceType);
    rememberTime(device, sample.at, this.policy.duplicateMemory);
    if (inOrder) {
      device.lastAt = sample.at;
      if (reported !== undefined && reported !== device.runningVersion) {
        device.runningVersion = reported;
        device.versionLog.push([sample.at, reported]);
      }
      if (sample.healthEndpoint === 'down') device.downSince ??= sample.at;
      else if (sample.healthEndpoint === 'up') device.downSince = undefined;
      if (sample.healthEndpoint !== undefined) device.healthEndpoint = sample.healthEndpoint;
    }
    if (sample.restarts) device.restartLog.push([sample.at, sample.restarts]);
    addToBucket(this.bucketFor(device, sample.at, reported), sample);
  }

  private intern(text: string): string {
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    this.interned.set(text, text);
    return text;
  }

  private deviceFor(sample: HealthSample): DeviceTelemetry {
    let device = this.devices.get(sample.controllerId);
    if (!device) {
      device = { controllerId: sample.controllerId, lastAt: -Infinity, buckets: [], recentAts: [], restartLog: [], versionLog: [] };
      this.devices.set(sample.controllerId, device);
    }
    return device;
  }

  /** A late sample's version is the one the device ran at that time, as far as the version log knows. */
  private bucketFor(device: DeviceTelemetry, at: number, reported: string | undefined): TelemetryBucket {
    const start = align(at, this.policy.bucketMs);
    const version = reported ?? versionAt(device, at) ?? UNKNOWN_VERSION;
    for (let i = device.buckets.length - 1; i >= 0; i--) {
      const b = device.buckets[i];
      if (b.start === start && b.version === version) return b;
      if (b.start <= start) {
        const created = emptyBucket(start, version, this.policy.bucketMs);
        device.buckets.splice(i + 1, 0, created);
        return created;
      }
    }
    const created = emptyBucket(start, version, this.policy.bucketMs);
    device.buckets.unshift(created);
    return created;
  }
}

function rememberTime(device: DeviceTelemetry, at: number, memory: number): void {
  device.recentAts.push(at);
  if (device.recentAts.length > memory) device.recentAts.shift();
}

export function versionAt(device: DeviceTelemetry, at: number): string | undefined {
  let version: string | undefined;
  for (const [since, v] of device.versionLog) {
    if (since > at) break;
    version = v;
  }
  return version ?? device.versionLog[0]?.[1];
}

function align(at: number, size: number): number {
  return at - (((at % size) + size) % size);
}

function mergeInto(target: TelemetryBucket, b: TelemetryBucket): void {
  target.samples += b.samples;
  target.errSum += b.errSum;
  target.errN += b.errN;
  target.latSum += b.latSum;
  target.latN += b.latN;
  target.latMax = Math.max(target.latMax, b.latMax);
  target.memSum += b.memSum;
  target.memN += b.memN;
  target.cpuSum += b.cpuSum;
  target.cpuN += b.cpuN;
  target.tempSum += b.tempSum;
  target.tempN += b.tempN;
  target.tempMax = Math.max(target.tempMax, b.tempMax);
  target.restarts += b.restarts;
  target.down += b.down;
  target.up += b.up;
}

export function emptyBucket(start: number, version: string, span: number): TelemetryBucket {
  return { start, span, version, samples: 0, errSum: 0, errN: 0, latSum: 0, latN: 0, latMax: 0, memSum: 0, memN: 0, cpuSum: 0, cpuN: 0, tempSum: 0, tempN: 0, tempMax: -Infinity, restarts: 0, down: 0, up: 0 };
}

function addToBucket(b: TelemetryBucket, s: HealthSample): void {
  b.samples += 1;
  if (s.errorRate !== undefined) {
    b.errSum += s.errorRate;
    b.errN += 1;
  }
  if (s.latencyP95Ms !== undefined) {
    b.latSum += s.latencyP95Ms;
    b.latN += 1;
    if (s.latencyP95Ms > b.latMax) b.latMax = s.latencyP95Ms;
  }
  if (s.memoryMb !== undefined) {
    b.memSum += s.memoryMb;
    b.memN += 1;
  }
  if (s.cpuPct !== undefined) {
    b.cpuSum += s.cpuPct;
    b.cpuN += 1;
  }
  if (s.temperatureC !== undefined) {
    b.tempSum += s.temperatureC;
    b.tempN += 1;
    if (s.temperatureC > b.tempMax) b.tempMax = s.temperatureC;
  }
  if (s.restarts) b.restarts += s.restarts;
  if (s.healthEndpoint === 'down') b.down += 1;
  else if (s.healthEndpoint === 'up') b.up += 1;
}

/** A bucket's mean of one metric and how many samples carried it. */
export function bucketMean(b: TelemetryBucket, metric: MetricName): { value: number; n: number } | undefined {
  switch (metric) {
    case 'errorRate':
      return b.errN > 0 ? { value: b.errSum / b.errN, n: b.errN } : undefined;
    case 'latencyP95Ms':
      return b.latN > 0 ? { value: b.latSum / b.latN, n: b.latN } : undefined;
    case 'memoryMb':
      return b.memN > 0 ? { value: b.memSum / b.memN, n: b.memN } : undefined;
    case 'cpuPct':
      return b.cpuN > 0 ? { value: b.cpuSum / b.cpuN, n: b.cpuN } : undefined;
    case 'temperatureC':
      return b.tempN > 0 ? { value: b.tempSum / b.tempN, n: b.tempN } : undefined;
  }
}

/** The buckets whose start lies in the window, oldest first; walks back from the newest and stops early. */
export function bucketsIn(device: DeviceTelemetry | undefined, window: TimeWindow): TelemetryBucket[] {
  if (!device) return [];
  const found: TelemetryBucket[] = [];
  for (let i = device.buckets.length - 1; i >= 0; i--) {
    const b = device.buckets[i];
    if (b.start < window.from) break;
    if (b.start < window.to) found.push(b);
  }
  return found.reverse();
}

/** Whether a bucket lies inside a window (by its start; buckets are aligned to the window's clock). */
export function inWindow(b: TelemetryBucket, window: TimeWindow): boolean {
  return b.start >= window.from && b.start < window.to;
}

export function overlapsAny(b: TelemetryBucket, windows: readonly TimeWindow[]): boolean {
  return windows.some((w) => b.start < w.to && b.start + b.span > w.from);
}

/** Restarts a device logged within a window (exact times). */
export function restartsIn(device: DeviceTelemetry, window: TimeWindow): number {
  let total = 0;
  for (const [at, count] of device.restartLog) if (at >= window.from && at < window.to) total += count;
  return total;
}
