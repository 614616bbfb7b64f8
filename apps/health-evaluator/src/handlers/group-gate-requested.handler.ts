import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { CloudEvent } from '@rollgate/contracts';
import { JetStreamContext, OnEvent } from '@rollgate/service-kit';
import { HEALTH_CLOCK, HEALTH_CONFIG, type HealthConfig } from '../config';
import { HealthEvaluation } from '../evaluation/health-evaluation.service';
import { FleetFollower } from '../fleet/fleet-follower.service';

/**
 * `group-gate-requested {gate, counters}` on a group stream (event-flow step 6) → `gate-evaluated` on the
 * rollout's health stream. The verdict looks at telemetry up to now (the evidence names the window); a
 * redelivered request finds its verdict already recorded and appends nothing.
 */
@Controller()
export class GroupGateRequestedHandler {
  private readonly logger = new Logger('gate-request');

  constructor(
    @Inject(HealthEvaluation) private readonly evaluation: HealthEvaluation,
    @Inject(FleetFollower) private readonly fleet: FleetFollower,
    @Inject(HEALTH_CONFIG) private readonly config: HealthConfig,
    @Inject(HEALTH_CLOCK) private readonly clock: () => number,
  ) {}

  @OnEvent('io.rollgate.rollout.group-gate-requested.v1')
  async handle(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    const gate = (event.data as { gate?: unknown } | null)?.gate;
    if (!event.streamid.startsWith('rolloutgroup-') || typeof gate !== 'string' || gate.length === 0) {
      this.logger.warn(`gate request ${event.id} on ${event.streamid} has no gate name or is not on a group stream; ignored`);
      return;
    }
    await this.fleet.waitFor(event.id, this.config.catchUpTimeoutMs);
    const groupId = event.streamid.slice('rolloutgroup-'.length);
    await this.evaluation.answerGate(ctx.tx, event.tenant, groupId, gate, event.id, this.clock(), { causationId: event.id, correlationId: event.correlationid });
  }
}
