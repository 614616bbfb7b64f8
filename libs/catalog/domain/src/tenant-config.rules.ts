import { ValidationError } from '@rollgate/shared-domain';

export type ConfigValue = string | number | boolean;

interface ConfigKeyDef {
  kind: 'duration' | 'boolean' | 'count' | 'string';
  default: ConfigValue;
  /** secret values are shown only to callers allowed to read them (READ_GATEWAY_SECURITY_TOKEN) */
  secret?: boolean;
}

/** hawkBit's tenant configuration keys, plus Rollgate's approval defaults (`rollout.approval.*`). */
export const CONFIG_KEYS: Readonly<Record<string, ConfigKeyDef>> = {
  pollingTime: { kind: 'duration', default: '00:05:00' },
  pollingOverdueTime: { kind: 'duration', default: '00:05:00' },
  minPollingTime: { kind: 'duration', default: '00:00:30' },
  maintenanceWindowPollCount: { kind: 'count', default: 3 },
  'authentication.targettoken.enabled': { kind: 'boolean', default: false },
  'authentication.gatewaytoken.enabled': { kind: 'boolean', default: false },
  'authentication.gatewaytoken.key': { kind: 'string', default: '', secret: true },
  'authentication.header.enabled': { kind: 'boolean', default: false },
  'authentication.header.authority': { kind: 'string', default: '' },
  'anonymous.download.enabled': { kind: 'boolean', default: false },
  'rollout.approval.enabled': { kind: 'boolean', default: false },
  'rollout.approval.quorum': { kind: 'count', default: 1 },
  'rollout.approval.creatorMayApprove': { kind: 'boolean', default: false },
  'user.confirmation.flow.enabled': { kind: 'boolean', default: false },
};

const DURATION = /^([0-9]{2}):([0-5][0-9]):([0-5][0-9])$/;

export function configKeyDef(key: string): ConfigKeyDef {
  const def = CONFIG_KEYS[key];
  if (!def) throw new ValidationError(`unknown configuration key "${key}"`, [{ path: '/key', message: `must be one of ${Object.keys(CONFIG_KEYS).join(', ')}` }], 'config_key_unknown');
  return def;
}

/** Checks a value against its key's kind; answers it unchanged so the log holds exactly what was sent. */
export function checkConfigValue(key: string, value: unknown): ConfigValue {
  const def = configKeyDef(key);
  const refuse = (expected: string): never => {
    throw new ValidationError(`value of ${key} must be ${expected}`, [{ path: '/value', message: `must be ${expected}` }]);
  };
  switch (def.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? value : refuse('true or false');
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : refuse('a whole number >= 0');
    case 'string':
      return typeof value === 'string' && value.length <= 512 ? value : refuse('a string of at most 512 characters');
    case 'duration':
      return typeof value === 'string' && DURATION.test(value) ? value : refuse('a duration HH:mm:ss');
  }
}

/** Seconds of an `HH:mm:ss` duration. */
export function durationSeconds(value: string): number {
  const match = DURATION.exec(value);
  if (!match) throw new ValidationError(`"${value}" is not a duration HH:mm:ss`);
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}
