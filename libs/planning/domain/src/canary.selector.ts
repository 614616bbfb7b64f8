import { canaryBounds, canaryLimit, explicitCanaryBounds, type CanarySizing } from './canary-sizing';
import type { FleetIndex } from './fleet-index';
import { CanaryNote, Reason, type PlanTarget, type TopologyCaps } from './planning.types';
import { capFor, keyArrays } from './wave-balance';

export interface CanarySelection {
  members: Int32Array;
  /** Reason per member, parallel to `members` (type coverage, region coverage or fill). */
  reasons: Uint8Array;
}

/**
 * The seed's canary algorithm over `order` (the eligible targets, already shuffled by the plan's seed, so
 * ties fall the seeded way): the best-monitored device of each type, then one per region not yet
 * represented, then filled up to the table's size from the shuffled order; never a device flagged single
 * point of failure, in maintenance, with a hardware issue or a connectivity problem in the last 24 h. When
 * coverage wants more than the limit, the most representative subset stays: types before regions, the
 * most populous first.
 */
export function selectCanary(order: Int32Array, index: FleetIndex, targets: readonly PlanTarget[], canaryNote: Uint8Array, caps?: TopologyCaps, sizing?: CanarySizing): CanarySelection {
  const nTypes = index.typeNames.length;
  const nRegions = index.regionNames.length;
  const typePop = new Int32Array(nTypes);
  const regionPop = new Int32Array(nRegions);
  const bestType = new Int32Array(nTypes).fill(-1);
  const bestRegion = new Int32Array(nRegions).fill(-1);
  const bestTypeScore = new Float64Array(nTypes);
  const bestRegionScore = new Float64Array(nRegions);
  // Walk the fleet in input order (sequential memory, several times faster on a million objects than the
  // shuffled order) and break score ties by shuffle rank, which keeps the seeded choice.
  const rank = new Int32Array(index.size).fill(-1);
  for (let k = 0; k < order.length; k++) rank[order[k]] = k;
  for (let i = 0; i < index.size; i++) {
    const k = rank[i];
    if (k < 0) continue;
    const t = index.type[i];
    const r = index.region[i];
    typePop[t]++;
    regionPop[r]++;
    if (canaryNote[i] !== CanaryNote.NONE) continue;
    const score = targets[i].monitoringScore ?? 0;
    if (bestType[t] < 0 || score > bestTypeScore[t] || (score === bestTypeScore[t] && k < rank[bestType[t]])) {
      bestType[t] = i;
      bestTypeScore[t] = score;
    }
    if (bestRegion[r] < 0 || score > bestRegionScore[r] || (score === bestRegionScore[r] && k < rank[bestRegion[r]])) {
      bestRegion[r] = i;
      bestRegionScore[r] = score;
    }
  }

  const picked: number[] = [];
  const reasons: number[] = [];
  const chosen = new Set<number>();
  const regionCovered = new Uint8Array(nRegions);
  const pick = (i: number, reason: number) => {
    picked.push(i);
    reasons.push(reason);
    chosen.add(i);
    regionCovered[index.region[i]] = 1;
  };
  for (const t of byPopulation(typePop)) if (bestType[t] >= 0) pick(bestType[t], Reason.CANARY_TYPE_COVERAGE);
  for (const r of byPopulation(regionPop)) if (!regionCovered[r] && bestRegion[r] >= 0) pick(bestRegion[r], Reason.CANARY_REGION_COVERAGE);

  const bounds = sizing ? explicitCanaryBounds(order.length, sizing) : { target: canaryBounds(order.length).target, limit: canaryLimit(order.length) };
  const size = Math.min(bounds.limit, Math.max(bounds.target, picked.length));
  // Fill with the topology caps first (a bad build must not take down a whole site through its canary);
  // when the fleet is too concentrated to honour them, fill the rest uncapped, as the last wave does.
  const withinCaps = capCounter(index, caps, size, picked);
  for (let k = 0; k < order.length && picked.length < size; k++) {
    const i = order[k];
    if (canaryNote[i] === CanaryNote.NONE && !chosen.has(i) && withinCaps.admits(i)) {
      pick(i, Reason.CANARY_FILL);
      withinCaps.add(i);
    }
  }
  for (let k = 0; k < order.length && picked.length < size; k++) {
    const i = order[k];
    if (canaryNote[i] === CanaryNote.NONE && !chosen.has(i)) pick(i, Reason.CANARY_FILL);
  }
  const n = Math.min(size, picked.length);
  return { members: Int32Array.from(picked.slice(0, n)), reasons: Uint8Array.from(reasons.slice(0, n)) };
}

/** Counts canary members per site or gateway against the cap for a canary of `size`. */
function capCounter(index: FleetIndex, caps: TopologyCaps | undefined, size: number, members: readonly number[]) {
  const keys = keyArrays(index, caps);
  const cap = caps ? capFor(caps, size) : Infinity;
  const counts = keys.map((key) => new Int32Array(key.cardinality));
  const add = (i: number) => keys.forEach((key, k) => counts[k][key.ids[i]]++);
  members.forEach(add);
  return { add, admits: (i: number) => keys.every((key, k) => counts[k][key.ids[i]] < cap) };
}

/** Category ids, most populous first (id breaks ties, so the order is deterministic). */
function byPopulation(population: Int32Array): number[] {
  return Array.from(population.keys()).filter((id) => population[id] > 0).sort((a, b) => population[b] - population[a] || a - b);
}
