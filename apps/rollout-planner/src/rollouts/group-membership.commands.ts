import type { GroupCommand } from '@rollgate/rollout-domain';

/** Target ids per membership event: a million targets are 200 events, and each stays a modest jsonb row. */
export const MEMBERSHIP_CHUNK = 5_000;

/** A group's creation: the group, its members in chunks of at most `chunk` ids (never one per target), then ready with its action id block. */
export function groupCreationCommands(create: Extract<GroupCommand, { type: 'create-group' }>, members: readonly string[], firstActionId: number, chunk = MEMBERSHIP_CHUNK): GroupCommand[] {
  const commands: GroupCommand[] = [create];
  for (let from = 0; from < members.length; from += chunk) commands.push({ type: 'add-group-members', targetIds: members.slice(from, from + chunk), at: create.at });
  commands.push({ type: 'complete-group-creation', firstActionId, at: create.at });
  return commands;
}
