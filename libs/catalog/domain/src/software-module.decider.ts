import { DomainError, type Decider, type DomainEvent } from '@rollgate/shared-domain';

/** hawkBit's standard module types, plus `runtime` (containers, interpreters) for service fleets. */
export const SOFTWARE_MODULE_TYPES = ['os', 'application', 'runtime'] as const;
export type SoftwareModuleType = (typeof SOFTWARE_MODULE_TYPES)[number];

export interface SoftwareModuleCreatedData {
  moduleId: string;
  name: string;
  version: string;
  type: SoftwareModuleType;
  description: string;
  vendor: string;
  by: string;
  at: number;
}

export type SoftwareModuleEvent =
  | DomainEvent<'software-module-created', SoftwareModuleCreatedData>
  | DomainEvent<'software-module-updated', { description?: string; vendor?: string; by: string; at: number }>
  | DomainEvent<'software-module-deleted', { by: string; at: number }>;

/**
 * The module id is derived by the caller from (type, name, version), so creating the same module twice lands
 * on the same stream and the log itself refuses the duplicate. Hence name, version and type never change.
 */
export type SoftwareModuleCommand =
  | { type: 'create-software-module'; moduleId: string; name: string; version: string; moduleType: string; description?: string; vendor?: string; by: string; at: number }
  | { type: 'update-software-module'; description?: string; vendor?: string; by: string; at: number }
  | { type: 'delete-software-module'; by: string; at: number };

export type SoftwareModuleState =
  | { status: 'absent' }
  | { status: 'active'; moduleId: string; name: string; version: string; type: SoftwareModuleType }
  | { status: 'deleted'; moduleId: string };

function decide(command: SoftwareModuleCommand, state: SoftwareModuleState): SoftwareModuleEvent[] {
  switch (command.type) {
    case 'create-software-module': {
      if (state.status === 'active') throw new DomainError('software_module_exists', `software module ${command.name} ${command.version} (${command.moduleType}) already exists`);
      const type = moduleType(command.moduleType);
      const { moduleId, name, version, by, at } = command;
      return [{ type: 'software-module-created', data: { moduleId, name, version, type, description: command.description ?? '', vendor: command.vendor ?? '', by, at } }];
    }
    case 'update-software-module': {
      if (state.status !== 'active') throw new DomainError('software_module_not_found', 'no such software module');
      const data: { description?: string; vendor?: string; by: string; at: number } = { by: command.by, at: command.at };
      if (command.description !== undefined) data.description = command.description;
      if (command.vendor !== undefined) data.vendor = command.vendor;
      return [{ type: 'software-module-updated', data }];
    }
    case 'delete-software-module':
      if (state.status !== 'active') throw new DomainError('software_module_not_found', 'no such software module');
      return [{ type: 'software-module-deleted', data: { by: command.by, at: command.at } }];
  }
}

function moduleType(value: string): SoftwareModuleType {
  const known = SOFTWARE_MODULE_TYPES.find((t) => t === value);
  if (!known) throw new DomainError('software_module_type_invalid', `type "${value}" is not one of ${SOFTWARE_MODULE_TYPES.join(', ')}`);
  return known;
}

function evolve(state: SoftwareModuleState, event: SoftwareModuleEvent): SoftwareModuleState {
  switch (event.type) {
    case 'software-module-created': {
      const { moduleId, name, version, type } = event.data;
      return { status: 'active', moduleId, name, version, type };
    }
    case 'software-module-updated':
      return state;
    case 'software-module-deleted':
      return state.status === 'active' ? { status: 'deleted', moduleId: state.moduleId } : state;
  }
}

export const softwareModuleDecider: Decider<SoftwareModuleCommand, SoftwareModuleState, SoftwareModuleEvent> = { decide, evolve, initialState: { status: 'absent' } };
