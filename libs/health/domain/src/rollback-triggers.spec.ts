import { EMPTY_TRIGGER_MEMORY, evaluateTriggers, TRIGGER_ACTIONS, type TriggerInput, type TriggerMemory } from './rollback-triggers';
import type { GateDevice } from './gate-device';
import { healthy, MIN, NEW, scenario, withErrors, type SampleShape } from '../test/health.fixtures';

function inputAfter(minutes: number, after?: (type: string, id: string) => (at: number, i: number) => SampleShape, patch: Partial<TriggerInput> = {}): TriggerInput {
  const s = scenario({ minutes, after });
  return {
    at: s.startAt + minutes * MIN,
    deployed: s.devices.filter((d) => d.deployedAt !== undefined),
    waves: [{ groupId: 'g0', size: 6, failed: 0, started: true }],
    currentGroupId: 'g0',
    baselines: s.baselines,
    targetVersion: NEW,
    execution: {},
    ...patch,
  };
}

const fire = (input: TriggerInput, memory: TriggerMemory = EMPTY_TRIGGER_MEMORY) => evaluateTriggers(input, memory);
const names = (input: TriggerInput) => fire(input).triggers.map((t) => t.trigger);

describe('automatic rollback triggers (the seeds\' numbers)', () => {
  it('maps each trigger to its kind, scope and action', () => {
    expect(TRIGGER_ACTIONS).toMatchObject({
      crash_loop: { kind: 'immediate', scope: 'single_device', action: 'rollback_device' },
      health_endpoint_down: { kind: 'immediate', scope: 'single_device', action: 'rollback_device' },
      wave_failure_rate: { kind: 'immediate', scope: 'current_wave', action: 'rollback_wave' },
      error_rate_spike: { kind: 'threshold', scope: 'all_deployed', action: 'rollback_all' },
      latency_spike: { kind: 'threshold', scope: 'current_wave', action: 'halt_and_assess' },
      memory_leak: { kind: 'threshold', scope: 'affected_devices', action: 'rollback_affected' },
      gradual_degradation: { kind: 'trend', scope: 'all_deployed', action: 'halt_and_assess' },
      thermal_escalation: { kind: 'trend', scope: 'affected_devices', action: 'halt_and_assess' },
    });
  });

  it('fires nothing for a healthy rollout', () => {
    expect(names(inputAfter(40))).toEqual([]);
  });

  it('crash loop: more than 3 restarts in 5 minutes rolls back that device only', () => {
    const restarts = (n: number) => (type: string, id: string) => (at: number, i: number) => ({ ...healthy(NEW, id, type)(at, i), restarts: id === 'cam-1' && i >= 10 - n ? 1 : 0 });
    expect(names(inputAfter(5, restarts(3)))).toEqual([]);
    const [trigger] = fire(inputAfter(5, restarts(4))).triggers;
    expect(trigger).toMatchObject({ trigger: 'crash_loop', action: 'rollback_device', controllerIds: ['cam-1'], groupId: 'g0', keys: ['crash_loop:cam-1'] });
    expect(trigger.evidence).toMatchObject({ restarts: 4, threshold: 3 });
  });

  it('health endpoint down for more than 2 minutes rolls back that device', () => {
    const downFor = (samples: number) => (type: string, id: string) => (at: number, i: number) => ({ ...healthy(NEW, id, type)(at, i), healthEndpoint: id === 'gw-2' && i >= 20 - samples ? 'down' : 'up' }) as SampleShape;
    expect(names(inputAfter(10, downFor(5)))).toEqual([]); // down from 7:30 to 9:30: exactly 2 minutes
    expect(fire(inputAfter(10, downFor(6))).triggers[0]).toMatchObject({ trigger: 'health_endpoint_down', action: 'rollback_device', controllerIds: ['gw-2'] });
  });

  it('wave failure: more than 20% of the wave failed rolls back the wave', () => {
    const failed = (ids: string[]): GateDevice[] => inputAfter(5).deployed.map((d) => ({ ...d, failed: ids.includes(d.controllerId) }));
    expect(names({ ...inputAfter(5), deployed: failed(['cam-0']), waves: [{ groupId: 'g0', size: 5, failed: 1, started: true }] })).toEqual([]);
    const [trigger] = fire({ ...inputAfter(5), deployed: failed(['cam-0', 'gw-0']), waves: [{ groupId: 'g0', size: 6, failed: 2, started: true }] }).triggers;
    expect(trigger).toMatchObject({ trigger: 'wave_failure_rate', action: 'rollback_wave', groupId: 'g0', controllerIds: [] });
    expect(trigger.evidence).toMatchObject({ percent: 33.333333, threshold: 20, devices: 2, someControllerIds: ['cam-0', 'gw-0'] });
  });

  it('error rate spike: above baseline + 10 points over 5 minutes rolls back all', () => {
    expect(names(inputAfter(10, (type, id) => withErrors(healthy(NEW, id, type), 0.08)))).toEqual([]);
    const [trigger] = fire(inputAfter(10, (type, id) => (type === 'gw' ? withErrors(healthy(NEW, id, type), 0.2) : healthy(NEW, id, type)))).triggers;
    expect(trigger).toMatchObject({ trigger: 'error_rate_spike', action: 'rollback_all', scope: 'all_deployed', controllerIds: [] });
    expect(trigger.evidence).toMatchObject({ devices: 6 });
    expect((trigger.evidence.byDeviceType as Array<{ deviceType: string }>).map((p) => p.deviceType)).toEqual(['gw']);
  });

  it('latency spike: p95 above 2× baseline halts the current wave for assessment', () => {
    expect(names(inputAfter(10, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), latencyP95Ms: 190 })))).toEqual([]);
    const [trigger] = fire(inputAfter(10, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), latencyP95Ms: 260 }))).triggers;
    expect(trigger).toMatchObject({ trigger: 'latency_spike', action: 'halt_and_assess', groupId: 'g0' });
  });

  it('memory leak: growth above 5% per 10 minutes over 30 minutes rolls back the affected devices', () => {
    const leak = (type: string, id: string) => (at: number, i: number) => ({ ...healthy(NEW, id, type)(at, i), memoryMb: id === 'cam-2' ? 500 + i * 2 : 500 });
    expect(names(inputAfter(10, leak))).toEqual([]); // not measured over long enough yet
    const [trigger] = fire(inputAfter(31, leak)).triggers;
    expect(trigger).toMatchObject({ trigger: 'memory_leak', action: 'rollback_affected', controllerIds: ['cam-2'], keys: ['memory_leak:cam-2'] });
  });

  it('gradual degradation: error rate rising at 3 consecutive checks halts for assessment', () => {
    let memory = EMPTY_TRIGGER_MEMORY;
    const fired: string[] = [];
    const climbing = (type: string, id: string) => (at: number, i: number) => ({ ...healthy(NEW, id, type)(at, i), errorRate: 0.01 + i * 0.0005 });
    for (const minutes of [10, 15, 20, 25]) {
      const result = evaluateTriggers(inputAfter(minutes, climbing), memory);
      memory = result.memory;
      fired.push(...result.triggers.map((t) => t.trigger));
    }
    expect(fired).toEqual(['gradual_degradation']);
    expect(memory.errorRateChecks).toHaveLength(4);
  });

  it('gradual degradation needs a real rise: error rates creeping up by noise-sized steps fire nothing', () => {
    let memory = EMPTY_TRIGGER_MEMORY;
    const creeping = (type: string, id: string) => (at: number, i: number) => ({ ...healthy(NEW, id, type)(at, i), errorRate: 0.01 + i * 0.00001 });
    for (const minutes of [10, 15, 20, 25]) memory = evaluateTriggers(inputAfter(minutes, creeping), memory).memory;
    expect(memory.errorRateChecks.map((c) => c.value)).toEqual([...memory.errorRateChecks.map((c) => c.value)].sort((a, b) => a - b));
    expect(evaluateTriggers(inputAfter(30, creeping), memory).triggers).toEqual([]);
  });

  it('thermal escalation: a few hot minutes do not project to the limit (the trend must span half the window)', () => {
    // Telemetry starts at the update: 5 minutes of steeply rising temperature, no history before it.
    const s = scenario({ minutes: 5, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), temperatureC: id === 'gw-0' ? 60 + i * 2 : 50 }) });
    const fresh = { ...inputAfter(5), deployed: s.devices.filter((d) => d.deployedAt !== undefined).map((d) => ({ ...d, telemetry: d.telemetry && { ...d.telemetry, buckets: d.telemetry.buckets.filter((b) => b.start >= s.startAt) } })) };
    expect(fire(fresh).triggers.map((t) => t.trigger)).not.toContain('thermal_escalation');
  });

  it('thermal escalation: temperature trending to its limit halts for assessment', () => {
    const heating = (type: string, id: string) => (at: number, i: number) => ({ ...healthy(NEW, id, type)(at, i), temperatureC: id === 'gw-0' ? 60 + i * 0.5 : 50 });
    const [trigger] = fire(inputAfter(15, heating)).triggers;
    expect(trigger).toMatchObject({ trigger: 'thermal_escalation', action: 'halt_and_assess', controllerIds: ['gw-0'] });
  });

  it('fires each key once per rollout, and nothing when the rollout turned triggers off', () => {
    const crash = inputAfter(5, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), restarts: id === 'cam-1' ? 1 : 0 }));
    const first = fire(crash);
    expect(first.triggers).toHaveLength(1);
    expect(first.memory.fired).toEqual(['crash_loop:cam-1']);
    expect(fire(crash, first.memory).triggers).toEqual([]);
    expect(fire({ ...crash, execution: { rollbackTriggers: { enabled: false } } }).triggers).toEqual([]);
  });

  it('splits a trigger over many affected devices into events of at most 5,000 ids', () => {
    const input = inputAfter(31, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), memoryMb: 500 + i * 2 }));
    const many = Array.from({ length: 12_000 }, (_, k) => ({ ...input.deployed[k % 6], controllerId: `leak-${k}` }));
    const triggers = fire({ ...input, deployed: many }).triggers.filter((t) => t.trigger === 'memory_leak');
    expect(triggers.map((t) => t.controllerIds.length)).toEqual([5000, 5000, 2000]);
    expect(triggers[2].keys[0]).toBe('memory_leak:leak-10000');
    expect((triggers[2].evidence.devices as Array<{ controllerId: string }>).map((d) => d.controllerId)).toEqual(triggers[2].controllerIds);
  });

  it('takes the rollout\'s overrides of the seeds\' numbers', () => {
    const crash = inputAfter(5, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), restarts: id === 'cam-1' && i > 7 ? 1 : 0 }));
    expect(names(crash)).toEqual([]);
    const eager = fire({ ...crash, execution: { rollbackTriggers: { enabled: true, overrides: { crash_loop_restarts: 1, nonsense: 3 } } } }).triggers[0];
    expect(eager).toMatchObject({ trigger: 'crash_loop', evidence: { threshold: 1, ignoredOverrides: ['nonsense'] } });
  });
});
