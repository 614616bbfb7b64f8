import { Type, type Static } from '@sinclair/typebox';
import { parseMaintenanceWindow, type ActionType, type ErrorAction, type GroupConditions, type SuccessAction, type SuccessCondition } from '@rollgate/rollout-domain';
import { DomainError, ValidationError } from '@rollgate/shared-domain';

const Threshold = Type.Object({ condition: Type.Literal('THRESHOLD'), expression: Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' }) }, { additionalProperties: false });
/** Rollgate: an error condition as an absolute number of failed devices ("more than N"). */
const CountCondition = Type.Object({ condition: Type.Literal('COUNT'), expression: Type.String({ pattern: '^\\s*\\d+\\s*$' }) }, { additionalProperties: false });
const SuccessActionBody = Type.Object({ action: Type.Union([Type.Literal('NEXTGROUP'), Type.Literal('PAUSE')]), expression: Type.Optional(Type.String()) }, { additionalProperties: false });
const ErrorActionBody = Type.Object({ action: Type.Union([Type.Literal('PAUSE'), Type.Literal('STOP'), Type.Literal('ROLLBACK')]), expression: Type.Optional(Type.String()) }, { additionalProperties: false });
const ConditionFields = {
  successCondition: Type.Optional(Threshold),
  successAction: Type.Optional(SuccessActionBody),
  errorCondition: Type.Optional(Type.Union([Threshold, CountCondition])),
  errorAction: Type.Optional(ErrorActionBody),
};
const Filter = Type.String({ minLength: 1, maxLength: 4096 });
const Minutes = Type.Number({ minimum: 0, maximum: 7 * 24 * 60 });
const Percent = Type.Number({ exclusiveMinimum: 0, maximum: 100 });
const CountOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d+)?%$' })]);
const GateChecks = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Union([Type.Number(), Type.String({ maxLength: 128 }), Type.Boolean()]));

/** The seeds' canary block (edge-fleet-rolling-strategies.md), in the body's camelCase. */
const CanaryBody = Type.Object(
  {
    percentage: Type.Optional(Percent),
    minDevices: Type.Optional(Type.Integer({ minimum: 1 })),
    maxDevices: Type.Optional(Type.Integer({ minimum: 1 })),
    soakMinutes: Type.Optional(Minutes),
    requireHumanApprovalAfter: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const WaveBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    percentage: Percent,
    soakMinutes: Type.Optional(Minutes),
    failureThresholdPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    autoRollback: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const RollingBody = Type.Object(
  {
    maxUnavailable: CountOrPercent,
    minAvailable: Type.Optional(CountOrPercent),
    minReadySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    progressDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    rollbackOnFailure: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const GlobalBody = Type.Object(
  {
    maxParallelDeploys: Type.Optional(Type.Integer({ minimum: 1 })),
    deployTimeoutMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7 * 24 * 60 })),
    offlineDevicePolicy: Type.Optional(Type.Union([Type.Literal('skip_and_queue'), Type.Literal('wait')])),
  },
  { additionalProperties: false },
);
const HealthGatesBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    preset: Type.Optional(Type.Union([Type.Literal('default'), Type.Literal('strict'), Type.Literal('relaxed')])),
    canary_gate: Type.Optional(GateChecks),
    wave_gate: Type.Optional(GateChecks),
    completion_gate: Type.Optional(GateChecks),
  },
  { additionalProperties: false },
);
const RollbackTriggersBody = Type.Object(
  { enabled: Type.Boolean(), overrides: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Number())) },
  { additionalProperties: false },
);
const RateRampBody = Type.Object(
  {
    baseRatePerMinute: Type.Integer({ minimum: 1 }),
    incrementFactor: Type.Number({ minimum: 1, maximum: 5 }),
    notifiedThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
    succeededThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
const MaintenanceWindowBody = Type.Object(
  { schedule: Type.String({ minLength: 1, maxLength: 128 }), duration: Type.String({ minLength: 1, maxLength: 16 }), timezone: Type.String({ minLength: 1, maxLength: 16 }) },
  { additionalProperties: false },
);

/** Rollgate's extensions of the rollout body: how it is planned and how it runs (RolloutExecution). */
const ExtensionFields = {
  strategy: Type.Optional(Type.Union([Type.Literal('groups'), Type.Literal('canary-waves'), Type.Literal('rolling')])),
  canary: Type.Optional(CanaryBody),
  waves: Type.Optional(Type.Array(WaveBody, { minItems: 1, maxItems: 100 })),
  rolling: Type.Optional(RollingBody),
  global: Type.Optional(GlobalBody),
  healthGates: Type.Optional(HealthGatesBody),
  rollbackTriggers: Type.Optional(RollbackTriggersBody),
  maxParallel: Type.Optional(Type.Integer({ minimum: 1 })),
  maximumPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
  rateRamp: Type.Optional(RateRampBody),
  deployTimeoutMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7 * 24 * 60 })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  maintenanceWindow: Type.Optional(MaintenanceWindowBody),
  successMode: Type.Optional(Type.Union([Type.Literal('finished'), Type.Literal('verified')])),
};

/** hawkBit's rollout create body plus Rollgate's extensions (strategy, gates, pacing, timeouts, retries, window). */
export const CreateRolloutBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 512 })),
    distributionSetId: Type.Union([Type.String({ minLength: 1 }), Type.Integer()]),
    targetFilterQuery: Filter,
    amountGroups: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    groups: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            description: Type.Optional(Type.String({ maxLength: 512 })),
            targetFilterQuery: Type.Optional(Filter),
            targetPercentage: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
            ...ConditionFields,
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    ),
    ...ConditionFields,
    type: Type.Optional(Type.Union([Type.Literal('forced'), Type.Literal('soft'), Type.Literal('timeforced'), Type.Literal('downloadonly')])),
    forcetime: Type.Optional(Type.Integer({ minimum: 0 })),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    startAt: Type.Optional(Type.Integer({ minimum: 0 })),
    ...ExtensionFields,
  },
  { additionalProperties: false },
);
/** hawkBit's update body: name and description only (the plan is fixed once created). */
export const UpdateRolloutBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), description: Type.Optional(Type.String({ maxLength: 512 })) },
  { additionalProperties: false },
);
export type CreateRolloutRequest = Static<typeof CreateRolloutBody>;
export type ConditionsBody = Pick<CreateRolloutRequest, 'successCondition' | 'successAction' | 'errorCondition' | 'errorAction'>;

export type UpdateRolloutRequest = Static<typeof UpdateRolloutBody>;
type Issue = { path: string; message: string };

/** Cross-field rules JSON Schema cannot say well; each names its field so a client can fix it directly. */
export function checkCreateRules(body: CreateRolloutRequest): void {
  const issues: Issue[] = [];
  if (body.amountGroups !== undefined && body.groups !== undefined) issues.push({ path: '/groups', message: 'give either amountGroups or groups, not both' });
  if ((body.type ?? 'forced') === 'timeforced' && body.forcetime === undefined) issues.push({ path: '/forcetime', message: 'is required for a timeforced rollout' });
  const checkThresholds = (c: ConditionsBody, at: string) => {
    for (const key of ['successCondition', 'errorCondition'] as const) {
      const condition = c[key];
      if (condition?.condition === 'THRESHOLD' && parseFloat(condition.expression) > 100) issues.push({ path: `${at}/${key}/expression`, message: 'is a percentage from 0 to 100' });
    }
  };
  checkThresholds(body, '');
  body.groups?.forEach((group, i) => checkThresholds(group, `/groups/${i}`));
  issues.push(...strategyIssues(body), ...executionIssues(body));
  if (issues.length > 0) throw new ValidationError(`invalid request body: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}

/** Each strategy takes its own block and refuses the others' (a silently ignored block would surprise). */
function strategyIssues(body: CreateRolloutRequest): Issue[] {
  const strategy = body.strategy ?? 'groups';
  const issues: Issue[] = [];
  const only = (field: 'canary' | 'waves' | 'rolling' | 'amountGroups' | 'groups', allowed: string) => {
    if (body[field] !== undefined && strategy !== allowed) issues.push({ path: `/${field}`, message: `is only for strategy ${allowed}` });
  };
  only('canary', 'canary-waves');
  only('waves', 'canary-waves');
  only('rolling', 'rolling');
  only('amountGroups', 'groups');
  only('groups', 'groups');
  if (strategy === 'canary-waves' && body.waves === undefined) issues.push({ path: '/waves', message: 'is required for strategy canary-waves' });
  if (strategy === 'rolling' && body.rolling === undefined) issues.push({ path: '/rolling', message: 'is required for strategy rolling' });
  const canary = body.canary;
  if (canary?.minDevices !== undefined && canary.maxDevices !== undefined && canary.minDevices > canary.maxDevices) {
    issues.push({ path: '/canary/minDevices', message: 'must not exceed maxDevices' });
  }
  const names = new Set<string>();
  body.waves?.forEach((wave, i) => {
    if (names.has(wave.name) || wave.name === 'canary') issues.push({ path: `/waves/${i}/name`, message: 'must be unique (and not "canary")' });
    names.add(wave.name);
  });
  for (const key of ['maxUnavailable', 'minAvailable'] as const) {
    const value = body.rolling?.[key];
    if (typeof value === 'string' && parseFloat(value) > 100) issues.push({ path: `/rolling/${key}`, message: 'is a percentage from 0 to 100' });
  }
  return issues;
}

/** Pacing, timeouts and windows: one place for each setting, and values the scheduler can run. */
function executionIssues(body: CreateRolloutRequest): Issue[] {
  const issues: Issue[] = [];
  if (body.maxParallel !== undefined && body.global?.maxParallelDeploys !== undefined) issues.push({ path: '/maxParallel', message: 'give either maxParallel or global.maxParallelDeploys, not both' });
  if (body.deployTimeoutMinutes !== undefined && body.global?.deployTimeoutMinutes !== undefined) {
    issues.push({ path: '/deployTimeoutMinutes', message: 'give either deployTimeoutMinutes or global.deployTimeoutMinutes, not both' });
  }
  if (body.rateRamp !== undefined && body.maximumPerMinute === undefined) issues.push({ path: '/rateRamp', message: 'needs maximumPerMinute (the ramp\'s ceiling)' });
  if (body.rateRamp && body.maximumPerMinute !== undefined && body.rateRamp.baseRatePerMinute > body.maximumPerMinute) {
    issues.push({ path: '/rateRamp/baseRatePerMinute', message: 'must not exceed maximumPerMinute' });
  }
  if (body.maintenanceWindow) {
    try {
      parseMaintenanceWindow(body.maintenanceWindow);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      issues.push({ path: '/maintenanceWindow', message: error.message });
    }
  }
  return issues;
}

/**
 * A group's conditions: its own fields, else the rollout's, else hawkBit's defaults (success when 100 %
 * finished, then the next group; pause when more than 100 % failed, which never happens unless asked).
 * A THRESHOLD error condition is a percentage (hawkBit), a COUNT one a number of failed devices (Rollgate).
 */
export function conditionsOf(group: ConditionsBody, rollout: ConditionsBody, actionType: ActionType, successMode: SuccessCondition['mode'] = 'finished'): GroupConditions {
  const success = group.successCondition ?? rollout.successCondition;
  const error = group.errorCondition ?? rollout.errorCondition;
  return {
    success: { threshold: success ? parseFloat(success.expression) : 100, mode: successMode },
    successAction: (group.successAction ?? rollout.successAction)?.action ?? ('NEXTGROUP' satisfies SuccessAction),
    error: error?.condition === 'COUNT' ? { kind: 'count', threshold: parseInt(error.expression, 10) } : { kind: 'percentage', threshold: error ? parseFloat(error.expression) : 100 },
    errorAction: (group.errorAction ?? rollout.errorAction)?.action ?? ('PAUSE' satisfies ErrorAction),
    actionType,
  };
}
