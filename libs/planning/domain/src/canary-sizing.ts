/**
 * Canary size from the fleet-size table (edge-fleet-rolling-strategies.md):
 *   < 10: 1 · 10–50: 2–3 · 50–200: 3–5 · 200–1000: 5–10 (2–5 %) · 1000+: 10–50 (1–2 %)
 * and the hard cap of the selection algorithm: never more than 5 % of the fleet (but at least one device).
 * Where the two disagree (fleets of 10–59, whose 5 % is below the table's minimum) the cap wins: it is a
 * safety bound, the table a recommendation.
 */
export interface CanaryBounds {
  /** What the table recommends before coverage is considered. */
  target: number;
  /** The table's upper end for this fleet size. */
  bandMax: number;
  /** max(1, floor(5 % of the fleet)). */
  cap: number;
}

export function canaryBounds(fleetSize: number): CanaryBounds {
  if (fleetSize <= 0) return { target: 0, bandMax: 0, cap: 0 };
  const cap = Math.max(1, Math.floor(fleetSize * 0.05));
  const band = (min: number, max: number, pct = 0) => ({ target: Math.min(Math.max(min, Math.ceil((fleetSize * pct) / 100)), max), bandMax: max, cap });
  if (fleetSize < 10) return band(1, 1);
  if (fleetSize < 50) return band(2, 3);
  if (fleetSize < 200) return band(3, 5);
  if (fleetSize < 1000) return band(5, 10, 2);
  return band(10, 50, 1);
}

/** The most devices a canary may hold: the lower of the table's upper end and the 5 % cap. */
export function canaryLimit(fleetSize: number): number {
  const b = canaryBounds(fleetSize);
  return Math.min(b.bandMax, b.cap);
}

/** The seeds' explicit canary block: `percentage` of the fleet, between `minDevices` and `maxDevices`. */
export interface CanarySizing {
  percentage?: number;
  minDevices?: number;
  maxDevices?: number;
}

/**
 * The canary's size when the operator sized it: ceil(fleet × percentage / 100) (the table's target when no
 * percentage is given), clamped to [minDevices, maxDevices], never more than the fleet. `limit` is how far
 * type and region coverage may lift it: maxDevices when given, else the table's limit.
 */
export function explicitCanaryBounds(fleetSize: number, sizing: CanarySizing): { target: number; limit: number } {
  if (fleetSize <= 0) return { target: 0, limit: 0 };
  const limit = Math.min(fleetSize, sizing.maxDevices ?? canaryLimit(fleetSize));
  const wanted = sizing.percentage === undefined ? canaryBounds(fleetSize).target : Math.ceil((fleetSize * sizing.percentage) / 100);
  const target = Math.min(limit, Math.max(sizing.minDevices ?? 1, wanted));
  return { target, limit };
}
