import fc from 'fast-check';
import type { PlanTarget } from './planning.types';

export const NOW = 1_700_000_000_000;

/** Random fleets with few categories, so collisions, rare types and crowded sites all happen. */
export function fleetArb(maxSize = 400): fc.Arbitrary<PlanTarget[]> {
  const target = fc.record({
    deviceType: fc.constantFrom('gw', 'cam', 'plc', 'hmi', 'rare'),
    region: fc.constantFrom('eu', 'us', 'ap'),
    site: fc.integer({ min: 0, max: 12 }),
    score: fc.integer({ min: 0, max: 5 }),
    flag: fc.integer({ min: 0, max: 40 }),
  });
  return fc.array(target, { maxLength: maxSize }).map((rows) => rows.map((r, i) => ({
    id: `d${i}`,
    deviceType: r.deviceType === 'rare' && i % 7 !== 0 ? 'gw' : r.deviceType,
    region: r.region,
    site: `s${r.site}`,
    gateway: `g${r.site}-${i % 3}`,
    createdAt: r.flag === 1 ? NOW + 1 : NOW - 1000,
    monitoringScore: r.score,
    quarantined: r.flag === 2,
    activeRolloutId: r.flag === 3 ? 'other' : undefined,
    singlePointOfFailure: r.flag === 4,
    inMaintenance: r.flag === 5,
    hardwareIssue: r.flag === 6,
    lastConnectivityIssueAt: r.flag === 7 ? NOW - 3_600_000 : r.flag === 8 ? NOW - 90_000_000 : undefined,
  })));
}

/** The exclusion rules restated independently of the implementation. */
export function expectedIncluded(t: PlanTarget, compatible?: readonly string[]): boolean {
  return !t.quarantined && (!compatible || compatible.includes(t.deviceType)) && t.activeRolloutId === undefined && !(t.createdAt! > NOW);
}

export function mayBeCanary(t: PlanTarget): boolean {
  return !t.singlePointOfFailure && !t.inMaintenance && !t.hardwareIssue && !(t.lastConnectivityIssueAt !== undefined && t.lastConnectivityIssueAt > NOW - 86_400_000);
}
