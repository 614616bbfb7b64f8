import type { FleetIndex } from './fleet-index';
import type { TopologyCaps } from './planning.types';

/** Contiguous groups over one array: group w is `arranged[bounds[w] .. bounds[w + 1])`. */
export interface Arrangement {
  arranged: Int32Array;
  bounds: number[];
}

export function capFor(caps: TopologyCaps, groupSize: number): number {
  return Math.max(1, Math.floor((caps.percent * groupSize) / 100));
}

/** Sizes cut straight from the order: group w takes the next `sizes[w]` targets. */
export function slice(order: Int32Array, sizes: readonly number[]): Arrangement {
  const bounds = [0];
  for (const s of sizes) bounds.push(bounds[bounds.length - 1] + s);
  return { arranged: order, bounds };
}

/**
 * Fills groups in order while honouring the topology caps: a target whose site or gateway already holds
 * the cap in the current group is deferred to the next group (deferred targets go first there), keeping
 * the shuffled order otherwise. The last group takes everything left, uncapped: every target must land
 * somewhere, and when one site dominates the fleet the caps cannot hold everywhere. O(n · groups).
 */
export function fillWithCaps(order: Int32Array, sizes: readonly number[], index: FleetIndex, caps: TopologyCaps, mode: 'last-takes-rest' | 'repeat-last' = 'last-takes-rest'): Arrangement {
  const keys = keyArrays(index, caps);
  const arranged = new Int32Array(order.length);
  const bounds = [0];
  let out = 0;
  let p = 0;
  let deferred: number[] = [];
  // 'repeat-last' (rolling batches) keeps cutting capped groups of the last size until all are placed;
  // each group takes at least one target (an empty group always has room), so this ends.
  for (let w = 0; out < order.length || w < sizes.length; w++) {
    if (mode === 'last-takes-rest' && w === sizes.length - 1) {
      for (const i of deferred) arranged[out++] = i;
      while (p < order.length) arranged[out++] = order[p++];
      bounds.push(out);
      break;
    }
    const k = sizes[Math.min(w, sizes.length - 1)];
    const cap = capFor(caps, k);
    const counts = keys.map((k2) => new Int32Array(k2.cardinality));
    let taken = 0;
    const next: number[] = [];
    const accept = (i: number): boolean => {
      if (taken >= k) return false;
      for (let c = 0; c < keys.length; c++) {
        const key = keys[c].ids[i];
        if (key >= 0 && counts[c][key] >= cap) return false;
      }
      for (let c = 0; c < keys.length; c++) {
        const key = keys[c].ids[i];
        if (key >= 0) counts[c][key]++;
      }
      arranged[out++] = i;
      taken++;
      return true;
    };
    for (const i of deferred) if (!accept(i)) next.push(i);
    while (taken < k && p < order.length) {
      const i = order[p++];
      if (!accept(i)) next.push(i);
    }
    deferred = next;
    bounds.push(out);
  }
  return { arranged, bounds };
}

interface KeyArray {
  ids: Int32Array;
  cardinality: number;
}

export function keyArrays(index: FleetIndex, caps: TopologyCaps | undefined): KeyArray[] {
  if (!caps) return [];
  return caps.by.map((by) => (by === 'site'
    ? { ids: index.site, cardinality: index.siteNames.length }
    : { ids: index.gateway, cardinality: index.gatewayNames.length }));
}

/**
 * "Each wave holds at least one device of each type where possible": for a group missing type t, swap in
 * a type-t target from a group holding several of them, against a target of a type the missing group holds
 * twice or more. Both groups keep their sizes and no swap removes a type from either group, so every fix is
 * permanent. Swaps respect the caps (the last group is uncapped). With ≥ W devices of a type and groups of
 * at least T targets this always succeeds (pigeonhole), which the property tests check.
 */
export function ensureTypeCoverage(a: Arrangement, index: FleetIndex, caps?: TopologyCaps): void {
  const W = a.bounds.length - 1;
  const T = index.typeNames.length;
  if (W < 2 || T < 2) return;
  const { arranged, bounds } = a;
  const typeCount = new Int32Array(W * T);
  const keys = keyArrays(index, caps);
  const keyCount = keys.map((k) => new Int32Array(W * k.cardinality));
  const groupCap = bounds.slice(0, W).map((b, w) => (caps && w < W - 1 ? capFor(caps, bounds[w + 1] - b) : Infinity));
  for (let w = 0; w < W; w++) {
    for (let k = bounds[w]; k < bounds[w + 1]; k++) {
      const i = arranged[k];
      typeCount[w * T + index.type[i]]++;
      for (let c = 0; c < keys.length; c++) if (keys[c].ids[i] >= 0) keyCount[c][w * keys[c].cardinality + keys[c].ids[i]]++;
    }
  }
  // Cap check for moving `inn` into group g in exchange for `out` leaving it.
  const fits = (g: number, inn: number, out: number): boolean => {
    for (let c = 0; c < keys.length; c++) {
      const kin = keys[c].ids[inn];
      if (kin < 0 || kin === keys[c].ids[out]) continue;
      if (keyCount[c][g * keys[c].cardinality + kin] + 1 > groupCap[g]) return false;
    }
    return true;
  };
  const move = (g: number, inn: number, out: number) => {
    typeCount[g * T + index.type[inn]]++;
    typeCount[g * T + index.type[out]]--;
    for (let c = 0; c < keys.length; c++) {
      const card = keys[c].cardinality;
      if (keys[c].ids[inn] >= 0) keyCount[c][g * card + keys[c].ids[inn]]++;
      if (keys[c].ids[out] >= 0) keyCount[c][g * card + keys[c].ids[out]]--;
    }
  };
  const trySwap = (w: number, t: number): boolean => {
    for (let u = W - 1; u >= 0; u--) {
      if (u === w || typeCount[u * T + t] < 2) continue;
      let tries = 0;
      for (let kd = bounds[u]; kd < bounds[u + 1] && tries < 64; kd++) {
        const d = arranged[kd];
        if (index.type[d] !== t) continue;
        tries++;
        for (let kv = bounds[w + 1] - 1; kv >= bounds[w]; kv--) {
          const v = arranged[kv];
          if (typeCount[w * T + index.type[v]] < 2 || !fits(w, d, v) || !fits(u, v, d)) continue;
          arranged[kd] = v;
          arranged[kv] = d;
          move(w, d, v);
          move(u, v, d);
          return true;
        }
      }
    }
    return false;
  };
  for (let t = 0; t < T; t++) {
    for (let w = 0; w < W; w++) if (typeCount[w * T + t] === 0) trySwap(w, t);
  }
}
