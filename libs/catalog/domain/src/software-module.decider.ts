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

/** An artifact attached to a module: the distributor holds the bytes (by sha256), the module names them. */
export interface ArtifactAddedData {
  artifactId: string;
  fileName: string;
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  /** the detached Ed25519 signature the distributor verified on upload; absent: unsigned */
  signature?: { algorithm: 'ed25519'; keyId: string; value: string };
  by: string;
  at: number;
}

export type SoftwareModuleEvent =
  | DomainEvent<'software-module-created', SoftwareModuleCreatedData>
  | DomainEvent<'software-module-artifact-added', ArtifactAddedData>
  | DomainEvent<'software-module-artifact-removed', { artifactId: string; by: string; at: number }>
  | DomainEvent<'software-module-updated', { description?: string; vendor?: string; by: string; at: number }>
  | DomainEvent<'software-module-deleted', { by: string; at: number }>;

/**
 * The module id is derived by the caller from (type, name, version), so creating the same module twice lands
 * on the same stream and the log itself refuses the duplicate. Hence name, version and type never change.
 */
export type SoftwareModuleCommand =
  | { type: 'create-software-module'; moduleId: string; name: string; version: string; moduleType: string; description?: string; vendor?: string; by: string; at: number }
  | { type: 'update-software-module'; description?: string; vendor?: string; by: string; at: number }
  | { type: 'delete-software-module'; by: string; at: number }
  | ({ type: 'add-artifact' } & ArtifactAddedData)
  | { type: 'remove-artifact'; artifactId: string; by: string; at: number };

export type SoftwareModuleState =
  | { status: 'absent' }
  | { status: 'active'; moduleId: string; name: string; version: string; type: SoftwareModuleType; artifacts: Readonly<Record<string, string>> }
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
    case 'add-artifact': {
      if (state.status !== 'active') throw new DomainError('software_module_not_found', 'no such software module');
      const { type: _type, ...data } = command;
      // A file name appears once per module (hawkBit): replacing content means deleting the old artifact first.
      if (Object.values(state.artifacts).includes(data.fileName)) throw new DomainError('artifact_exists', `the module already has an artifact named ${data.fileName}`);
      if (state.artifacts[data.artifactId] !== undefined) throw new DomainError('artifact_exists', `the module already has artifact ${data.artifactId}`);
      return [{ type: 'software-module-artifact-added', data }];
    }
    case 'remove-artifact':
      if (state.status !== 'active') throw new DomainError('software_module_not_found', 'no such software module');
      if (state.artifacts[command.artifactId] === undefined) throw new DomainError('artifact_not_found', `the module has no artifact ${command.artifactId}`);
      return [{ type: 'software-module-artifact-removed', data: { artifactId: command.artifactId, by: command.by, at: command.at } }];
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
      return { status: 'active', moduleId, name, version, type, artifacts: {} };
    }
    case 'software-module-updated':
      return state;
    case 'software-module-artifact-added':
      return state.status === 'active' ? { ...state, artifacts: { ...state.artifacts, [event.data.artifactId]: event.data.fileName } } : state;
    case 'software-module-artifact-removed': {
      if (state.status !== 'active') return state;
      const { [event.data.artifactId]: _removed, ...artifacts } = state.artifacts;
      return { ...state, artifacts };
    }
    case 'software-module-deleted':
      return state.status === 'active' ? { status: 'deleted', moduleId: state.moduleId } : state;
  }
}

export const softwareModuleDecider: Decider<SoftwareModuleCommand, SoftwareModuleState, SoftwareModuleEvent> = { decide, evolve, initialState: { status: 'absent' } };
