import { DomainError, ValidationError, type Decider, type DomainEvent } from '@rollgate/shared-domain';

/** hawkBit's tag colours are CSS colours; Rollgate accepts `#rgb` / `#rrggbb`. */
const COLOUR = /^#(?:[0-9a-fA-F]{3}){1,2}$/;

export interface TargetTagFields {
  description?: string;
  colour?: string;
}

/**
 * Target tags (hawkBit's `targettags`). A tag's name is what the filter language matches (`tags.name`) and
 * what the targets read model stores, so it never changes: renaming would silently change every filter that
 * names it. Assignment lives on the target's own stream (`target-tagged`), so a bulk assignment is one event
 * per target and a deleted target takes its tags with it.
 */
export type TargetTagEvent =
  | DomainEvent<'target-tag-created', { tagId: string; name: string; description: string; colour: string; by: string; at: number }>
  | DomainEvent<'target-tag-updated', TargetTagFields & { by: string; at: number }>
  | DomainEvent<'target-tag-deleted', { name: string; by: string; at: number }>;

export type TargetTagCommand =
  | ({ type: 'create-target-tag'; tagId: string; name: string; by: string; at: number } & TargetTagFields)
  | ({ type: 'update-target-tag'; name?: string; by: string; at: number } & TargetTagFields)
  | { type: 'delete-target-tag'; by: string; at: number };

export type TargetTagState = { status: 'absent' } | { status: 'active'; tagId: string; name: string } | { status: 'deleted'; tagId: string };

const DEFAULT_COLOUR = '#2c3e50';

function decide(command: TargetTagCommand, state: TargetTagState): TargetTagEvent[] {
  switch (command.type) {
    case 'create-target-tag': {
      if (state.status !== 'absent') throw new DomainError('target_tag_exists', `target tag ${command.tagId} already exists`);
      const name = command.name.trim();
      if (name.length === 0 || name.length > 64) throw new ValidationError('name must be 1 to 64 characters', [{ path: '/name', message: 'must be 1 to 64 characters' }]);
      const colour = checkColour(command.colour ?? DEFAULT_COLOUR);
      return [{ type: 'target-tag-created', data: { tagId: command.tagId, name, description: command.description ?? '', colour, by: command.by, at: command.at } }];
    }
    case 'update-target-tag': {
      if (state.status !== 'active') throw new DomainError('target_tag_not_found', 'no such target tag');
      if (command.name !== undefined && command.name.trim() !== state.name) throw new ValidationError('a tag keeps its name', [{ path: '/name', message: 'cannot change; create a new tag instead' }]);
      const data: TargetTagFields & { by: string; at: number } = { by: command.by, at: command.at };
      if (command.description !== undefined) data.description = command.description;
      if (command.colour !== undefined) data.colour = checkColour(command.colour);
      return [{ type: 'target-tag-updated', data }];
    }
    case 'delete-target-tag':
      if (state.status !== 'active') throw new DomainError('target_tag_not_found', 'no such target tag');
      return [{ type: 'target-tag-deleted', data: { name: state.name, by: command.by, at: command.at } }];
  }
}

function checkColour(colour: string): string {
  if (!COLOUR.test(colour)) throw new ValidationError(`colour "${colour}" is not #rgb or #rrggbb`, [{ path: '/colour', message: 'must be #rgb or #rrggbb' }]);
  return colour;
}

function evolve(state: TargetTagState, event: TargetTagEvent): TargetTagState {
  switch (event.type) {
    case 'target-tag-created':
      return { status: 'active', tagId: event.data.tagId, name: event.data.name };
    case 'target-tag-updated':
      return state;
    case 'target-tag-deleted':
      return state.status === 'active' ? { status: 'deleted', tagId: state.tagId } : state;
  }
}

export const targetTagDecider: Decider<TargetTagCommand, TargetTagState, TargetTagEvent> = { decide, evolve, initialState: { status: 'absent' } };
