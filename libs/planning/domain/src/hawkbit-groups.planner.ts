import { DomainError, seededRandom, shuffleInPlace } from '@rollgate/shared-domain';
import { assessEligibility } from './fleet-index';
import { assemble } from './plan-assembly';
import { Reason, type EligibilityOptions, type Plan, type PlanTarget } from './planning.types';

export interface ExplicitGroup<T extends PlanTarget = PlanTarget> {
  name: string;
  /** hawkBit: percentage (0, 100] of the targets still unassigned that match this group's filter. */
  targetPercentage: number;
  /** The group's own filter (compile it with @rollgate/filter-domain); absent means every target. */
  matches?: (target: T) => boolean;
}

export interface HawkbitSplitOptions<T extends PlanTarget = PlanTarget> extends EligibilityOptions {
  seed: string;
  amountGroups?: number;
  groups?: readonly ExplicitGroup<T>[];
  /** hawkBit fills groups in creation order; Rollgate shuffles with the seed unless told not to. */
  shuffle?: boolean;
}

/**
 * hawkBit's split, reproduced exactly: with `amountGroups` group i takes 1/(n - i) of what is left (the
 * percentage kept as a Java float, as hawkBit does); explicit groups take Math.round(p % × matching
 * unassigned targets). Targets no group takes make the plan invalid, as hawkBit refuses such a rollout.
 */
export function planHawkbitSplit<T extends PlanTarget>(targets: readonly T[], options: HawkbitSplitOptions<T>): Plan {
  const groups = resolveGroups(options);
  const eligibility = assessEligibility(targets, options);
  const order = Int32Array.from(eligibility.eligible);
  if (options.shuffle !== false) shuffleInPlace(order, seededRandom(options.seed));
  const taken = new Uint8Array(targets.length);
  const arranged = new Int32Array(order.length);
  const bounds = [0];
  let out = 0;
  let left = order.length;
  for (const group of groups) {
    const matching = group.matches ? countMatching(order, taken, targets, group.matches) : left;
    // hawkBit: float percentage / 100 (float), times the count (double), Math.round.
    const expected = Math.round(Math.fround(Math.fround(group.targetPercentage) / 100) * matching);
    let got = 0;
    for (let k = 0; k < order.length && got < expected; k++) {
      const i = order[k];
      if (taken[i] || (group.matches && !group.matches(targets[i]))) continue;
      taken[i] = 1;
      arranged[out++] = i;
      got++;
    }
    left -= got;
    bounds.push(out);
  }
  if (left > 0) {
    throw new DomainError('groups_do_not_cover_all_targets', `the groups leave ${left} of ${order.length} targets unassigned`, { unassigned: left });
  }
  const specs = groups.map((g) => ({ name: g.name, kind: 'group' as const, reason: Reason.GROUP }));
  return assemble('hawkbit-split', options.seed, eligibility, [], { arranged, bounds }, specs, []);
}

function resolveGroups<T extends PlanTarget>(options: HawkbitSplitOptions<T>): ExplicitGroup<T>[] {
  if (options.groups && options.groups.length > 0) {
    for (const g of options.groups) {
      if (!(g.targetPercentage > 0 && g.targetPercentage <= 100)) {
        throw new DomainError('invalid_target_percentage', `group ${g.name}: targetPercentage must be in (0, 100]`, { group: g.name });
      }
    }
    return [...options.groups];
  }
  const amount = options.amountGroups ?? 1;
  if (!Number.isInteger(amount) || amount < 1 || amount > 500) throw new DomainError('invalid_amount_groups', 'amountGroups must be a whole number in 1..500');
  return Array.from({ length: amount }, (_, i) => ({ name: `group-${i + 1}`, targetPercentage: Math.fround(Math.fround(1 / (amount - i)) * 100) }));
}

function countMatching<T extends PlanTarget>(order: Int32Array, taken: Uint8Array, targets: readonly T[], matches: (t: T) => boolean): number {
  let n = 0;
  for (let k = 0; k < order.length; k++) if (!taken[order[k]] && matches(targets[order[k]])) n++;
  return n;
}
