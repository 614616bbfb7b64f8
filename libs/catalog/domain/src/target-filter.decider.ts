import { compileFilter } from '@rollgate/filter-domain';
import { DomainError, ValidationError, type Decider, type DomainEvent } from '@rollgate/shared-domain';

export type TargetFilterEvent =
  | DomainEvent<'target-filter-created', { filterId: string; name: string; query: string; by: string; at: number }>
  | DomainEvent<'target-filter-updated', { name?: string; query?: string; by: string; at: number }>
  | DomainEvent<'target-filter-deleted', { by: string; at: number }>;

export type TargetFilterCommand =
  | { type: 'create-target-filter'; filterId: string; name: string; query: string; by: string; at: number }
  | { type: 'update-target-filter'; name?: string; query?: string; by: string; at: number }
  | { type: 'delete-target-filter'; by: string; at: number };

export type TargetFilterState = { status: 'absent' } | { status: 'active'; filterId: string; name: string; query: string } | { status: 'deleted'; filterId: string };

function decide(command: TargetFilterCommand, state: TargetFilterState): TargetFilterEvent[] {
  switch (command.type) {
    case 'create-target-filter': {
      if (state.status !== 'absent') throw new DomainError('target_filter_exists', `target filter ${command.filterId} already exists`);
      checkName(command.name);
      checkQuery(command.query);
      const { filterId, name, query, by, at } = command;
      return [{ type: 'target-filter-created', data: { filterId, name, query, by, at } }];
    }
    case 'update-target-filter': {
      if (state.status !== 'active') throw new DomainError('target_filter_not_found', 'no such target filter');
      const data: { name?: string; query?: string; by: string; at: number } = { by: command.by, at: command.at };
      if (command.name !== undefined) data.name = checkName(command.name);
      if (command.query !== undefined) data.query = checkQuery(command.query);
      return [{ type: 'target-filter-updated', data }];
    }
    case 'delete-target-filter':
      if (state.status !== 'active') throw new DomainError('target_filter_not_found', 'no such target filter');
      return [{ type: 'target-filter-deleted', data: { by: command.by, at: command.at } }];
  }
}

function checkName(name: string): string {
  if (name.trim().length === 0) throw new ValidationError('name must not be blank', [{ path: '/name', message: 'must not be blank' }]);
  return name;
}

/** A stored filter must compile; the parser's FilterError names the position of the problem. */
function checkQuery(query: string): string {
  if (query.trim().length === 0) throw new ValidationError('query must not be blank', [{ path: '/query', message: 'must not be blank' }]);
  compileFilter(query);
  return query;
}

function evolve(state: TargetFilterState, event: TargetFilterEvent): TargetFilterState {
  switch (event.type) {
    case 'target-filter-created':
      return { status: 'active', filterId: event.data.filterId, name: event.data.name, query: event.data.query };
    case 'target-filter-updated':
      return state.status === 'active' ? { ...state, name: event.data.name ?? state.name, query: event.data.query ?? state.query } : state;
    case 'target-filter-deleted':
      return state.status === 'active' ? { status: 'deleted', filterId: state.filterId } : state;
  }
}

export const targetFilterDecider: Decider<TargetFilterCommand, TargetFilterState, TargetFilterEvent> = { decide, evolve, initialState: { status: 'absent' } };
