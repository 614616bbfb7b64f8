import { parse } from 'yaml';
import { CliError } from './cli-context';

type Json = Record<string, unknown>;

/** Flags that fill or override the YAML (hawkBit's own fields). */
export interface RolloutFlags {
  name?: string;
  description?: string;
  distributionSet?: string;
  filter?: string;
  groups?: string;
  successThreshold?: string;
  errorThreshold?: string;
  errorCount?: string;
  errorAction?: string;
  type?: string;
  strategy?: string;
  maxParallel?: string;
}

export interface MappedRollout {
  body: Json;
  /** YAML keys the Management API has no field for: reported, never silently sent */
  ignored: string[];
}

/** One section's YAML keys (the seeds' snake_case) → the body's camelCase fields. */
const CANARY: Record<string, string> = { percentage: 'percentage', min_devices: 'minDevices', max_devices: 'maxDevices', soak_minutes: 'soakMinutes', require_human_approval_after: 'requireHumanApprovalAfter' };
const WAVE: Record<string, string> = { name: 'name', percentage: 'percentage', soak_minutes: 'soakMinutes', failure_threshold_percent: 'failureThresholdPercent', auto_rollback: 'autoRollback' };
const GLOBAL: Record<string, string> = { max_parallel_deploys: 'maxParallelDeploys', deploy_timeout_minutes: 'deployTimeoutMinutes', offline_device_policy: 'offlineDevicePolicy' };
const ROLLING: Record<string, string> = { max_unavailable: 'maxUnavailable', min_available: 'minAvailable', min_ready_seconds: 'minReadySeconds', progress_deadline_seconds: 'progressDeadlineSeconds', rollback_on_failure: 'rollbackOnFailure' };
const HEALTH_GATES: Record<string, string> = { enabled: 'enabled', preset: 'preset', canary_gate: 'canary_gate', wave_gate: 'wave_gate', completion_gate: 'completion_gate' };
const RATE_RAMP: Record<string, string> = { base_rate_per_minute: 'baseRatePerMinute', increment_factor: 'incrementFactor', notified_threshold: 'notifiedThreshold', succeeded_threshold: 'succeededThreshold' };
const MAINTENANCE: Record<string, string> = { schedule: 'schedule', duration: 'duration', timezone: 'timezone' };
/** Top-level keys of the `rollout:` block besides the sections above. */
const TOP: Record<string, string> = {
  name: 'name', description: 'description', distribution_set: 'distributionSetId', distribution_set_id: 'distributionSetId', target_filter: 'targetFilterQuery',
  target_filter_query: 'targetFilterQuery', type: 'type', strategy: 'strategy', amount_groups: 'amountGroups', max_parallel: 'maxParallel',
  maximum_per_minute: 'maximumPerMinute', deploy_timeout_minutes: 'deployTimeoutMinutes', retries: 'retries', success_mode: 'successMode', start_at: 'startAt', weight: 'weight',
};

/**
 * The seeds' rollout configuration (edge-fleet-rolling-strategies.md, "Wave Configuration") as the rollout
 * body's Rollgate extensions: canary → `canary`, waves → `waves`, global → `global`, with the strategy implied
 * (canary or waves: canary-waves; rolling: rolling). Keys the API has no field for (the seeds'
 * health_check_interval_seconds, health_check_retries) are listed in `ignored`, not sent.
 */
export function rolloutBodyFromYaml(text: string, flags: RolloutFlags = {}, required: readonly RequiredField[] = REQUIRED): MappedRollout {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new CliError('rollout_file_invalid', `the rollout file is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = asObject(document, '');
  const rollout = asObject(root.rollout ?? root, 'rollout');
  const ignored: string[] = [];
  const body: Json = {};
  for (const [key, value] of Object.entries(rollout)) {
    const at = `rollout.${key}`;
    if (key in TOP) body[TOP[key]] = value;
    else if (key === 'canary') body.canary = mapKeys(value, CANARY, at, ignored);
    else if (key === 'waves') body.waves = asArray(value, at).map((wave, i) => mapKeys(wave, WAVE, `${at}[${i}]`, ignored));
    else if (key === 'global') body.global = mapKeys(value, GLOBAL, at, ignored);
    else if (key === 'rolling') body.rolling = mapKeys(value, ROLLING, at, ignored);
    else if (key === 'health_gates') body.healthGates = mapKeys(value, HEALTH_GATES, at, ignored);
    else if (key === 'rollback_triggers') body.rollbackTriggers = value;
    else if (key === 'rate_ramp') body.rateRamp = mapKeys(value, RATE_RAMP, at, ignored);
    else if (key === 'maintenance_window') body.maintenanceWindow = mapKeys(value, MAINTENANCE, at, ignored);
    else if (key === 'error_threshold_percent') body.errorCondition = { condition: 'THRESHOLD', expression: String(value) };
    else if (key === 'error_threshold_count') body.errorCondition = { condition: 'COUNT', expression: String(value) };
    else if (key === 'success_threshold_percent') body.successCondition = { condition: 'THRESHOLD', expression: String(value) };
    else if (key === 'error_action') body.errorAction = { action: String(value).toUpperCase() };
    else ignored.push(at);
  }
  if (body.strategy === undefined && (body.canary !== undefined || body.waves !== undefined)) body.strategy = 'canary-waves';
  if (body.strategy === undefined && body.rolling !== undefined) body.strategy = 'rolling';
  return { body: applyFlags(body, flags, required), ignored };
}

type RequiredField = 'name' | 'distributionSetId' | 'targetFilterQuery';
const FLAG_OF: Record<RequiredField, string> = { name: '--name', distributionSetId: '--distribution-set', targetFilterQuery: '--filter' };
/** What creating needs; a dry run needs no name. */
export const REQUIRED: readonly RequiredField[] = ['name', 'distributionSetId', 'targetFilterQuery'];
export const REQUIRED_FOR_PLAN: readonly RequiredField[] = ['distributionSetId', 'targetFilterQuery'];

/** A rollout from flags alone (hawkBit's fields), or flags over a YAML body. */
export function applyFlags(base: Json, flags: RolloutFlags, required: readonly RequiredField[] = REQUIRED): Json {
  const body: Json = { ...base };
  if (flags.name) body.name = flags.name;
  if (flags.description) body.description = flags.description;
  if (flags.distributionSet) body.distributionSetId = flags.distributionSet;
  if (flags.filter) body.targetFilterQuery = flags.filter;
  if (flags.type) body.type = flags.type;
  if (flags.strategy) body.strategy = flags.strategy;
  if (flags.groups) body.amountGroups = positiveInteger(flags.groups, '--groups');
  if (flags.maxParallel) body.maxParallel = positiveInteger(flags.maxParallel, '--max-parallel');
  if (flags.successThreshold) body.successCondition = { condition: 'THRESHOLD', expression: flags.successThreshold };
  if (flags.errorThreshold) body.errorCondition = { condition: 'THRESHOLD', expression: flags.errorThreshold };
  if (flags.errorCount) body.errorCondition = { condition: 'COUNT', expression: flags.errorCount };
  if (flags.errorAction) body.errorAction = { action: flags.errorAction.toUpperCase() };
  for (const field of required) {
    if (body[field] === undefined || body[field] === '') throw new CliError('rollout_field_missing', `the rollout needs ${field}: give ${FLAG_OF[field]} or set it in the file`);
  }
  return body;
}

function mapKeys(value: unknown, names: Record<string, string>, at: string, ignored: string[]): Json {
  const mapped: Json = {};
  for (const [key, v] of Object.entries(asObject(value, at))) {
    if (key in names) mapped[names[key]] = v;
    else ignored.push(`${at}.${key}`);
  }
  return mapped;
}

function asObject(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError('rollout_file_invalid', `${at || 'the file'} must be a mapping`);
  return value as Json;
}

function asArray(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw new CliError('rollout_file_invalid', `${at} must be a list`);
  return value;
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError('invalid_flag', `${flag} must be a positive whole number, not "${text}"`);
  return n;
}
