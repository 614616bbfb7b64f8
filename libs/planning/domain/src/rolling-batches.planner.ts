import { DomainError, seededRandom, shuffleInPlace } from '@rollgate/shared-domain';
import { assessEligibility, indexFleet } from './fleet-index';
import { assemble } from './plan-assembly';
import { Reason, type EligibilityOptions, type Plan, type PlanTarget, type TopologyCaps } from './planning.types';
import { fillWithCaps, slice } from './wave-balance';

/** An absolute count or a percentage string such as "10%". */
export type CountOrPercent = number | `${number}%`;

export interface RollingBatchesOptions extends EligibilityOptions {
  seed: string;
  maxUnavailable: CountOrPercent;
  minAvailable?: CountOrPercent;
  caps?: TopologyCaps;
}

/**
 * Batch size as Kubernetes resolves it: max_unavailable rounds down (but at least 1), min_available rounds
 * up, and a batch never takes more than total − min_available devices out at once.
 */
export function rollingBatchSize(total: number, maxUnavailable: CountOrPercent, minAvailable?: CountOrPercent): number {
  const maxOut = Math.max(1, resolve(total, maxUnavailable, Math.floor));
  const mustStay = minAvailable === undefined ? 0 : resolve(total, minAvailable, Math.ceil);
  const size = Math.min(maxOut, total - mustStay);
  if (total > 0 && size < 1) {
    throw new DomainError('min_available_leaves_no_room', `min_available ${minAvailable} leaves no device of ${total} free to update`);
  }
  return size;
}

/**
 * Rolling batches of at most max_unavailable devices each. With topology caps a batch may hold fewer
 * (a site's surplus waits for the next batch), so there may be more batches, never larger ones.
 */
export function planRollingBatches(targets: readonly PlanTarget[], options: RollingBatchesOptions): Plan {
  const eligibility = assessEligibility(targets, options);
  const order = shuffleInPlace(Int32Array.from(eligibility.eligible), seededRandom(options.seed));
  const batch = rollingBatchSize(order.length, options.maxUnavailable, options.minAvailable);
  const count = batch === 0 ? 0 : Math.ceil(order.length / batch);
  const sizes = Array.from({ length: count }, (_, i) => Math.min(batch, order.length - i * batch));
  const arrangement = options.caps && count > 0 ? fillWithCaps(order, sizes, indexFleet(targets), options.caps, 'repeat-last') : slice(order, sizes);
  const specs = arrangement.bounds.slice(1).map((_, i) => ({ name: `batch-${i + 1}`, kind: 'batch' as const, reason: Reason.BATCH }));
  return assemble('rolling-batches', options.seed, eligibility, [], arrangement, specs, []);
}

function resolve(total: number, value: CountOrPercent, round: (x: number) => number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new DomainError('invalid_batch_bound', `"${value}" is not a whole count`);
    return value;
  }
  const pct = Number(value.slice(0, -1));
  if (!(pct >= 0 && pct <= 100)) throw new DomainError('invalid_batch_bound', `"${value}" is not a percentage in 0..100`);
  return round((total * pct) / 100);
}
