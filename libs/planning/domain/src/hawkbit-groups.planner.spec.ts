import fc from 'fast-check';
import { planHawkbitSplit } from './hawkbit-groups.planner';
import { planRollingBatches, rollingBatchSize } from './rolling-batches.planner';
import { forecastPlan } from './plan-forecast';
import { expectedIncluded, fleetArb, NOW } from './planning.fixtures';
import type { PlanTarget } from './planning.types';

const fleetOf = (n: number): PlanTarget[] => Array.from({ length: n }, (_, i) => ({ id: `d${i}`, deviceType: i % 2 ? 'gw' : 'cam', region: 'eu', site: `s${i % 4}` }));
const sizes = (plan: { groups: { members: Int32Array }[] }) => plan.groups.map((g) => g.members.length);

describe('hawkBit split', () => {
  it('takes 1/(n - i) of what is left per group, rounded as hawkBit rounds', () => {
    expect(sizes(planHawkbitSplit(fleetOf(10), { seed: 's', now: NOW, amountGroups: 3 }))).toEqual([3, 4, 3]);
    expect(sizes(planHawkbitSplit(fleetOf(5), { seed: 's', now: NOW, amountGroups: 2 }))).toEqual([3, 2]);
    expect(sizes(planHawkbitSplit(fleetOf(2), { seed: 's', now: NOW, amountGroups: 4 }))).toEqual([1, 0, 1, 0]);
  });

  it('fills in creation order without shuffle, like hawkBit', () => {
    const plan = planHawkbitSplit(fleetOf(6), { seed: 's', now: NOW, amountGroups: 2, shuffle: false });
    expect(plan.groups.map((g) => Array.from(g.members))).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it('gives explicit groups a percentage of the matching, still unassigned targets', () => {
    const plan = planHawkbitSplit(fleetOf(10), {
      seed: 's', now: NOW,
      groups: [{ name: 'cams', targetPercentage: 40, matches: (t) => t.deviceType === 'cam' }, { name: 'rest', targetPercentage: 100 }],
    });
    expect(sizes(plan)).toEqual([2, 8]);
    expect(Array.from(plan.groups[0].members).every((i) => i % 2 === 0)).toBe(true);
  });

  it('refuses groups that leave targets out, and bad parameters', () => {
    const fleet = fleetOf(10);
    expect(() => planHawkbitSplit(fleet, { seed: 's', now: NOW, groups: [{ name: 'half', targetPercentage: 50 }] }))
      .toThrow(expect.objectContaining({ code: 'groups_do_not_cover_all_targets' }));
    expect(() => planHawkbitSplit(fleet, { seed: 's', now: NOW, groups: [{ name: 'x', targetPercentage: 0 }] })).toThrow(expect.objectContaining({ code: 'invalid_target_percentage' }));
    expect(() => planHawkbitSplit(fleet, { seed: 's', now: NOW, amountGroups: 0 })).toThrow(expect.objectContaining({ code: 'invalid_amount_groups' }));
  });

  it('property: amountGroups partitions the included targets and is deterministic per seed', () => {
    fc.assert(fc.property(fleetArb(), fc.integer({ min: 1, max: 12 }), fc.string(), (fleet, amount, seed) => {
      const plan = planHawkbitSplit(fleet, { seed, now: NOW, createdBefore: NOW, amountGroups: amount });
      const all = plan.groups.flatMap((g) => Array.from(g.members));
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(fleet.filter((t) => expectedIncluded(t)).length);
      expect(Math.max(...sizes(plan)) - Math.min(...sizes(plan))).toBeLessThanOrEqual(1);
      expect(planHawkbitSplit(fleet, { seed, now: NOW, createdBefore: NOW, amountGroups: amount }).groups.map((g) => Array.from(g.members)))
        .toEqual(plan.groups.map((g) => Array.from(g.members)));
    }));
  });
});

describe('rolling batches', () => {
  it('resolves max_unavailable and min_available like Kubernetes', () => {
    expect(rollingBatchSize(100, '10%')).toBe(10);
    expect(rollingBatchSize(15, '10%')).toBe(1);
    expect(rollingBatchSize(100, 30, '90%')).toBe(10);
    expect(rollingBatchSize(10, 5, '90%')).toBe(1);
    expect(rollingBatchSize(0, '10%')).toBe(0);
  });

  it('refuses a min_available that leaves nothing to update', () => {
    expect(() => rollingBatchSize(10, 5, '100%')).toThrow(expect.objectContaining({ code: 'min_available_leaves_no_room' }));
    expect(() => rollingBatchSize(10, '150%')).toThrow(expect.objectContaining({ code: 'invalid_batch_bound' }));
  });

  it('property: batches partition the fleet, none larger than the batch size, caps honoured', () => {
    fc.assert(fc.property(fleetArb(), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 10, max: 60 }), (fleet, maxOut, percent) => {
      const plan = planRollingBatches(fleet, { seed: 's', now: NOW, createdBefore: NOW, maxUnavailable: maxOut, caps: { percent, by: ['site'] } });
      const all = plan.groups.flatMap((g) => Array.from(g.members));
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(fleet.filter((t) => expectedIncluded(t)).length);
      const cap = Math.max(1, Math.floor((percent * maxOut) / 100));
      for (const g of plan.groups) {
        expect(g.members.length).toBeGreaterThan(0);
        expect(g.members.length).toBeLessThanOrEqual(maxOut);
        const perSite = new Map<string, number>();
        for (const i of g.members) perSite.set(fleet[i].site!, (perSite.get(fleet[i].site!) ?? 0) + 1);
        for (const c of perSite.values()) expect(c).toBeLessThanOrEqual(cap);
      }
    }));
  });
});

describe('forecast', () => {
  it('sums dispatch under the rate limit, half a poll interval, install time and soak per group', () => {
    const fleet = fleetOf(120);
    const plan = planHawkbitSplit(fleet, { seed: 's', now: NOW, amountGroups: 2 });
    const f = forecastPlan(plan, fleet, { rateLimitPerMinute: 60, pollIntervalMs: 300_000, installMs: 600_000, soakMs: [900_000, 0] });
    expect(f.groups.map((g) => g.durationMs)).toEqual([60_000 + 150_000 + 600_000 + 900_000, 60_000 + 150_000 + 600_000]);
    expect(f.groups[1].startsAfterMs).toBe(f.groups[0].durationMs);
    expect(f.totalMs).toBe(f.groups[0].durationMs + f.groups[1].durationMs);
    expect(f.groups[0].byType.cam + f.groups[0].byType.gw).toBe(60);
    expect(f.groups[0].byRegion).toEqual({ eu: 60 });
    expect(() => forecastPlan(plan, fleet, { rateLimitPerMinute: 0, pollIntervalMs: 0, installMs: 0, soakMs: 0 })).toThrow(expect.objectContaining({ code: 'invalid_rate_limit' }));
  });
});
