import { DomainError, ValidationError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import { checkConfigValue, configKeyDef, durationSeconds, type ConfigValue } from './tenant-config.rules';

export type TenantConfigEvent =
  | DomainEvent<'config-value-set', { key: string; value: ConfigValue; by: string; at: number }>
  | DomainEvent<'config-value-deleted', { key: string; by: string; at: number }>;

export type TenantConfigCommand =
  | { type: 'set-config-value'; key: string; value: unknown; by: string; at: number }
  | { type: 'delete-config-value'; key: string; by: string; at: number };

/** The tenant's explicitly set values; everything else takes its key's default. One stream per tenant. */
export interface TenantConfigState {
  values: Readonly<Record<string, ConfigValue>>;
}

function decide(command: TenantConfigCommand, state: TenantConfigState): TenantConfigEvent[] {
  switch (command.type) {
    case 'set-config-value': {
      const value = checkConfigValue(command.key, command.value);
      checkPollingOrder({ ...state.values, [command.key]: value });
      if (state.values[command.key] === value) return [];
      return [{ type: 'config-value-set', data: { key: command.key, value, by: command.by, at: command.at } }];
    }
    case 'delete-config-value':
      configKeyDef(command.key);
      if (!(command.key in state.values)) throw new DomainError('config_value_not_found', `${command.key} is not set (it has its default)`);
      return [{ type: 'config-value-deleted', data: { key: command.key, by: command.by, at: command.at } }];
  }
}

/** Devices would be told to poll faster than the tenant allows: refuse it (hawkBit does the same). */
function checkPollingOrder(values: Readonly<Record<string, ConfigValue>>): void {
  const polling = values.pollingTime;
  const minimum = values.minPollingTime;
  if (typeof polling === 'string' && typeof minimum === 'string' && durationSeconds(polling) < durationSeconds(minimum)) {
    throw new ValidationError(`pollingTime ${polling} is below minPollingTime ${minimum}`, [{ path: '/value', message: `must be at least minPollingTime ${minimum}` }]);
  }
}

function evolve(state: TenantConfigState, event: TenantConfigEvent): TenantConfigState {
  switch (event.type) {
    case 'config-value-set':
      return { values: { ...state.values, [event.data.key]: event.data.value } };
    case 'config-value-deleted': {
      const { [event.data.key]: _removed, ...rest } = state.values;
      return { values: rest };
    }
  }
}

export const tenantConfigDecider: Decider<TenantConfigCommand, TenantConfigState, TenantConfigEvent> = { decide, evolve, initialState: { values: {} } };
