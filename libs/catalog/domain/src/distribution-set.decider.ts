import { DomainError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import type { SoftwareModuleType } from './software-module.decider';

export const DISTRIBUTION_SET_TYPES = ['os', 'app', 'os_app'] as const;
export type DistributionSetType = (typeof DISTRIBUTION_SET_TYPES)[number];

/** What the set needs to know of a module; the app looks them up (only active modules of the tenant). */
export interface ModuleRef {
  id: string;
  type: SoftwareModuleType;
}

export interface DistributionSetCreatedData {
  distributionSetId: string;
  name: string;
  version: string;
  type: DistributionSetType;
  description: string;
  requiredMigrationStep: boolean;
  modules: ModuleRef[];
  /** Rollgate: assignments and rollouts of this set are refused while one of its artifacts is unsigned */
  requireSignedArtifacts?: boolean;
  by: string;
  at: number;
}

export type DistributionSetEvent =
  | DomainEvent<'distribution-set-created', DistributionSetCreatedData>
  | DomainEvent<'distribution-set-updated', SetChanges & { by: string; at: number }>
  | DomainEvent<'distribution-set-deleted', { by: string; at: number }>;

interface SetChanges {
  description?: string;
  requiredMigrationStep?: boolean;
  requireSignedArtifacts?: boolean;
}

export type DistributionSetCommand =
  | {
      type: 'create-distribution-set';
      distributionSetId: string;
      name: string;
      version: string;
      setType: string;
      description?: string;
      requiredMigrationStep?: boolean;
      requireSignedArtifacts?: boolean;
      modules: ModuleRef[];
      by: string;
      at: number;
    }
  | (SetChanges & { type: 'update-distribution-set'; by: string; at: number })
  | { type: 'delete-distribution-set'; by: string; at: number };

export type DistributionSetState =
  | { status: 'absent' }
  | { status: 'active'; distributionSetId: string; name: string; version: string; type: DistributionSetType; modules: ModuleRef[] }
  | { status: 'deleted'; distributionSetId: string };

/** hawkBit's standard set types: `os` is one OS module, `app` one or more applications, `os_app` an OS plus applications. */
const COMPOSITION: Record<DistributionSetType, { os: [number, number]; application: [number, number]; runtime: [number, number] }> = {
  os: { os: [1, 1], application: [0, 0], runtime: [0, 0] },
  app: { os: [0, 0], application: [1, Infinity], runtime: [0, Infinity] },
  os_app: { os: [1, 1], application: [0, Infinity], runtime: [0, Infinity] },
};

function decide(command: DistributionSetCommand, state: DistributionSetState): DistributionSetEvent[] {
  switch (command.type) {
    case 'create-distribution-set': {
      if (state.status === 'active') throw new DomainError('distribution_set_exists', `distribution set ${command.name} ${command.version} already exists`);
      const type = setType(command.setType);
      checkComposition(type, command.modules);
      const { distributionSetId, name, version, modules, by, at } = command;
      return [{
        type: 'distribution-set-created',
        data: {
          distributionSetId, name, version, type, description: command.description ?? '', requiredMigrationStep: command.requiredMigrationStep ?? false, modules,
          ...(command.requireSignedArtifacts ? { requireSignedArtifacts: true } : {}), by, at,
        },
      }];
    }
    case 'update-distribution-set': {
      if (state.status !== 'active') throw new DomainError('distribution_set_not_found', 'no such distribution set');
      const data: SetChanges & { by: string; at: number } = { by: command.by, at: command.at };
      if (command.description !== undefined) data.description = command.description;
      if (command.requiredMigrationStep !== undefined) data.requiredMigrationStep = command.requiredMigrationStep;
      if (command.requireSignedArtifacts !== undefined) data.requireSignedArtifacts = command.requireSignedArtifacts;
      return [{ type: 'distribution-set-updated', data }];
    }
    case 'delete-distribution-set':
      if (state.status !== 'active') throw new DomainError('distribution_set_not_found', 'no such distribution set');
      return [{ type: 'distribution-set-deleted', data: { by: command.by, at: command.at } }];
  }
}

function setType(value: string): DistributionSetType {
  const known = DISTRIBUTION_SET_TYPES.find((t) => t === value);
  if (!known) throw new DomainError('distribution_set_type_invalid', `type "${value}" is not one of ${DISTRIBUTION_SET_TYPES.join(', ')}`);
  return known;
}

function checkComposition(type: DistributionSetType, modules: readonly ModuleRef[]): void {
  if (new Set(modules.map((m) => m.id)).size !== modules.length) throw new DomainError('distribution_set_modules_invalid', 'a module is listed twice');
  for (const [moduleType, [min, max]] of Object.entries(COMPOSITION[type])) {
    const count = modules.filter((m) => m.type === moduleType).length;
    if (count < min || count > max) {
      const range = max === Infinity ? `at least ${min}` : min === max ? `exactly ${min}` : `${min} to ${max}`;
      throw new DomainError('distribution_set_modules_invalid', `a distribution set of type ${type} needs ${range} ${moduleType} module(s), got ${count}`);
    }
  }
}

function evolve(state: DistributionSetState, event: DistributionSetEvent): DistributionSetState {
  switch (event.type) {
    case 'distribution-set-created': {
      const { distributionSetId, name, version, type, modules } = event.data;
      return { status: 'active', distributionSetId, name, version, type, modules };
    }
    case 'distribution-set-updated':
      return state;
    case 'distribution-set-deleted':
      return state.status === 'active' ? { status: 'deleted', distributionSetId: state.distributionSetId } : state;
  }
}

export const distributionSetDecider: Decider<DistributionSetCommand, DistributionSetState, DistributionSetEvent> = { decide, evolve, initialState: { status: 'absent' } };
