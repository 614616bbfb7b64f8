import fc from 'fast-check';
import { captureBaseline } from './baseline';
import { evaluateCanary } from './canary-phases';
import { compareCohorts } from './cohort-comparison';
import { TelemetryStore } from './device-telemetry';
import { DEFAULT_CANARY_PHASES } from './gate-config';
import type { GateDevice } from './gate-device';
import { EMPTY_TRIGGER_MEMORY, evaluateTriggers } from './rollback-triggers';
import { MIN, NEW, OLD, T0 } from '../test/health.fixtures';

/** Devices of one type reporting the given error rates, one sample per `everyMs`, for `minutes` after T0. */
function devicesWith(prefix: string, rates: number[], minutes: number, everyMs: number, version: string, extra: (i: number) => object = () => ({})): GateDevice[] {
  const store = new TelemetryStore();
  return rates.map((rate, d) => {
    const controllerId = `${prefix}-${d}`;
    let i = 0;
    for (let at = T0; at < T0 + minutes * MIN; at += everyMs) store.ingest({ controllerId, at, errorRate: rate, latencyP95Ms: 100, memoryMb: 500, runningVersion: version, healthEndpoint: 'up', ...extra(i++) }, at);
    return { controllerId, groupId: 'g0', deviceType: 'cam', deployedAt: T0, telemetry: store.device(controllerId) };
  });
}

const rates = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 });

describe('evaluator properties', () => {
  it('a baseline\'s figures are ordered and within the observed values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }), (values) => {
        const store = new TelemetryStore();
        values.forEach((errorRate, i) => store.ingest({ controllerId: 'd', at: T0 + i * MIN, errorRate, runningVersion: OLD }, T0 + i * MIN));
        const b = captureBaseline({ groupId: 'g', deviceType: 'cam', version: OLD }, [store.device('d')], T0 + values.length * MIN, [], MIN).metrics.errorRate!;
        expect(b.p50).toBeLessThanOrEqual(b.p95);
        expect(b.p95).toBeLessThanOrEqual(b.p99);
        expect(b.mean).toBeGreaterThanOrEqual(Math.min(...values) - 1e-6);
        expect(b.mean).toBeLessThanOrEqual(Math.max(...values) + 1e-6);
        expect(b.buckets).toBe(values.length);
      }),
    );
  });

  it('a comparison with too few samples on either side is never PASS', () => {
    fc.assert(
      fc.property(rates, rates, fc.integer({ min: 1, max: 30 }), (updated, control, minutes) => {
        const u = devicesWith('u', updated, minutes, MIN, NEW);
        const c = devicesWith('c', control, minutes, MIN, OLD);
        const minSamples = Math.min(updated.length, control.length) * minutes + 1;
        const result = compareCohorts(u, c, { from: T0, to: T0 + minutes * MIN }, { errorRatePoints: 2, latencyPercent: 20, minSamples }, NEW);
        expect(result.verdict).not.toBe('PASS');
      }),
    );
  });

  it('a comparison that fails keeps failing when the updated devices make more errors', () => {
    fc.assert(
      fc.property(rates, rates, fc.double({ min: 0, max: 0.5, noNaN: true }), (updated, control, extra) => {
        const window = { from: T0, to: T0 + 20 * MIN };
        const limits = { errorRatePoints: 2, latencyPercent: 20, minSamples: 5 };
        const c = devicesWith('c', control, 20, MIN, OLD);
        const before = compareCohorts(devicesWith('u', updated, 20, MIN, NEW), c, window, limits, NEW);
        const after = compareCohorts(devicesWith('u', updated.map((r) => Math.min(1, r + extra)), 20, MIN, NEW), c, window, limits, NEW);
        if (before.verdict === 'FAIL') expect(after.verdict).toBe('FAIL');
      }),
    );
  });

  it('a canary whose devices reported fewer than 3 samples in a phase is never PASS', () => {
    fc.assert(
      fc.property(rates, fc.integer({ min: 6, max: 60 }), (deviceRates, everyMinutes) => {
        const canary = devicesWith('k', deviceRates.map(() => 0.01), 61, everyMinutes * MIN, NEW);
        const result = evaluateCanary(canary, T0 + 61 * MIN, DEFAULT_CANARY_PHASES, { errorRatePoints: 2, latencyPercent: 20, memoryGrowthPercent: 1 }, [], NEW);
        expect(result.verdict).not.toBe('PASS');
      }),
      { numRuns: 30 },
    );
  });

  it('more restarts never stop a crash loop from firing, and threshold triggers never fire on too few samples', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 5 }), (restarts, more) => {
        const fired = (n: number) =>
          evaluateTriggers({ at: T0 + 5 * MIN, deployed: devicesWith('r', [0.9], 5, 30_000, NEW, (i) => ({ restarts: i < n ? 1 : 0 })), waves: [], baselines: [], targetVersion: NEW, execution: {} }, EMPTY_TRIGGER_MEMORY).triggers.some(
            (t) => t.trigger === 'crash_loop',
          );
        if (fired(restarts)) expect(fired(Math.min(10, restarts + more))).toBe(true);
        // one device at 90% errors against a 1% baseline: 5 samples in the 5-minute window are below the
        // triggers' minimum of 10 and fire nothing; 10 samples fire the spike
        const history = new TelemetryStore();
        for (let i = 0; i < 60; i++) history.ingest({ controllerId: 'h', at: T0 - (60 - i) * MIN, errorRate: 0.01, runningVersion: OLD }, T0);
        const baselines = [captureBaseline({ groupId: 'g0', deviceType: 'cam', version: OLD }, [history.device('h')], T0, [], MIN)];
        const spikes = (everyMs: number) =>
          evaluateTriggers({ at: T0 + 5 * MIN, deployed: devicesWith('f', [0.9], 5, everyMs, NEW), waves: [], baselines, targetVersion: NEW, execution: {} }, EMPTY_TRIGGER_MEMORY).triggers.filter((t) => t.kind !== 'immediate').map((t) => t.trigger);
        expect(spikes(MIN)).toEqual([]);
        expect(spikes(30_000)).toEqual(['error_rate_spike']);
      }),
      { numRuns: 30 },
    );
  });
});
