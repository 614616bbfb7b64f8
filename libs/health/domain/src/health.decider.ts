import { DomainError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import type { CohortBaseline } from './baseline';
import type { GateEvidence } from './gate-evaluation';
import type { Verdict } from './health.types';
import type { RollbackAction, TriggerKind, TriggerName, TriggerScope } from './rollback-triggers';
import type { VerificationOutcome } from './device-verification';

/**
 * The `health-<rolloutId>` stream: what health-evaluator concluded about one rollout. Each command is
 * idempotent by its natural key (gate request, trigger key, device) because the evaluator re-derives its
 * conclusions after a restart and on redelivery: a second conclusion about the same thing appends nothing.
 */
interface At {
  at: number;
  rolloutId: string;
}

export interface DeviceOutcomeData extends At {
  groupId: string;
  controllerId: string;
  actionId: number;
  runningVersion?: string;
  evidence: VerificationOutcome['evidence'];
}

export type HealthEvent =
  | DomainEvent<'baselines-captured', At & { cohorts: CohortBaseline[]; excluded: Array<{ from: number; to: number }>; bucketMs: number }>
  | DomainEvent<'gate-evaluated', At & { groupId: string; gate: string; requestId: string; verdictId: string; verdict: Verdict; reason: string; evidence: GateEvidence }>
  | DomainEvent<
      'rollback-triggered',
      At & { triggerId: string; groupId?: string; trigger: TriggerName; kind: TriggerKind; scope: TriggerScope; action: RollbackAction; controllerIds: string[]; keys: string[]; evidence: Record<string, unknown> }
    >
  | DomainEvent<'device-verified', DeviceOutcomeData>
  | DomainEvent<'device-fallback-detected', DeviceOutcomeData>;

export type HealthCommand =
  | (At & { type: 'capture-baselines'; cohorts: CohortBaseline[]; excluded: Array<{ from: number; to: number }>; bucketMs: number })
  | (At & { type: 'record-gate-verdict'; groupId: string; gate: string; requestId: string; verdictId: string; verdict: Verdict; reason: string; evidence: GateEvidence })
  | (At & { type: 'trigger-rollback'; triggerId: string; groupId?: string; trigger: TriggerName; kind: TriggerKind; scope: TriggerScope; action: RollbackAction; controllerIds: string[]; keys: string[]; evidence: Record<string, unknown> })
  | ({ type: 'verify-device' } & DeviceOutcomeData)
  | ({ type: 'detect-fallback' } & DeviceOutcomeData);

export type HealthState =
  | { status: 'INITIAL' }
  | {
      status: 'MONITORING';
      rolloutId: string;
      baselinesCaptured: boolean;
      answeredRequests: Set<string>;
      firedKeys: Set<string>;
      verified: Set<string>;
      fallbacks: Set<string>;
    };

const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'CAUTION', 'INCONCLUSIVE'];

export const healthDecider: Decider<HealthCommand, HealthState, HealthEvent> = {
  initialState: { status: 'INITIAL' },
  decide(command, state) {
    if (state.status === 'MONITORING' && state.rolloutId !== command.rolloutId) {
      throw new DomainError('health_rollout_mismatch', `stream belongs to rollout ${state.rolloutId}, not ${command.rolloutId}`);
    }
    const { type, ...data } = command;
    switch (type) {
      case 'capture-baselines':
        if (state.status === 'MONITORING' && state.baselinesCaptured) return [];
        return [{ type: 'baselines-captured', data: data as Extract<HealthEvent, { type: 'baselines-captured' }>['data'] }];
      case 'record-gate-verdict': {
        const c = command as Extract<HealthCommand, { type: 'record-gate-verdict' }>;
        if (!VERDICTS.includes(c.verdict)) throw new DomainError('health_verdict_invalid', `unknown verdict ${String(c.verdict)}`);
        if (state.status === 'MONITORING' && state.answeredRequests.has(c.requestId)) return [];
        return [{ type: 'gate-evaluated', data: data as Extract<HealthEvent, { type: 'gate-evaluated' }>['data'] }];
      }
      case 'trigger-rollback': {
        const c = command as Extract<HealthCommand, { type: 'trigger-rollback' }>;
        if (c.keys.length === 0) throw new DomainError('health_trigger_invalid', 'a rollback trigger needs at least one key');
        const fresh = state.status === 'MONITORING' ? c.keys.filter((k) => !state.firedKeys.has(k)) : c.keys;
        if (fresh.length === 0) return [];
        return [{ type: 'rollback-triggered', data: { ...(data as Extract<HealthEvent, { type: 'rollback-triggered' }>['data']), keys: fresh } }];
      }
      case 'verify-device': {
        const c = command as Extract<HealthCommand, { type: 'verify-device' }>;
        if (state.status === 'MONITORING' && (state.verified.has(c.controllerId) || state.fallbacks.has(c.controllerId))) return [];
        return [{ type: 'device-verified', data: data as DeviceOutcomeData }];
      }
      case 'detect-fallback': {
        const c = command as Extract<HealthCommand, { type: 'detect-fallback' }>;
        if (state.status === 'MONITORING' && state.fallbacks.has(c.controllerId)) return [];
        return [{ type: 'device-fallback-detected', data: data as DeviceOutcomeData }];
      }
    }
  },
  // The sets grow in place: a rollout's stream holds one event per device, and copying them per event would
  // make a rebuild quadratic. Callers fold forward and never reuse an older state.
  evolve(state, event) {
    const s: Extract<HealthState, { status: 'MONITORING' }> =
      state.status === 'MONITORING'
        ? state
        : { status: 'MONITORING', rolloutId: event.data.rolloutId, baselinesCaptured: false, answeredRequests: new Set(), firedKeys: new Set(), verified: new Set(), fallbacks: new Set() };
    switch (event.type) {
      case 'baselines-captured':
        return { ...s, baselinesCaptured: true };
      case 'gate-evaluated':
        s.answeredRequests.add(event.data.requestId);
        return s;
      case 'rollback-triggered':
        event.data.keys.forEach((k) => s.firedKeys.add(k));
        return s;
      case 'device-verified':
        s.verified.add(event.data.controllerId);
        return s;
      case 'device-fallback-detected':
        s.fallbacks.add(event.data.controllerId);
        return s;
    }
  },
};
