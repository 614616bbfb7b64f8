import { createHash } from 'node:crypto';
import type { Plan } from '@rollgate/planning-domain';
import type { RolloutPlanSummary } from '@rollgate/rollout-domain';
import { ValidationError } from '@rollgate/shared-domain';

/**
 * The plan as the rollout remembers it. The hash covers the seed, the group names and every member in order,
 * so an approval binds to exactly this membership. The seed rides along so that the event records it.
 * `chunks`: each group's members as cut into membership chunks; the bytes hashed are those of one update per
 * member (`\u0000<id>`), however the members are cut.
 */
export function planSummary(plan: Plan, chunks: ReadonlyArray<ReadonlyArray<readonly string[]>>, groupIds: string[]): RolloutPlanSummary & { seed: string } {
  if (plan.groups.every((g) => g.members.length === 0)) {
    throw new ValidationError('the target filter matches no target', [{ path: '/targetFilterQuery', message: 'matches no target' }]);
  }
  const hash = createHash('sha256').update(plan.seed);
  plan.groups.forEach((group, g) => {
    hash.update(`\u0001${group.name}`);
    // One update per chunk (a million updates cost far more).
    for (const ids of chunks[g]) hash.update(`\u0000${ids.join('\u0000')}`);
  });
  return { hash: hash.digest('hex'), seed: plan.seed, groups: plan.groups.map((group, i) => ({ groupId: groupIds[i], name: group.name, size: group.members.length })) };
}
