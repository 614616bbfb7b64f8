import fc from 'fast-check';
import { canaryBounds, canaryLimit } from './canary-sizing';
import { planCanaryWaves } from './canary-waves.planner';
import { explainPlan, explainTarget } from './plan-explanation';
import { expectedIncluded, fleetArb, mayBeCanary, NOW } from './planning.fixtures';
import type { Plan, PlanTarget } from './planning.types';

const waves = [{ name: 'wave-1', percentage: 15 }, { name: 'wave-2', percentage: 35 }, { name: 'wave-3', percentage: 100 }];
const wavesArb = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }).map((ps) => ps.map((p, i) => ({ name: `wave-${i + 1}`, percentage: p })));
const members = (plan: Plan, name: string) => Array.from(plan.groups.find((g) => g.name === name)?.members ?? []);

describe('canary sizing (fleet-size table, capped at 5 %)', () => {
  it.each([
    [0, 0, 0], [1, 1, 1], [9, 1, 1], [10, 2, 1], [40, 2, 2], [49, 2, 2], [60, 3, 3], [100, 3, 5], [199, 3, 5],
    [200, 5, 10], [500, 10, 10], [999, 10, 10], [1000, 10, 50], [2500, 25, 50], [1_000_000, 50, 50],
  ])('a fleet of %i: the table asks for %i, coverage may lift it to %i', (fleet, target, limit) => {
    expect(canaryBounds(fleet).target).toBe(target);
    expect(canaryLimit(fleet)).toBe(limit);
  });
});

describe('canary and waves planning', () => {
  it('property: every target lands in exactly one group or is excluded for a stated reason', () => {
    fc.assert(fc.property(fleetArb(), fc.string(), wavesArb, (fleet, seed, ws) => {
      const plan = planCanaryWaves(fleet, { seed, now: NOW, createdBefore: NOW, waves: ws });
      const seen = new Int32Array(fleet.length);
      plan.groups.forEach((g, gi) => g.members.forEach((i) => { seen[i]++; expect(plan.assignment[i]).toBe(gi); }));
      fleet.forEach((t, i) => {
        expect(seen[i]).toBe(expectedIncluded(t) ? 1 : 0);
        const why = explainTarget(plan, fleet, i);
        expect(why.included).toBe(expectedIncluded(t));
        expect(why.code).not.toBe('unknown');
      });
    }));
  });

  it('property: the same seed gives the same plan', () => {
    fc.assert(fc.property(fleetArb(), fc.string(), (fleet, seed) => {
      const a = planCanaryWaves(fleet, { seed, now: NOW, waves });
      const b = planCanaryWaves(fleet, { seed, now: NOW, waves });
      expect(a.groups.map((g) => Array.from(g.members))).toEqual(b.groups.map((g) => Array.from(g.members)));
      expect(a.seed).toBe(seed);
    }));
  });

  it('property: the canary respects the size bounds, the exclusions and covers types and regions when it can', () => {
    fc.assert(fc.property(fleetArb(), fc.string(), (fleet, seed) => {
      const plan = planCanaryWaves(fleet, { seed, now: NOW, createdBefore: NOW, waves });
      const included = fleet.filter((t) => expectedIncluded(t));
      const candidates = included.filter(mayBeCanary);
      const canary = members(plan, 'canary').map((i) => fleet[i]);
      expect(canary.length).toBeLessThanOrEqual(canaryLimit(included.length));
      expect(canary.length).toBeLessThanOrEqual(Math.max(1, Math.floor(included.length * 0.05)));
      expect(canary.length >= 1).toBe(candidates.length > 0);
      expect(canary.every(mayBeCanary)).toBe(true);
      const types = new Set(candidates.map((t) => t.deviceType));
      const regions = new Set(candidates.map((t) => t.region));
      if (types.size + regions.size <= canaryLimit(included.length)) {
        expect(new Set(canary.map((t) => t.deviceType))).toEqual(types);
        expect(new Set(canary.map((t) => t.region))).toEqual(regions);
      }
    }));
  });

  it('property: waves take ceil(pool × p / 100) and the last takes the rest', () => {
    fc.assert(fc.property(fleetArb(), wavesArb, (fleet, ws) => {
      const plan = planCanaryWaves(fleet, { seed: 'x', now: NOW, waves: ws });
      const pool = Array.from(plan.assignment).filter((g) => g >= 0).length - members(plan, 'canary').length;
      let left = pool;
      ws.forEach((w, k) => {
        const expected = k === ws.length - 1 ? left : Math.min(left, Math.ceil((pool * w.percentage) / 100));
        expect(members(plan, w.name)).toHaveLength(expected);
        left -= expected;
      });
    }));
  });

  it('property: each wave holds every type that has at least one device per wave, when waves can hold all types', () => {
    fc.assert(fc.property(fleetArb(600), fc.string(), (fleet, seed) => {
      const plan = planCanaryWaves(fleet, { seed, now: NOW, waves });
      const waveTypes = waves.map((w) => members(plan, w.name).map((i) => fleet[i].deviceType));
      const typeNames = new Set(waveTypes.flat());
      const poolCount = (t: string) => waveTypes.flat().filter((x) => x === t).length;
      if (waveTypes.some((w) => w.length < typeNames.size)) return;
      for (const t of typeNames) {
        if (poolCount(t) >= waves.length) for (const w of waveTypes) expect(w).toContain(t);
      }
    }));
  });

  it('property: a rare type with at least one device per wave reaches every wave', () => {
    fc.assert(fc.property(fc.integer({ min: 40, max: 400 }), fc.integer({ min: 3, max: 6 }), fc.string(), (common, rare, seed) => {
      const fleet: PlanTarget[] = [
        ...Array.from({ length: common }, (_, i) => ({ id: `c${i}`, deviceType: i % 2 ? 'gw' : 'cam', region: 'eu' })),
        ...Array.from({ length: rare }, (_, i) => ({ id: `r${i}`, deviceType: 'rare', region: 'eu', singlePointOfFailure: true })),
      ];
      const plan = planCanaryWaves(fleet, { seed, now: NOW, waves });
      for (const w of waves) expect(members(plan, w.name).map((i) => fleet[i].deviceType)).toContain('rare');
      expect(members(plan, 'wave-1')).toHaveLength(Math.ceil((plan.assignment.length - members(plan, 'canary').length) * 0.15));
    }));
  });

  it('property: topology caps hold in every wave but the last, and the plan stays a partition', () => {
    fc.assert(fc.property(fleetArb(600), fc.string(), fc.integer({ min: 5, max: 60 }), fc.constantFrom<'site' | 'gateway'>('site', 'gateway'), (fleet, seed, percent, by) => {
      const plan = planCanaryWaves(fleet, { seed, now: NOW, createdBefore: NOW, waves, caps: { percent, by: [by] } });
      const pool = Array.from(plan.assignment).filter((g) => g >= 0).length - members(plan, 'canary').length;
      const nominal = [Math.ceil(pool * 0.15)];
      nominal.push(Math.min(pool - nominal[0], Math.ceil(pool * 0.35)));
      waves.slice(0, -1).forEach((w, k) => {
        const cap = Math.max(1, Math.floor((percent * nominal[k]) / 100));
        const counts = new Map<string, number>();
        for (const i of members(plan, w.name)) counts.set(fleet[i][by]!, (counts.get(fleet[i][by]!) ?? 0) + 1);
        for (const c of counts.values()) expect(c).toBeLessThanOrEqual(cap);
        expect(members(plan, w.name).length).toBeLessThanOrEqual(nominal[k]);
      });
      const assigned = plan.groups.reduce((n, g) => n + g.members.length, 0);
      expect(assigned).toBe(fleet.filter((t) => expectedIncluded(t)).length);
      expect(new Set(plan.groups.flatMap((g) => Array.from(g.members))).size).toBe(assigned);
    }));
  });

  it('holds the topology caps inside the canary too, and fills uncapped only when the fleet is too concentrated', () => {
    // 2,000 devices, 60 % of them behind site-0, the rest spread over nine sites.
    const fleet: PlanTarget[] = Array.from({ length: 2000 }, (_, i) => ({
      id: `d-${i}`,
      deviceType: 'gw',
      region: 'eu',
      site: i < 1200 ? 'site-0' : `site-${1 + (i % 9)}`,
    }));
    const perSite = (plan: Plan) => {
      const counts = new Map<string, number>();
      for (const i of members(plan, 'canary')) counts.set(fleet[i].site!, (counts.get(fleet[i].site!) ?? 0) + 1);
      return counts;
    };
    const capped = planCanaryWaves(fleet, { seed: 'caps', now: NOW, waves, caps: { percent: 20, by: ['site'] } });
    const size = members(capped, 'canary').length;
    expect(size).toBe(canaryBounds(fleet.length).target);
    expect(Math.max(...perSite(capped).values())).toBeLessThanOrEqual(Math.max(1, Math.floor(size * 0.2)));

    // One site only: the caps cannot hold, and the canary still gets its full size.
    const oneSite = fleet.map((t) => ({ ...t, site: 'site-0' }));
    const forced = planCanaryWaves(oneSite, { seed: 'caps', now: NOW, waves, caps: { percent: 20, by: ['site'] } });
    expect(members(forced, 'canary')).toHaveLength(size);
  });

  it('explains inclusions and exclusions in words', () => {
    const fleet: PlanTarget[] = [
      { id: 'a', deviceType: 'gw', region: 'eu', monitoringScore: 9 },
      { id: 'b', deviceType: 'gw', region: 'eu', quarantined: true },
      { id: 'c', deviceType: 'toaster', region: 'eu' },
      { id: 'd', deviceType: 'gw', region: 'eu', activeRolloutId: 'r9' },
      { id: 'e', deviceType: 'gw', region: 'eu', createdAt: NOW + 5 },
      { id: 'f', deviceType: 'gw', region: 'eu', singlePointOfFailure: true },
    ];
    const plan = planCanaryWaves(fleet, { seed: 's', now: NOW, createdBefore: NOW, compatibleTypes: ['gw'], waves: [{ name: 'wave-1', percentage: 100 }] });
    const why = Object.fromEntries([...explainPlan(plan, fleet)].map((e) => [e.targetId, e]));
    expect(why.a).toMatchObject({ included: true, group: 'canary', code: 'canary-type-coverage' });
    expect(why.b).toMatchObject({ included: false, code: 'quarantined' });
    expect(why.c).toMatchObject({ included: false, code: 'incompatible-type', message: expect.stringContaining('toaster') });
    expect(why.d).toMatchObject({ included: false, code: 'in-other-running-rollout', message: expect.stringContaining('r9') });
    expect(why.e).toMatchObject({ included: false, code: 'created-after-rollout' });
    expect(why.f).toMatchObject({ included: true, group: 'wave-1', code: 'wave', message: expect.stringContaining('single point of failure') });
  });

  it('warns when no device may be a canary, and refuses bad waves', () => {
    const plan = planCanaryWaves([{ id: 'a', deviceType: 'gw', region: 'eu', inMaintenance: true }], { seed: 's', now: NOW, waves });
    expect(plan.groups.map((g) => g.name)).toEqual(['wave-1', 'wave-2', 'wave-3']);
    expect(plan.warnings).toHaveLength(1);
    expect(() => planCanaryWaves([], { seed: 's', now: NOW, waves: [] })).toThrow(expect.objectContaining({ code: 'plan_without_waves' }));
    expect(() => planCanaryWaves([], { seed: 's', now: NOW, waves: [{ name: 'w', percentage: 0 }] })).toThrow(expect.objectContaining({ code: 'invalid_wave_percentage' }));
  });
});
