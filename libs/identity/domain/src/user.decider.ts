import { DomainError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import { checkSecretHash, checkUsername, grantable } from './identity.rules';
import type { Permission } from './permissions';

export interface UserCreatedData {
  tenant: string;
  username: string;
  passwordHash: string;
  permissions: Permission[];
  createdBy: string;
  at: number;
}

export type UserEvent =
  | DomainEvent<'user-created', UserCreatedData>
  | DomainEvent<'user-password-changed', { passwordHash: string; by: string; at: number }>
  | DomainEvent<'user-permissions-changed', { permissions: Permission[]; by: string; at: number }>
  | DomainEvent<'user-disabled', { by: string; at: number }>;

export type UserCommand =
  | { type: 'create-user'; tenant: string; username: string; passwordHash: string; permissions: string[]; by: string; at: number }
  | { type: 'change-password'; passwordHash: string; by: string; at: number }
  | { type: 'change-permissions'; permissions: string[]; by: string; at: number }
  | { type: 'disable-user'; by: string; at: number };

interface UserData {
  tenant: string;
  username: string;
  passwordHash: string;
  permissions: Permission[];
}

export type UserState = { status: 'absent' } | ({ status: 'active' } & UserData) | ({ status: 'disabled' } & UserData);

function decide(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'create-user': {
      if (state.status !== 'absent') throw new DomainError('user_exists', `user ${command.username} already exists`);
      checkUsername(command.username);
      checkSecretHash(command.passwordHash, 'password');
      const { tenant, username, passwordHash, by, at } = command;
      return [{ type: 'user-created', data: { tenant, username, passwordHash, permissions: grantable(command.permissions), createdBy: by, at } }];
    }
    case 'change-password':
      requireActive(state);
      checkSecretHash(command.passwordHash, 'password');
      return [{ type: 'user-password-changed', data: { passwordHash: command.passwordHash, by: command.by, at: command.at } }];
    case 'change-permissions':
      requireActive(state);
      return [{ type: 'user-permissions-changed', data: { permissions: grantable(command.permissions), by: command.by, at: command.at } }];
    case 'disable-user':
      requireActive(state);
      return [{ type: 'user-disabled', data: { by: command.by, at: command.at } }];
  }
}

function requireActive(state: UserState): asserts state is Extract<UserState, { status: 'active' }> {
  if (state.status === 'absent') throw new DomainError('user_not_found', 'no such user');
  if (state.status === 'disabled') throw new DomainError('user_disabled', `user ${state.username} is disabled`);
}

function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'user-created': {
      const { tenant, username, passwordHash, permissions } = event.data;
      return { status: 'active', tenant, username, passwordHash, permissions };
    }
    case 'user-password-changed':
      return state.status === 'absent' ? state : { ...state, passwordHash: event.data.passwordHash };
    case 'user-permissions-changed':
      return state.status === 'absent' ? state : { ...state, permissions: event.data.permissions };
    case 'user-disabled':
      return state.status === 'absent' ? state : { ...state, status: 'disabled' };
  }
}

export const userDecider: Decider<UserCommand, UserState, UserEvent> = { decide, evolve, initialState: { status: 'absent' } };
