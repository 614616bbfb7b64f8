import { Injectable } from '@nestjs/common';

/** Anything whose attachment readiness depends on (the JetStream transport). */
export interface AttachedConsumer {
  readonly attached: boolean;
}

/**
 * Where the transport, created outside the Nest container by bootstrap, makes itself known to readiness.
 * A service whose consumer was never connected is not ready: it would miss events.
 */
@Injectable()
export class ConsumerRegistry {
  private consumer: AttachedConsumer | undefined;

  register(consumer: AttachedConsumer): void {
    this.consumer = consumer;
  }

  get attached(): boolean {
    return this.consumer?.attached ?? false;
  }

  get registered(): boolean {
    return this.consumer !== undefined;
  }
}
