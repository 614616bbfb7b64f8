import { Controller, Get, Inject, Injectable, Module, Query } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { CloudEvent } from '@rollgate/contracts';
import { currentTraceparent } from '@rollgate/observability';
import { ValidationError } from '@rollgate/shared-domain';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { JetStreamContext, OnEvent } from '@rollgate/service-kit';

/**
 * A small handler and controller for rollout-planner's service specs only (never imported by the app): it consumes a
 * probe event through the real bus and writes through the consumer host's transaction, and it throws on
 * request so the HTTP error mapping can be observed.
 */
export const PROBE_PINGED = 'io.rollgate.probe.pinged.v1';
export const PROBE_FLAKY = 'io.rollgate.probe.flaky.v1';

export class CreateProbeTable1763799999000 implements MigrationInterface {
  name = 'CreateProbeTable1763799999000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE probe_received (event_id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now())');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE probe_received');
  }
}

export interface ProbeDelivery {
  event: CloudEvent;
  deliveryCount: number;
  consumer: string;
  /** the traceparent active inside the handler */
  traceparent: string | undefined;
}

@Injectable()
export class ProbeRecorder {
  readonly deliveries: ProbeDelivery[] = [];
}

/** Nest discovers message handlers in controllers only, so an event handler class is a controller. */
@Controller()
export class ProbeHandler {
  constructor(@Inject(ProbeRecorder) private readonly recorder: ProbeRecorder) {}

  @OnEvent(PROBE_PINGED)
  async onPinged(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    await ctx.tx.query('INSERT INTO probe_received (event_id) VALUES ($1)', [event.id]);
    this.record(event, ctx);
  }

  /** Fails on the first delivery: the error must reach the consumer host, which redelivers. */
  @OnEvent(PROBE_FLAKY)
  async onFlaky(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    this.record(event, ctx);
    if (ctx.deliveryCount === 1) throw new Error('transient failure on first delivery');
    await ctx.tx.query('INSERT INTO probe_received (event_id) VALUES ($1)', [event.id]);
  }

  private record(event: CloudEvent, ctx: JetStreamContext): void {
    this.recorder.deliveries.push({ event, deliveryCount: ctx.deliveryCount, consumer: ctx.consumer, traceparent: currentTraceparent() });
  }
}

@Controller('probe')
export class ProbeController {
  /** An in-flight request for the graceful-shutdown spec: answers after `ms` milliseconds. */
  @Get('slow')
  async slow(@Query('ms') ms: string): Promise<{ waitedMs: number }> {
    const waitedMs = Number(ms);
    await new Promise((resolve) => setTimeout(resolve, waitedMs));
    return { waitedMs };
  }

  @Get('fail')
  fail(@Query('kind') kind: string): never {
    if (kind === 'validation') throw new ValidationError('name is required', [{ path: '/name', message: 'required' }]);
    throw new Error('connect ECONNREFUSED postgres://app:secret@db:5432');
  }
}

@Module({ providers: [ProbeRecorder], controllers: [ProbeHandler, ProbeController] })
export class ProbeModule {}
