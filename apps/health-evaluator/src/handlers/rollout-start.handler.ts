import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { CloudEvent } from '@rollgate/contracts';
import { JetStreamContext, OnEvent } from '@rollgate/service-kit';
import { HEALTH_CONFIG, type HealthConfig } from '../config';
import { HealthEvaluation } from '../evaluation/health-evaluation.service';
import { FleetFollower } from '../fleet/fleet-follower.service';

/**
 * Baselines are captured when a rollout starts (event-flow step 2/3): on `rollout-starting`, and on
 * `rollout-started` for rollouts whose start was scheduled (the scheduler starts those from a timer).
 * The second of the two finds the baselines already captured and appends nothing.
 */
@Controller()
export class RolloutStartHandler {
  private readonly logger = new Logger('rollout-start');

  constructor(
    @Inject(HealthEvaluation) private readonly evaluation: HealthEvaluation,
    @Inject(FleetFollower) private readonly fleet: FleetFollower,
    @Inject(HEALTH_CONFIG) private readonly config: HealthConfig,
  ) {}

  @OnEvent('io.rollgate.rollout.rollout-starting.v1')
  async onStarting(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.capture(event, ctx);
  }

  @OnEvent('io.rollgate.rollout.rollout-started.v1')
  async onStarted(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.capture(event, ctx);
  }

  private async capture(event: CloudEvent, ctx: JetStreamContext): Promise<void> {
    if (!event.streamid.startsWith('rollout-')) {
      this.logger.warn(`${event.type} ${event.id} is not on a rollout stream (${event.streamid}); ignored`);
      return;
    }
    await this.fleet.waitFor(event.id, this.config.catchUpTimeoutMs);
    const at = atOf(event);
    await this.evaluation.captureBaselines(ctx.tx, event.tenant, event.streamid.slice('rollout-'.length), at, { causationId: event.id, correlationId: event.correlationid });
  }
}

/** The event's own `at` (domain time), else its log time. */
export function atOf(event: CloudEvent): number {
  const at = (event.data as { at?: unknown } | null)?.at;
  return typeof at === 'number' && Number.isFinite(at) ? at : Date.parse(event.time);
}
