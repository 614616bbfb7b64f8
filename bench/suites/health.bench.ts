import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { join } from 'node:path';
import { provisionStreams } from '@rollgate/bus';
import { allTelemetrySubject, telemetrySubject, type BusNames, type TelemetrySample } from '@rollgate/contracts';
import { evaluateGate, evaluateTriggers, EMPTY_TRIGGER_MEMORY, TelemetryStore, type GateDevice, type GateRequest } from '@rollgate/health-domain';
import { seededRandom } from '@rollgate/shared-domain';
import { connectTestNats, deleteTestStreams, testBusNames } from '@rollgate/testing';
import type { BenchReport, BenchSuite } from '../harness';

/**
 * health-evaluator's two hot paths, against real NATS JetStream:
 *   intake            telemetry samples consumed from ROLLGATE_TELEMETRY, decoded, validated, folded into the
 *                     per-tenant buckets, then one gate and one trigger evaluation over every device (the
 *                     compiled TelemetryIntake the service runs, in this process); reference: a bare
 *                     ordered-consumer read of the same messages in the same run, rounds alternating order
 *   gate_eval_100k_ms one wave_gate verdict over 100,000 deployed devices with 10 minutes of telemetry each
 *                     (pure domain; median of 5); trigger_eval_100k_ms: one round of rollback triggers over them
 */
const SAMPLES = Number(process.env.BENCH_HEALTH_SAMPLES ?? 200_000);
const DEVICES = Number(process.env.BENCH_HEALTH_DEVICES ?? 10_000);
const GATE_DEVICES = Number(process.env.BENCH_HEALTH_GATE_DEVICES ?? 100_000);
const ROUNDS = 3;
const TENANT = 'bench';
const WORKSPACE = join(__dirname, '..', '..', '..');

interface IntakeLike {
  received: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}
interface IntakeModule {
  TelemetryIntake: new (options: { nc: NatsConnection; names: BusNames; telemetry: unknown; lookbackMs: number }) => IntakeLike;
}
interface TenantTelemetryModule {
  TenantTelemetry: new () => { of(tenant: string): TelemetryStore };
}

export const suite: BenchSuite = {
  name: 'health',
  description: `telemetry intake of ${SAMPLES.toLocaleString('en-US')} samples from ${DEVICES.toLocaleString('en-US')} devices vs bare JetStream consume; gate evaluation over ${GATE_DEVICES.toLocaleString('en-US')} deployed devices`,
  async run(report: BenchReport) {
    const nc = await connectTestNats({ noAsyncTraces: true });
    const names = testBusNames();
    try {
      await provisionStreams(nc, names);
      const started = Date.now();
      await publishSamples(nc, names, started - 30 * 60_000);
      // The service's own compiled intake: the bench may not import an app (lint), so it loads what main.js runs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { TelemetryIntake } = require(join(WORKSPACE, 'dist/apps/health-evaluator/src/telemetry/telemetry-intake.js')) as IntakeModule;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { TenantTelemetry } = require(join(WORKSPACE, 'dist/apps/health-evaluator/src/telemetry/tenant-telemetry.js')) as TenantTelemetryModule;
      const reference: number[] = [];
      const subject: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const runs = [async () => reference.push(await bareConsume(nc, names)), async () => subject.push(await intakeAndEvaluate(nc, names, TelemetryIntake, TenantTelemetry, started))];
        if (round % 2 === 1) runs.reverse();
        for (const run of runs) await run();
      }
      report.metric('intake', median(subject), 'samples/s', { reference: median(reference), goal: '>= 20,000 samples/s' });
      const { gate, triggers } = evaluationOver100k();
      report.metric('gate_eval_100k_ms', gate, 'ms', { goal: '<= 200 ms' });
      // Not a goal of the issue: what one round of rollback triggers costs over the same fleet (every 30 s).
      report.metric('trigger_eval_100k_ms', triggers, 'ms');
    } finally {
      await deleteTestStreams(nc, names);
      await nc.close();
    }
  },
};

function sampleOf(i: number, base: number): TelemetrySample {
  const device = i % DEVICES;
  const at = base + Math.floor(i / DEVICES) * 30_000;
  return {
    tenant: TENANT, controllerId: `dev-${device}`, at,
    errorRate: ((i * 7) % 100) / 5000, latencyP95Ms: 90 + (i % 40), memoryMb: 480 + (i % 50), cpuPct: 30 + (i % 20), restarts: 0, temperatureC: 45 + (i % 10),
    runningVersion: device % 2 === 0 ? 'app:2.0' : 'app:1.0', healthEndpoint: 'up', deviceType: device % 3 === 0 ? 'cam' : 'gw',
  };
}

async function publishSamples(nc: NatsConnection, names: BusNames, base: number): Promise<void> {
  const js = jetstream(nc);
  const WINDOW = 2_000;
  for (let first = 0; first < SAMPLES; first += WINDOW) {
    const batch: Array<Promise<unknown>> = [];
    for (let i = first; i < Math.min(SAMPLES, first + WINDOW); i++) {
      const s = sampleOf(i, base);
      batch.push(js.publish(telemetrySubject(names, s.tenant, s.controllerId), JSON.stringify(s)));
    }
    await Promise.all(batch);
  }
}

/** The reference: the same messages read by a bare ordered consumer, doing nothing with them. */
async function bareConsume(nc: NatsConnection, names: BusNames): Promise<number> {
  const consumer = await jetstream(nc).consumers.get(names.telemetryStream, { filter_subjects: allTelemetrySubject(names), deliver_policy: DeliverPolicy.All });
  const t0 = performance.now();
  const messages = await consumer.consume({ max_messages: 5_000 });
  let count = 0;
  let bytes = 0;
  for await (const m of messages) {
    bytes += m.data.length;
    if (++count === SAMPLES) break;
  }
  const elapsed = performance.now() - t0;
  await messages.close();
  if (bytes === 0) throw new Error('no telemetry read');
  return (SAMPLES / elapsed) * 1000;
}

/** The subject: the service's intake from the same stream, then one gate and one trigger round over all devices. */
async function intakeAndEvaluate(nc: NatsConnection, names: BusNames, Intake: IntakeModule['TelemetryIntake'], Tenants: TenantTelemetryModule['TenantTelemetry'], started: number): Promise<number> {
  const telemetry = new Tenants();
  const intake = new Intake({ nc, names, telemetry, lookbackMs: 24 * 3600_000 });
  const t0 = performance.now();
  await intake.start();
  while (intake.received < SAMPLES) await new Promise((resolve) => setTimeout(resolve, 2));
  const store = telemetry.of(TENANT);
  const devices: GateDevice[] = [...store.devices.values()].map((t, i) => ({ controllerId: t.controllerId, groupId: `g${i % 10}`, deviceType: t.deviceType ?? 'unknown', deployedAt: started - 30 * 60_000, telemetry: t }));
  const at = started + 30 * 60_000;
  const deployed = devices.filter((d) => d.telemetry?.runningVersion === 'app:2.0');
  const control = devices.filter((d) => d.telemetry?.runningVersion !== 'app:2.0');
  const verdict = evaluateGate({ gate: 'wave_gate', at, groupId: 'g0', deployed, control, totalDevices: devices.length, targetVersion: 'app:2.0', baselines: [], execution: { healthPreset: 'default' } });
  const triggers = evaluateTriggers({ at, deployed, waves: [], baselines: [], targetVersion: 'app:2.0', execution: {} }, EMPTY_TRIGGER_MEMORY);
  const elapsed = performance.now() - t0;
  await intake.stop();
  if (store.counts.accepted !== SAMPLES || verdict.evidence.checks.length === 0 || !Array.isArray(triggers.triggers)) throw new Error(`intake took ${store.counts.accepted} of ${SAMPLES} samples`);
  return (SAMPLES / elapsed) * 1000;
}

/** 100,000 deployed devices of three types with 10 one-minute buckets each: the wave gate, and a trigger round. */
function evaluationOver100k(): { gate: number; triggers: number } {
  const store = new TelemetryStore();
  const random = seededRandom('gate-bench');
  const at = 1_700_000_040_000 + 10 * 60_000;
  const devices: GateDevice[] = [];
  for (let d = 0; d < GATE_DEVICES; d++) {
    const controllerId = `dev-${d}`;
    for (let m = 0; m < 10; m++) {
      store.ingest({ controllerId, at: at - (10 - m) * 60_000, errorRate: random.nextInt(100) / 10_000, latencyP95Ms: 80 + random.nextInt(60), memoryMb: 500, restarts: 0, healthEndpoint: 'up', runningVersion: 'app:2.0' }, at);
    }
    devices.push({ controllerId, groupId: `g${d % 10}`, deviceType: ['cam', 'gw', 'hub'][d % 3], deployedAt: at - 20 * 60_000, telemetry: store.device(controllerId) });
  }
  const request: GateRequest = { gate: 'wave_gate', at, groupId: 'g9', deployed: devices, control: [], totalDevices: GATE_DEVICES, targetVersion: 'app:2.0', baselines: [], execution: { healthPreset: 'default' } };
  evaluateGate(request);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const outcome = evaluateGate(request);
    times.push(performance.now() - t0);
    if (outcome.verdict !== 'PASS') throw new Error(`expected the healthy fleet to pass, got ${outcome.verdict}: ${outcome.reason}`);
  }
  const triggerTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const round = evaluateTriggers({ at, deployed: devices, waves: [], currentGroupId: 'g9', baselines: [], targetVersion: 'app:2.0', execution: {} }, EMPTY_TRIGGER_MEMORY);
    triggerTimes.push(performance.now() - t0);
    if (round.triggers.length !== 0) throw new Error(`expected no trigger on a healthy fleet, got ${round.triggers.map((t) => t.trigger).join(', ')}`);
  }
  return { gate: median(times), triggers: median(triggerTimes) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
