import { EventPattern } from '@nestjs/microservices';

/**
 * `@EventPattern(type)` for handlers on the JetStream transport. Nest 12 types a bare
 * `@EventPattern('...')` as `(data, ...args: unknown[])`, which refuses a handler whose second parameter
 * is `@Ctx() ctx: JetStreamContext`; pinning the pattern type to string picks the untyped overload.
 *
 *   @OnEvent('io.rollgate.rollout.group-started.v1')
 *   async onGroupStarted(@Payload() event: CloudEvent<GroupStarted>, @Ctx() ctx: JetStreamContext) { ... }
 */
export function OnEvent(type: string): MethodDecorator {
  return EventPattern<string>(type);
}
