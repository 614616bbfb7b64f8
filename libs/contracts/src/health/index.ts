import { Type, type Static, type TObject } from '@sinclair/typebox';
import { eventType } from '../event-type';

/**
 * Event payloads health-evaluator appends to `health-<rolloutId>` (aggregate `health`, types
 * `io.rollgate.health.<event>.v1`; see docs/event-flow.md, steps 6 and 7). Every conclusion carries its
 * evidence (sample counts, values, baselines, thresholds, windows) so an auditor can recompute it from the
 * log. The evidence's inner shape is documented by @rollgate/health-domain (GateEvidence, CohortBaseline,
 * the trigger and verification evidence); here it is an object, so that adding a figure is not a breaking
 * change of the envelope the scheduler reads.
 */
const At = { rolloutId: Type.String({ minLength: 1 }), at: Type.Integer() };
const Evidence = Type.Record(Type.String(), Type.Unknown());
const Window = Type.Object({ from: Type.Integer(), to: Type.Integer() });
export const HEALTH_VERDICTS = ['PASS', 'FAIL', 'CAUTION', 'INCONCLUSIVE'] as const;
export const ROLLBACK_ACTIONS = ['rollback_device', 'rollback_wave', 'rollback_all', 'rollback_affected', 'halt_and_assess'] as const;
const Verdict = Type.Union(HEALTH_VERDICTS.map((v) => Type.Literal(v)));
const Action = Type.Union(ROLLBACK_ACTIONS.map((a) => Type.Literal(a)));
const DeviceOutcome = Type.Object({
  ...At,
  groupId: Type.String(),
  controllerId: Type.String({ minLength: 1 }),
  actionId: Type.Integer({ minimum: 1 }),
  runningVersion: Type.Optional(Type.String()),
  evidence: Evidence,
});

export const HealthEventSchemas = {
  health: {
    /** per cohort (group × device type × version): mean, p50, p95, p99, stddev, trend of each metric over the last 24 h */
    'baselines-captured': Type.Object({ ...At, cohorts: Type.Array(Evidence), excluded: Type.Array(Window), bucketMs: Type.Integer({ minimum: 1 }) }),
    /** the answer to `group-gate-requested`; `requestId` is that event's id */
    'gate-evaluated': Type.Object({
      ...At,
      groupId: Type.String({ minLength: 1 }),
      gate: Type.String(),
      requestId: Type.String(),
      verdictId: Type.String({ minLength: 1 }),
      verdict: Verdict,
      reason: Type.String(),
      evidence: Evidence,
    }),
    'rollback-triggered': Type.Object({
      ...At,
      triggerId: Type.String({ minLength: 1 }),
      groupId: Type.Optional(Type.String()),
      trigger: Type.String(),
      kind: Type.Union([Type.Literal('immediate'), Type.Literal('threshold'), Type.Literal('trend')]),
      scope: Type.Union([Type.Literal('single_device'), Type.Literal('current_wave'), Type.Literal('all_deployed'), Type.Literal('affected_devices')]),
      action: Action,
      controllerIds: Type.Array(Type.String()),
      /** what fired (`crash_loop:<controllerId>`, ...); a key fires at most once per rollout */
      keys: Type.Array(Type.String(), { minItems: 1 }),
      evidence: Evidence,
    }),
    /** two-phase success: the device reported the new version healthy after its reboot and soak */
    'device-verified': DeviceOutcome,
    /** the device came back on another version (A/B fallback): counts as failed */
    'device-fallback-detected': DeviceOutcome,
  },
} satisfies Record<string, Record<string, TObject>>;

export type HealthEventName = keyof (typeof HealthEventSchemas)['health'];
export type HealthEventPayload<E extends HealthEventName> = Static<(typeof HealthEventSchemas)['health'][E]>;

export const HEALTH_EVENT_TYPES: ReadonlyArray<{ type: string; aggregate: 'health'; event: HealthEventName; schema: TObject }> = Object.entries(HealthEventSchemas.health).map(
  ([event, schema]) => ({ type: eventType('health', event), aggregate: 'health', event: event as HealthEventName, schema }),
);

export const healthEventType = (event: HealthEventName): string => eventType('health', event);

/** `health-<rolloutId>` */
export const healthStreamId = (rolloutId: string): string => `health-${rolloutId}`;
