import { Type, type TObject } from '@sinclair/typebox';
import { eventType } from '../event-type';

/**
 * The events group-scheduler appends (docs/event-flow.md, steps 3, 5-10) that rollout-events.ts does not
 * already publish: the rollout's cascade and shutdown (`rollout-<id>`), the group's start, pacing, soak, gate
 * and conditions (`rolloutgroup-<id>`), both of aggregate `rollout`; and the per-device timeout on
 * `action-<id>` (aggregate `action`). Payloads are produced by @rollgate/rollout-domain's deciders; a
 * scheduler spec checks them against these schemas.
 */
const At = { at: Type.Integer() };
const Opt = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(schema);
const Count = Type.Integer({ minimum: 0 });
const Counters = Type.Object({ total: Count, scheduled: Count, running: Count, downloaded: Count, finished: Count, error: Count, canceled: Count, verified: Count, queued: Opt(Count) });
const ErrorAction = Type.Union([Type.Literal('PAUSE'), Type.Literal('STOP'), Type.Literal('ROLLBACK')]);
const ActionStatus = Type.Union(
  ['SCHEDULED', 'RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WAIT_FOR_CONFIRMATION', 'WARNING', 'CANCELING', 'CANCELED', 'CANCEL_REJECTED', 'FINISHED', 'ERROR', 'TIMED_OUT'].map((s) => Type.Literal(s)),
);

export const SchedulingEventSchemas = {
  rollout: {
    'rollout-started': Type.Object({ groupIds: Type.Array(Type.String()), ...At }),
    'rollout-group-succeeded': Type.Object({ groupId: Type.String(), ...At }),
    'rollout-group-failed': Type.Object({ groupId: Type.String(), errorAction: ErrorAction, ...At }),
    'rollout-group-completed': Type.Object({ groupId: Type.String(), ...At }),
    'rollout-rollback-requested': Type.Object({
      groupId: Type.String(), distributionSetId: Type.String(),
      scope: Opt(Type.Union([Type.Literal('device'), Type.Literal('wave'), Type.Literal('affected'), Type.Literal('all')])),
      controllerIds: Opt(Type.Array(Type.String())), cause: Opt(Type.String()), ...At,
    }),
    'rollout-incident-recorded': Type.Object({
      incidentId: Type.String(), cause: Type.String(), groupId: Opt(Type.String()),
      rollbackRollouts: Type.Array(Type.Object({ rolloutId: Type.String(), distributionSetId: Type.String(), devices: Count })),
      devicesWithoutPrevious: Count, counters: Opt(Type.Record(Type.String(), Type.Number())), ...At,
    }),
    'rollout-dynamic-group-added': Type.Object({ groupId: Type.String(), name: Type.String(), size: Type.Integer({ minimum: 1 }), index: Count, ...At }),
    'group-scheduled': Type.Object(At),
    /** `released`: members from position 0 with open actions (pacing); absent means all. */
    'group-started': Type.Object({ size: Count, released: Opt(Count), ...At }),
    'group-actions-released': Type.Object({ released: Count, ...At }),
    'group-soak-started': Type.Object({ until: Type.Integer(), reason: Type.Union([Type.Literal('success'), Type.Literal('gate-caution'), Type.Literal('gate-inconclusive')]), counters: Counters, ...At }),
    'group-soak-completed': Type.Object(At),
    'group-gate-requested': Type.Object({ gate: Type.String(), counters: Counters, ...At }),
    'group-gate-passed': Type.Object({ verdictId: Type.String(), ...At }),
    'group-gate-failed': Type.Object({ verdictId: Type.String(), reason: Type.String(), ...At }),
    'group-gate-deferred': Type.Object({ verdictId: Type.String(), verdict: Type.Union([Type.Literal('CAUTION'), Type.Literal('INCONCLUSIVE')]), reason: Type.String(), ...At }),
    'group-success-condition-met': Type.Object({ successAction: Type.Union([Type.Literal('NEXTGROUP'), Type.Literal('PAUSE')]), counters: Counters, ...At }),
    'group-error-condition-met': Type.Object({ errorAction: ErrorAction, counters: Counters, cause: Type.Union([Type.Literal('threshold'), Type.Literal('health-gate')]), ...At }),
    'group-finished': Type.Object({ counters: Counters, ...At }),
  },
  action: {
    'action-timed-out': Type.Object({ from: ActionStatus, lastProgressAt: Type.Integer(), timeoutMs: Type.Integer({ minimum: 1 }), ...At }),
  },
} satisfies Record<string, Record<string, TObject>>;

/** Every event type group-scheduler appends that is published here, with its schema. */
export const SCHEDULING_EVENT_TYPES: ReadonlyArray<{ type: string; aggregate: 'rollout' | 'action'; event: string; schema: TObject }> = (['rollout', 'action'] as const).flatMap((aggregate) =>
  Object.entries(SchedulingEventSchemas[aggregate]).map(([event, schema]) => ({ type: eventType(aggregate, event), aggregate, event, schema })),
);
