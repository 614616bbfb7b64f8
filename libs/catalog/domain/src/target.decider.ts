import { DomainError, ValidationError, type Decider, type DomainEvent } from '@rollgate/shared-domain';

/** Controller ids become stream ids and URL segments; this alphabet is safe in both. */
const CONTROLLER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SECURITY_TOKEN = /^[A-Za-z0-9]{1,128}$/;

export interface TargetFields {
  name: string;
  description: string;
  address: string | null;
}

export interface TargetCreatedData extends TargetFields {
  controllerId: string;
  securityToken: string;
  by: string;
  at: number;
}

export type AttributesMode = 'merge' | 'replace' | 'remove';

/**
 * hawkBit's auto-confirmation of a target: while active, every action that needs the user's consent is
 * confirmed on the user's behalf. `initiator` and `remark` are what the activating party said (either may be
 * absent); `activatedBy` is who activated it (an operator, or the device itself over DDI).
 */
export interface AutoConfirmation {
  initiator: string | null;
  remark: string | null;
  activatedAt: number;
  activatedBy: string;
}

/** hawkBit's column sizes for the initiator and the remark. */
export const AUTO_CONFIRM_INITIATOR_MAX = 64;
export const AUTO_CONFIRM_REMARK_MAX = 255;

export type TargetEvent =
  | DomainEvent<'target-created', TargetCreatedData>
  | DomainEvent<'target-updated', Partial<TargetFields> & { securityToken?: string; by: string; at: number }>
  | DomainEvent<'target-attributes-updated', { mode: AttributesMode; data: Record<string, string>; at: number }>
  | DomainEvent<'target-deleted', { by: string; at: number }>
  | DomainEvent<'target-tagged', { tagId: string; tagName: string; by: string; at: number }>
  | DomainEvent<'target-untagged', { tagId: string; tagName: string; by: string; at: number }>
  | DomainEvent<'target-auto-confirm-activated', { initiator: string | null; remark: string | null; by: string; at: number }>
  | DomainEvent<'target-auto-confirm-deactivated', { by: string; at: number }>;

export type TargetCommand =
  | { type: 'create-target'; controllerId: string; name?: string; description?: string; address?: string | null; securityToken: string; by: string; at: number }
  | { type: 'update-target'; name?: string; description?: string; address?: string | null; securityToken?: string; by: string; at: number }
  /** from the device (DDI configData): hawkBit's merge, replace and remove */
  | { type: 'update-target-attributes'; mode: AttributesMode; data: Record<string, string>; at: number }
  | { type: 'delete-target'; by: string; at: number }
  /** the app has checked that the tag exists in the tenant */
  | { type: 'tag-target'; tagId: string; tagName: string; by: string; at: number }
  | { type: 'untag-target'; tagId: string; by: string; at: number }
  /** hawkBit's autoConfirm/activate (Management API and DDI); empty strings count as absent */
  | { type: 'activate-auto-confirm'; initiator?: string | null; remark?: string | null; by: string; at: number }
  | { type: 'deactivate-auto-confirm'; by: string; at: number };

interface TargetData extends TargetFields {
  controllerId: string;
  securityToken: string;
  attributes: Readonly<Record<string, string>>;
  /** tag id → tag name */
  tags: Readonly<Record<string, string>>;
  autoConfirm: AutoConfirmation | null;
}

export type TargetState = { status: 'absent' } | ({ status: 'registered' } & TargetData) | { status: 'deleted'; controllerId: string };

function decide(command: TargetCommand, state: TargetState): TargetEvent[] {
  switch (command.type) {
    case 'create-target': {
      // A deleted target may be created again under the same id, as in hawkBit.
      if (state.status === 'registered') throw new DomainError('target_exists', `target ${command.controllerId} already exists`);
      checkControllerId(command.controllerId);
      checkToken(command.securityToken);
      const { controllerId, securityToken, by, at } = command;
      return [{ type: 'target-created', data: { controllerId, name: command.name ?? controllerId, description: command.description ?? '', address: command.address ?? null, securityToken, by, at } }];
    }
    case 'update-target': {
      requireRegistered(state);
      if (command.securityToken !== undefined) checkToken(command.securityToken);
      const changes = definedOnly({ name: command.name, description: command.description, address: command.address, securityToken: command.securityToken });
      return [{ type: 'target-updated', data: { ...changes, by: command.by, at: command.at } }];
    }
    case 'update-target-attributes':
      requireRegistered(state);
      return [{ type: 'target-attributes-updated', data: { mode: command.mode, data: command.data, at: command.at } }];
    case 'delete-target':
      requireRegistered(state);
      return [{ type: 'target-deleted', data: { by: command.by, at: command.at } }];
    case 'tag-target':
      requireRegistered(state);
      // Tagging twice changes nothing (hawkBit answers the target as assigned either way).
      if (state.tags[command.tagId] !== undefined) return [];
      return [{ type: 'target-tagged', data: { tagId: command.tagId, tagName: command.tagName, by: command.by, at: command.at } }];
    case 'untag-target': {
      requireRegistered(state);
      const tagName = state.tags[command.tagId];
      if (tagName === undefined) throw new DomainError('target_tag_assignment_not_found', `target ${state.controllerId} does not have tag ${command.tagId}`);
      return [{ type: 'target-untagged', data: { tagId: command.tagId, tagName, by: command.by, at: command.at } }];
    }
    case 'activate-auto-confirm': {
      requireRegistered(state);
      // hawkBit refuses a second activation (AutoConfirmationAlreadyActiveException, 409).
      if (state.autoConfirm) throw new DomainError('auto_confirm_already_active', `auto-confirmation is already active for target ${state.controllerId}`);
      const initiator = presentOrNull(command.initiator);
      const remark = presentOrNull(command.remark);
      checkAutoConfirmText(initiator, remark);
      return [{ type: 'target-auto-confirm-activated', data: { initiator, remark, by: command.by, at: command.at } }];
    }
    case 'deactivate-auto-confirm':
      requireRegistered(state);
      // Deactivating an inactive auto-confirmation succeeds and changes nothing, as in hawkBit.
      if (!state.autoConfirm) return [];
      return [{ type: 'target-auto-confirm-deactivated', data: { by: command.by, at: command.at } }];
  }
}

function presentOrNull(value: string | null | undefined): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value : null;
}

function checkAutoConfirmText(initiator: string | null, remark: string | null): void {
  const issues: Array<{ path: string; message: string }> = [];
  if (initiator !== null && initiator.length > AUTO_CONFIRM_INITIATOR_MAX) issues.push({ path: '/initiator', message: `must be at most ${AUTO_CONFIRM_INITIATOR_MAX} characters` });
  if (remark !== null && remark.length > AUTO_CONFIRM_REMARK_MAX) issues.push({ path: '/remark', message: `must be at most ${AUTO_CONFIRM_REMARK_MAX} characters` });
  if (issues.length > 0) throw new ValidationError(`auto-confirmation ${issues.map((i) => `${i.path.slice(1)} ${i.message}`).join('; ')}`, issues);
}

function requireRegistered(state: TargetState): asserts state is Extract<TargetState, { status: 'registered' }> {
  if (state.status !== 'registered') throw new DomainError('target_not_found', 'no such target');
}

function checkControllerId(controllerId: string): void {
  if (!CONTROLLER_ID.test(controllerId)) {
    throw new ValidationError(`controllerId "${controllerId}" is invalid`, [{ path: '/controllerId', message: 'must be 1-128 of A-Z a-z 0-9 . _ : - starting with a letter or digit' }]);
  }
}

function checkToken(token: string): void {
  if (!SECURITY_TOKEN.test(token)) throw new ValidationError('securityToken is invalid', [{ path: '/securityToken', message: 'must be 1-128 letters or digits' }]);
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function applyAttributes(current: Readonly<Record<string, string>>, mode: AttributesMode, data: Readonly<Record<string, string>>): Record<string, string> {
  switch (mode) {
    case 'merge':
      return { ...current, ...data };
    case 'replace':
      return { ...data };
    case 'remove':
      return Object.fromEntries(Object.entries(current).filter(([key]) => !(key in data)));
  }
}

function evolve(state: TargetState, event: TargetEvent): TargetState {
  switch (event.type) {
    case 'target-created': {
      const { controllerId, name, description, address, securityToken } = event.data;
      return { status: 'registered', controllerId, name, description, address, securityToken, attributes: {}, tags: {}, autoConfirm: null };
    }
    case 'target-updated': {
      if (state.status !== 'registered') return state;
      const { by: _by, at: _at, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'target-attributes-updated':
      return state.status === 'registered' ? { ...state, attributes: applyAttributes(state.attributes, event.data.mode, event.data.data) } : state;
    case 'target-deleted':
      return state.status === 'registered' ? { status: 'deleted', controllerId: state.controllerId } : state;
    case 'target-tagged':
      return state.status === 'registered' ? { ...state, tags: { ...state.tags, [event.data.tagId]: event.data.tagName } } : state;
    case 'target-untagged': {
      if (state.status !== 'registered') return state;
      const { [event.data.tagId]: _removed, ...tags } = state.tags;
      return { ...state, tags };
    }
    case 'target-auto-confirm-activated': {
      if (state.status !== 'registered') return state;
      const { initiator, remark, by, at } = event.data;
      return { ...state, autoConfirm: { initiator, remark, activatedAt: at, activatedBy: by } };
    }
    case 'target-auto-confirm-deactivated':
      return state.status === 'registered' ? { ...state, autoConfirm: null } : state;
  }
}

export const targetDecider: Decider<TargetCommand, TargetState, TargetEvent> = { decide, evolve, initialState: { status: 'absent' } };
