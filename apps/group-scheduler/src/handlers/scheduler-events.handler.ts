import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { eventType, parseEventType, type CloudEvent } from '@rollgate/contracts';
import { JetStreamContext, OnEvent } from '@rollgate/service-kit';
import { SchedulerEngine } from '../engine/scheduler-engine';
import { PayloadGuard } from './payload-guard';

const rollout = (event: string) => eventType('rollout', event);
const health = (event: string) => eventType('health', event);
const target = (event: string) => eventType('target', event);
const TARGET_STREAM = /^target-(.+)$/;

/**
 * The bus side of the scheduler (event-flow steps 3, 5-9): rollout commands appended by the planner, the
 * group conditions the scheduler appended itself (a no-op when they were already continued in the same
 * transaction, the path that matters after a crash), and health-evaluator's verdicts and triggers. Each
 * runs in the consumer host's transaction, so what it appends commits with the processed-event record.
 */
@Controller()
export class SchedulerEventsHandler {
  private readonly logger = new Logger('scheduler-events');
  private readonly guard = new PayloadGuard();

  constructor(@Inject(SchedulerEngine) private readonly engine: SchedulerEngine) {}

  @OnEvent(rollout('rollout-starting'))
  onStarting(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-start-scheduled'))
  onStartScheduled(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-group-triggered'))
  onGroupTriggered(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-resumed'))
  onResumed(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-stopping'))
  onStopping(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-finished'))
  onFinished(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-deleting'))
  onDeleting(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('rollout-rollback-requested'))
  onRollbackRequested(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('group-started'))
  onGroupStarted(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('group-soak-started'))
  onSoakStarted(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('group-success-condition-met'))
  onSuccessMet(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('group-error-condition-met'))
  onErrorMet(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(rollout('group-finished'))
  onGroupFinished(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.react(event, ctx);
  }

  @OnEvent(health('gate-evaluated'))
  async onGateEvaluated(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.engine.onGateEvaluated(ctx.tx, event.tenant, event.data);
  }

  @OnEvent(health('rollback-triggered'))
  async onRollbackTriggered(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.engine.onRollbackTriggered(ctx.tx, event.tenant, event.data);
  }

  @OnEvent(target('target-created'))
  onTargetCreated(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.targetChanged(event, ctx);
  }

  @OnEvent(target('target-updated'))
  onTargetUpdated(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.targetChanged(event, ctx);
  }

  @OnEvent(target('target-attributes-updated'))
  onTargetAttributes(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.targetChanged(event, ctx);
  }

  @OnEvent(target('target-tagged'))
  onTargetTagged(@Payload() event: CloudEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.targetChanged(event, ctx);
  }

  /** Dynamic rollouts: a target that now matches a running dynamic rollout's filter joins it. */
  private async targetChanged(event: CloudEvent, ctx: JetStreamContext): Promise<void> {
    const controllerId = TARGET_STREAM.exec(event.streamid)?.[1];
    if (!controllerId) return;
    await this.engine.onTargetChanged(ctx.tx, event.tenant, controllerId, event.id);
  }

  private async react(event: CloudEvent, ctx: JetStreamContext): Promise<void> {
    const type = parseEventType(event.type).event;
    const problem = this.guard.problem(event.type, event.data);
    if (problem) {
      // Retrying cannot fix a payload; the consumer must not stall behind it either.
      this.logger.warn(`ignoring ${event.type} ${event.id} on ${event.streamid}: ${problem}`);
      return;
    }
    await this.engine.react(ctx.tx, event.tenant, [{ streamId: event.streamid, type, data: event.data, eventId: event.id }]);
  }
}
