import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { allTelemetrySubject, type BusNames } from '@rollgate/contracts';
import { decodeTelemetry } from './telemetry-decoder';
import type { TenantTelemetry } from './tenant-telemetry';

export interface IntakeLogger {
  warn(obj: object, msg: string): void;
}

export interface IntakeOptions {
  nc: NatsConnection;
  names: BusNames;
  telemetry: TenantTelemetry;
  /** replay this far back on start (baselines look at the last 24 h; the stream keeps 24 h) */
  lookbackMs: number;
  clock?: () => number;
  logger?: IntakeLogger;
}

/**
 * Consumes ROLLGATE_TELEMETRY into the per-tenant buckets. An ordered (ephemeral, ack-less) consumer
 * starting `lookbackMs` ago: telemetry is not audit data and the aggregates live in memory, so after a
 * restart the evaluator simply replays the stream's window instead of keeping a durable position. A
 * malformed message is counted and dropped; nothing in a message can stop the intake.
 */
export class TelemetryIntake {
  readonly malformed: Record<string, number> = {};
  received = 0;
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly options: IntakeOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get attached(): boolean {
    return this.messages !== undefined && !this.stopped;
  }

  async start(): Promise<void> {
    const { nc, names, lookbackMs } = this.options;
    const js = jetstream(nc);
    const consumer = await js.consumers.get(names.telemetryStream, {
      filter_subjects: allTelemetrySubject(names),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(this.clock() - lookbackMs).toISOString(),
    });
    this.messages = await consumer.consume({ max_messages: 5_000 });
    const prefix = `${names.subjectRoot}.tel.`;
    const messages = this.messages;
    this.running = (async () => {
      for await (const m of messages) this.handle(m.subject, m.data, prefix);
    })().catch((error: unknown) => {
      if (!this.stopped) this.options.logger?.warn({ err: error }, 'telemetry intake stopped');
    });
  }

  /** One message: decode, validate, fold into its tenant's buckets. Exposed for the bench's in-process path. */
  handle(subject: string, data: Uint8Array, prefix: string): void {
    this.received += 1;
    const decoded = decodeTelemetry(subject, data, prefix);
    if ('malformed' in decoded) {
      this.malformed[decoded.malformed] = (this.malformed[decoded.malformed] ?? 0) + 1;
      return;
    }
    this.options.telemetry.ingest(decoded.sample, this.clock());
  }

  get malformedTotal(): number {
    return Object.values(this.malformed).reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close();
    await this.running;
  }
}
