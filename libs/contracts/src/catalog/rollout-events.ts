import { Type, type TObject } from '@sinclair/typebox';
import { eventType } from '../event-type';

/**
 * The rollout events rollout-planner appends (types `io.rollgate.rollout.<event>.v1`). Two kinds of stream
 * carry them: `rollout-<rolloutId>` (the rollout decider's events) and `rolloutgroup-<groupId>` (the group
 * decider's: creation, membership in chunks of target ids, readiness). Membership is never one event per
 * target: a group's targets arrive in `group-members-added` chunks numbered from 0.
 * Payloads are produced by @rollgate/rollout-domain; a planner spec checks its output against these schemas.
 */
const At = { at: Type.Integer() };
const By = { by: Type.String(), ...At };
const Opt = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(schema);

const PlanSummary = Type.Object({
  hash: Type.String(),
  /** the shuffle seed, so the same plan can be recomputed and explained later */
  seed: Type.String(),
  groups: Type.Array(Type.Object({ groupId: Type.String(), name: Type.String(), size: Type.Integer({ minimum: 0 }) })),
});
const ApprovalPolicy = Type.Object({ enabled: Type.Boolean(), quorum: Type.Integer({ minimum: 1 }), creatorMayApprove: Type.Boolean(), validForMs: Opt(Type.Integer()) });
const ActionType = Type.Union([Type.Literal('forced'), Type.Literal('soft'), Type.Literal('timeforced'), Type.Literal('downloadonly')]);
const Conditions = Type.Object({
  success: Type.Object({ threshold: Type.Number(), mode: Type.Union([Type.Literal('finished'), Type.Literal('verified')]) }),
  successAction: Type.Union([Type.Literal('NEXTGROUP'), Type.Literal('PAUSE')]),
  error: Type.Object({ kind: Type.Union([Type.Literal('percentage'), Type.Literal('count')]), threshold: Type.Number() }),
  errorAction: Type.Union([Type.Literal('PAUSE'), Type.Literal('STOP'), Type.Literal('ROLLBACK')]),
  actionType: ActionType,
  healthGate: Opt(Type.String()),
});
const Execution = Type.Object({
  strategy: Type.Union([Type.Literal('groups'), Type.Literal('canary-waves'), Type.Literal('rolling')]),
  soakMs: Type.Array(Type.Integer({ minimum: 0 })),
  maxParallel: Opt(Type.Integer({ minimum: 1 })),
  rate: Opt(Type.Object({ maximumPerMinute: Type.Integer({ minimum: 1 }), ramp: Opt(Type.Object({ baseRatePerMinute: Type.Integer({ minimum: 1 }), incrementFactor: Type.Number({ minimum: 1 }), notifiedThreshold: Opt(Type.Integer({ minimum: 1 })), succeededThreshold: Opt(Type.Integer({ minimum: 1 })) })) })),
  deployTimeoutMs: Opt(Type.Integer({ minimum: 1 })),
  maxAttempts: Type.Integer({ minimum: 1 }),
  maintenanceWindow: Opt(Type.Object({ schedule: Type.String(), duration: Type.String(), timezone: Type.String() })),
  healthGates: Opt(Type.Record(Type.String(), Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])))),
  healthPreset: Opt(Type.Union([Type.Literal('default'), Type.Literal('strict'), Type.Literal('relaxed')])),
  rollbackTriggers: Opt(Type.Object({ enabled: Type.Boolean(), overrides: Opt(Type.Record(Type.String(), Type.Number())) })),
  pauseAfterCanary: Opt(Type.Boolean()),
  offlinePolicy: Type.Union([Type.Literal('skip_and_queue'), Type.Literal('wait')]),
});

export const RolloutEventSchemas = {
  rollout: {
    'rollout-created': Type.Object({
      rolloutId: Type.String(), name: Type.String(), description: Type.String(), targetFilterQuery: Type.String(), distributionSetId: Type.String(),
      plan: PlanSummary, actionType: ActionType, forceTime: Opt(Type.Integer()), weight: Type.Integer(), startAt: Opt(Type.Integer()), execution: Opt(Execution),
      approvalPolicy: ApprovalPolicy, approvalRequired: Type.Boolean(), createdBy: Type.String(), ...At,
    }),
    'rollout-ready': Type.Object(At),
    'rollout-approval-requested': Type.Object({ planHash: Type.String(), quorum: Type.Integer(), ...At }),
    'rollout-approval-given': Type.Object({ approver: Type.String(), remark: Type.String(), planHash: Type.String(), expiresAt: Opt(Type.Integer()), ...At }),
    'rollout-approved': Type.Object({ approvers: Type.Array(Type.String()), planHash: Type.String(), expiresAt: Opt(Type.Integer()), ...At }),
    'rollout-approval-denied': Type.Object({ approver: Type.String(), remark: Type.String(), ...At }),
    'rollout-start-scheduled': Type.Object({ startAt: Type.Integer(), ...By }),
    'rollout-starting': Type.Object(By),
    'rollout-paused': Type.Object({ reason: Type.Union([Type.Literal('manual'), Type.Literal('success-action'), Type.Literal('error-action'), Type.Literal('success-condition-not-met')]), by: Opt(Type.String()), groupId: Opt(Type.String()), ...At }),
    'rollout-resumed': Type.Object(By),
    'rollout-group-triggered': Type.Object({ groupId: Type.String(), index: Type.Integer(), reason: Type.String(), ...At }),
    'rollout-finished': Type.Object(At),
    'rollout-updated': Type.Object({ name: Opt(Type.String()), description: Opt(Type.String()), plan: Opt(PlanSummary), ...By }),
    'rollout-approval-voided': Type.Object({ reason: Type.Literal('plan-changed'), planHash: Type.String(), ...At }),
    'rollout-approval-expired': Type.Object(At),
    'rollout-stopping': Type.Object({ reason: Type.Union([Type.Literal('manual'), Type.Literal('emergency'), Type.Literal('rollback')]), by: Opt(Type.String()), groupId: Opt(Type.String()), ...At }),
    'rollout-stopped': Type.Object(At),
    'rollout-retry-requested': Type.Object({ newRolloutId: Type.String(), name: Type.String(), failedTargets: Type.Integer({ minimum: 1 }), ...By }),
    'rollout-deleting': Type.Object(By),
    'rollout-deleted': Type.Object({ hard: Type.Boolean(), ...At }),
    'group-created': Type.Object({ groupId: Type.String(), rolloutId: Type.String(), index: Type.Integer({ minimum: 0 }), name: Type.String(), conditions: Conditions, ...At }),
    'group-members-added': Type.Object({ chunk: Type.Integer({ minimum: 0 }), targetIds: Type.Array(Type.String(), { minItems: 1 }), ...At }),
    'group-ready': Type.Object({ size: Type.Integer({ minimum: 0 }), firstActionId: Type.Integer({ minimum: 1 }), ...At }),
  },
} satisfies Record<string, Record<string, TObject>>;

/** Every rollout event type rollout-planner appends, with its schema. */
export const ROLLOUT_EVENT_TYPES: ReadonlyArray<{ type: string; aggregate: 'rollout'; event: string; schema: TObject }> = Object.entries(RolloutEventSchemas.rollout).map(
  ([event, schema]) => ({ type: eventType('rollout', event), aggregate: 'rollout', event, schema }),
);
