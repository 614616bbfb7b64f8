import { given } from '@rollgate/shared-domain';
import { healthDecider, type HealthCommand, type HealthEvent } from './health.decider';
import type { GateEvidence } from './gate-evaluation';

const T = 1_700_000_000_000;
const evidence: GateEvidence = { gate: 'canary_gate', at: T, deployedDevices: 1, totalDevices: 10, checks: [] };
const device = { rolloutId: 'r1', groupId: 'g0', controllerId: 'd1', actionId: 101, runningVersion: 'app:2', evidence: { deployedAt: T, targetVersion: 'app:2', soakMs: 60_000, minHealthySamples: 3, versionLog: [] }, at: T };

const commands: Record<HealthCommand['type'], HealthCommand> = {
  'capture-baselines': { type: 'capture-baselines', rolloutId: 'r1', cohorts: [], excluded: [], bucketMs: 60_000, at: T },
  'record-gate-verdict': { type: 'record-gate-verdict', rolloutId: 'r1', groupId: 'g0', gate: 'canary_gate', requestId: 'req-1', verdictId: 'v1', verdict: 'PASS', reason: 'all_checks_pass', evidence, at: T },
  'trigger-rollback': { type: 'trigger-rollback', rolloutId: 'r1', triggerId: 't1', groupId: 'g0', trigger: 'crash_loop', kind: 'immediate', scope: 'single_device', action: 'rollback_device', controllerIds: ['d1'], keys: ['crash_loop:d1'], evidence: { restarts: 4 }, at: T },
  'verify-device': { type: 'verify-device', ...device },
  'detect-fallback': { type: 'detect-fallback', ...device },
};
const eventOf = (c: HealthCommand): HealthEvent => {
  const { type, ...data } = c;
  const name = { 'capture-baselines': 'baselines-captured', 'record-gate-verdict': 'gate-evaluated', 'trigger-rollback': 'rollback-triggered', 'verify-device': 'device-verified', 'detect-fallback': 'device-fallback-detected' }[type];
  return { type: name, data } as HealthEvent;
};

/** States: nothing yet, and after each command's own event (the "already recorded" state). */
const states: Record<string, HealthEvent[]> = {
  INITIAL: [],
  MONITORING: [eventOf({ ...commands['trigger-rollback'], keys: ['other'] } as HealthCommand)],
  ...Object.fromEntries(Object.values(commands).map((c) => [`after ${c.type}`, [eventOf(c)]])),
};

describe('health decider: every command in every state', () => {
  const cases = Object.values(commands).flatMap((c) => Object.keys(states).map((s) => [c.type, s, c] as const));
  it.each(cases)('%s in %s', (type, stateName, command) => {
    const alreadyRecorded = stateName === `after ${type}` || (type === 'verify-device' && stateName === 'after detect-fallback');
    const expected = alreadyRecorded ? [] : [eventOf(command)];
    given(healthDecider, states[stateName]).when(command).then(expected);
  });

  it('records a fallback for a device verified earlier (it fell back on a later reboot)', () => {
    given(healthDecider, [eventOf(commands['verify-device'])]).when(commands['detect-fallback']).then([eventOf(commands['detect-fallback'])]);
  });

  it('appends only the keys of a trigger that have not fired yet', () => {
    const wider = { ...commands['trigger-rollback'], keys: ['crash_loop:d1', 'crash_loop:d2'], controllerIds: ['d1', 'd2'] } as HealthCommand;
    const [event] = given(healthDecider, [eventOf(commands['trigger-rollback'])]).when(wider).then([{ ...eventOf(wider), data: { ...eventOf(wider).data, keys: ['crash_loop:d2'] } } as HealthEvent]);
    expect(event.type).toBe('rollback-triggered');
  });

  it('refuses commands for another rollout, unknown verdicts and keyless triggers', () => {
    const history = [eventOf(commands['capture-baselines'])];
    given(healthDecider, history).when({ ...commands['verify-device'], rolloutId: 'r2' } as HealthCommand).thenThrows('health_rollout_mismatch');
    given(healthDecider, []).when({ ...commands['record-gate-verdict'], verdict: 'MAYBE' } as unknown as HealthCommand).thenThrows('health_verdict_invalid');
    given(healthDecider, []).when({ ...commands['trigger-rollback'], keys: [] } as HealthCommand).thenThrows('health_trigger_invalid');
  });

  it('remembers what it concluded', () => {
    given(healthDecider, Object.values(commands).map(eventOf)).when(commands['capture-baselines']).thenState((state) => {
      expect(state).toMatchObject({ status: 'MONITORING', rolloutId: 'r1', baselinesCaptured: true });
      if (state.status !== 'MONITORING') throw new Error('not monitoring');
      expect([...state.answeredRequests, ...state.firedKeys, ...state.verified, ...state.fallbacks]).toEqual(['req-1', 'crash_loop:d1', 'd1', 'd1']);
    });
  });
});
