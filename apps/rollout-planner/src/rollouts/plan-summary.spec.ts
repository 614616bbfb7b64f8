import { createHash } from 'node:crypto';
import { planHawkbitSplit, type PlanTarget } from '@rollgate/planning-domain';
import { membershipChunks } from './group-membership.constants';
import { planSummary } from './plan-summary';

const targets: PlanTarget[] = Array.from({ length: 60_000 }, (_, i) => ({ id: `device-${String(i).padStart(6, '0')}`, deviceType: 'cam', region: 'eu' }));
const plan = planHawkbitSplit(targets, { seed: 'seed-1', now: 0, amountGroups: 3 });
const idOf = (k: number) => targets[k].id;
const groupIds = ['g-0', 'g-1', 'g-2'];

describe('planSummary', () => {
  it('hashes the seed, each group name and every member in order, one update per member, however they are chunked', () => {
    const expected = createHash('sha256').update(plan.seed);
    for (const group of plan.groups) {
      expected.update(`\u0001${group.name}`);
      for (const k of group.members) expected.update(`\u0000${targets[k].id}`);
    }
    const chunked = plan.groups.map((group) => [...membershipChunks(group.members, idOf)]);
    expect(chunked.some((chunks) => chunks.length > 1)).toBe(true);
    const one = plan.groups.map((group) => [Array.from(group.members, idOf)]);
    const summary = planSummary(plan, chunked, groupIds);
    expect(summary.hash).toBe(expected.digest('hex'));
    expect(planSummary(plan, one, groupIds).hash).toBe(summary.hash);
    expect(summary).toMatchObject({ seed: 'seed-1', groups: [{ groupId: 'g-0', name: 'group-1', size: 20_000 }, { groupId: 'g-1', size: 20_000 }, { groupId: 'g-2', size: 20_000 }] });
  });

  it('changes with the membership order', () => {
    const chunked = plan.groups.map((group) => [...membershipChunks(group.members, idOf)]);
    const swapped = chunked.map((chunks, g) => (g === 0 ? [[...chunks[0]].reverse(), ...chunks.slice(1)] : chunks));
    expect(planSummary(plan, swapped, groupIds).hash).not.toBe(planSummary(plan, chunked, groupIds).hash);
  });
});
