import { groupDecider, type GroupCommand } from '@rollgate/rollout-domain';
import { groupCreationCommands, MEMBERSHIP_CHUNK } from './group-membership.commands';

const create: Extract<GroupCommand, { type: 'create-group' }> = {
  type: 'create-group', groupId: 'g', rolloutId: 'r', index: 0, name: 'group-1', at: 1,
  conditions: { success: { threshold: 100, mode: 'finished' }, successAction: 'NEXTGROUP', error: { kind: 'percentage', threshold: 100 }, errorAction: 'PAUSE', actionType: 'forced' },
};

describe('groupCreationCommands', () => {
  it('records membership in numbered chunks, never an event per target, and ends with the group ready at its full size', () => {
    const members = Array.from({ length: 2 * MEMBERSHIP_CHUNK + 3 }, (_, i) => `d${i}`);
    let state = groupDecider.initialState;
    const events = groupCreationCommands(create, members, 41).flatMap((command) => {
      const decided = groupDecider.decide(command, state);
      state = decided.reduce(groupDecider.evolve, state);
      return decided;
    });
    const chunks = events.filter((e) => e.type === 'group-members-added').map((e) => e.data as { chunk: number; targetIds: string[] });
    expect(chunks.map((c) => [c.chunk, c.targetIds.length])).toEqual([[0, MEMBERSHIP_CHUNK], [1, MEMBERSHIP_CHUNK], [2, 3]]);
    expect(chunks.flatMap((c) => c.targetIds)).toEqual(members);
    expect(events.at(-1)).toEqual({ type: 'group-ready', data: { size: members.length, firstActionId: 41, at: 1 } });
  });

  it('leaves an empty group without membership events', () => {
    expect(groupCreationCommands(create, [], 1, 2).map((c) => c.type)).toEqual(['create-group', 'complete-group-creation']);
  });
});
