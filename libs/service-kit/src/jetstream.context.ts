import { BaseRpcContext } from '@nestjs/microservices';
import type { HandlerContext } from '@rollgate/bus';
import type { CloudEvent } from '@rollgate/contracts';
import type { PoolClient } from 'pg';

/**
 * What an `@EventPattern` handler receives with `@Ctx()`. `tx` is the consumer host's open transaction:
 * a handler writes its effects through it so that they commit together with the processed-event record
 * (that is what makes redelivery harmless). The handler must not commit or release it.
 */
export class JetStreamContext extends BaseRpcContext<[HandlerContext]> {
  get handlerContext(): HandlerContext {
    return this.args[0];
  }

  get tx(): PoolClient {
    return this.args[0].tx;
  }

  get event(): CloudEvent {
    return this.args[0].event;
  }

  /** 1 on first delivery; larger on redelivery after a nak or a crash */
  get deliveryCount(): number {
    return this.args[0].deliveryCount;
  }

  /** durable consumer name */
  get consumer(): string {
    return this.args[0].consumer;
  }
}
