/**
 * Small numeric helpers shared by baselines, gates and triggers. Percentiles use the nearest-rank method
 * (the value at rank ceil(p/100 · n)), so an auditor recomputing a figure from the same values gets exactly
 * the same number, with no interpolation convention to agree on.
 */

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

export function stddev(values: ArrayLike<number>): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - m) ** 2;
  return Math.sqrt(squares / values.length);
}

/** Nearest-rank percentile; sorts a copy. Undefined for no values. */
export function percentile(values: ArrayLike<number>, p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return sorted[rankIndex(sorted.length, p)];
}

/** Several nearest-rank percentiles of the same values with one sort. */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): Array<number | undefined> {
  if (values.length === 0) return ps.map(() => undefined);
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return ps.map((p) => sorted[rankIndex(sorted.length, p)]);
}

/**
 * Nearest-rank percentile by selection (average O(n)) instead of a full sort: gates over 100,000 devices
 * take one percentile of a large array. Reorders `values` in place.
 */
export function selectPercentile(values: Float64Array | number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const k = rankIndex(values.length, p);
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}

function rankIndex(n: number, p: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two distinct x. */
export function slope(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export type Trend = 'stable' | 'increasing' | 'decreasing';

/**
 * A series is increasing (decreasing) when its fitted line rises (falls) by more than `relativeChange` of
 * its mean over the span it covers. A flat zero series is stable.
 */
export function trendOf(xs: ArrayLike<number>, ys: ArrayLike<number>, relativeChange = 0.1): Trend {
  if (xs.length < 2) return 'stable';
  const m = mean(ys);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    lo = Math.min(lo, xs[i]);
    hi = Math.max(hi, xs[i]);
  }
  const span = hi - lo;
  const change = slope(xs, ys) * span;
  const scale = Math.abs(m) > 0 ? Math.abs(m) : 1;
  if (change > relativeChange * scale) return 'increasing';
  if (change < -relativeChange * scale) return 'decreasing';
  return 'stable';
}

/** Rounds for evidence: enough digits to recompute comparisons, none of the float noise. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
