import { DomainError, seededRandom, shuffleInPlace } from '@rollgate/shared-domain';
import type { CanarySizing } from './canary-sizing';
import { selectCanary } from './canary.selector';
import { assessEligibility, indexFleet } from './fleet-index';
import { assemble } from './plan-assembly';
import { Reason, type EligibilityOptions, type Plan, type PlanTarget, type TopologyCaps } from './planning.types';
import { ensureTypeCoverage, fillWithCaps, slice } from './wave-balance';

export interface WaveSpec {
  name: string;
  /** Percentage of the targets left after the canary; the last wave takes the rest whatever it says. */
  percentage: number;
}

export interface CanaryWavesOptions extends EligibilityOptions {
  seed: string;
  waves: readonly WaveSpec[];
  /** Default true; false plans waves only. */
  canary?: boolean;
  caps?: TopologyCaps;
  /** The operator's canary size (seeds: percentage, min_devices, max_devices); absent: the fleet-size table. */
  canarySizing?: CanarySizing;
}

/**
 * Canary plus waves (edge-fleet-rolling-strategies.md): exclusions, one seeded shuffle, the canary, then
 * waves of ceil(pool × p / 100) from the shuffled pool (the pool being everything left after the canary,
 * so "15 %, 35 %, rest" means 15 % and 35 % of that pool), topology caps, and type coverage per wave.
 */
export function planCanaryWaves(targets: readonly PlanTarget[], options: CanaryWavesOptions): Plan {
  validateWaves(options.waves);
  const index = indexFleet(targets, options.caps !== undefined);
  const eligibility = assessEligibility(targets, options);
  const order = shuffleInPlace(Int32Array.from(eligibility.eligible), seededRandom(options.seed));
  const warnings: string[] = [];

  const canary = options.canary === false ? undefined : selectCanary(order, index, targets, eligibility.canaryNote, options.caps, options.canarySizing);
  let pool = order;
  if (canary && canary.members.length > 0) {
    const inCanary = new Uint8Array(targets.length);
    for (let k = 0; k < canary.members.length; k++) inCanary[canary.members[k]] = 1;
    pool = new Int32Array(order.length - canary.members.length);
    let p = 0;
    for (let k = 0; k < order.length; k++) if (!inCanary[order[k]]) pool[p++] = order[k];
  } else if (canary && order.length > 0) {
    warnings.push('no target may serve as a canary (all are flagged); the rollout starts with the first wave');
  }

  const sizes = waveSizes(pool.length, options.waves);
  const arrangement = options.caps ? fillWithCaps(pool, sizes, index, options.caps) : slice(pool, sizes);
  ensureTypeCoverage(arrangement, index, options.caps);

  const lead = canary && canary.members.length > 0 ? [{ name: 'canary', kind: 'canary' as const, members: canary.members }] : [];
  const specs = options.waves.map((w) => ({ name: w.name, kind: 'wave' as const, reason: Reason.WAVE }));
  const plan = assemble('canary-waves', options.seed, eligibility, lead, arrangement, specs, warnings);
  if (canary) {
    for (let k = 0; k < canary.members.length; k++) plan.reason[canary.members[k]] = canary.reasons[k];
  }
  return plan;
}

/** ceil(pool × p / 100) per wave, never more than is left; the last wave takes the rest. */
export function waveSizes(poolSize: number, waves: readonly WaveSpec[]): number[] {
  let left = poolSize;
  return waves.map((w, i) => {
    const size = i === waves.length - 1 ? left : Math.min(left, Math.ceil((poolSize * w.percentage) / 100));
    left -= size;
    return size;
  });
}

function validateWaves(waves: readonly WaveSpec[]): void {
  if (waves.length === 0) throw new DomainError('plan_without_waves', 'a canary-and-waves plan needs at least one wave');
  for (const w of waves) {
    if (!(w.percentage > 0 && w.percentage <= 100)) {
      throw new DomainError('invalid_wave_percentage', `wave ${w.name}: the percentage must be in (0, 100]`, { wave: w.name, percentage: w.percentage });
    }
  }
}
