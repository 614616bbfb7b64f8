import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { EventHandler, HandlerContext } from '@rollgate/bus';
import type { CloudEvent } from '@rollgate/contracts';
import { isObservable, lastValueFrom } from 'rxjs';
import { JetStreamContext } from './jetstream.context';

/** The part of the bus's ConsumerHost the transport drives. */
export interface ConsumerHostLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly attached: boolean;
}

/**
 * Builds the consumer host once Nest has registered the handlers; the kit passes pool, NATS and names.
 * `eventTypes` are the handled types, for the host's consumer filter.
 */
export type ConsumerHostFactory = (handlerFor: (type: string) => EventHandler | undefined, eventTypes: string[]) => ConsumerHostLike;

type TransportEvent = 'attached' | 'stopped';

/**
 * Nest custom transport over the bus's ConsumerHost (a durable JetStream pull consumer). Nest collects the
 * `@EventPattern('io.rollgate.x.y.v1')` (or `@OnEvent`) methods of the app's controllers into
 * `messageHandlers` (Nest discovers message handlers in controllers only, so a handler class is listed in
 * a module's `controllers`); the host asks `handlerFor(type)` per message and acks types nobody handles. Pulling, acking, nak with backoff and dead-lettering stay in the host:
 * this class only turns a CloudEvent into a handler call and reports the outcome by resolving or
 * rejecting, which is all the host needs to decide between ack and nak.
 * A service without handlers runs no consumer at all: receiving and acking every event of the stream for
 * nothing cost the gateway a share of its feedback throughput. It counts as attached (it misses nothing).
 */
export class JetStreamTransport extends Server<Record<TransportEvent, () => void>> implements CustomTransportStrategy {
  // Like Kafka's transport: a handler's failure goes to the client library (the host naks or dead-letters
  // and logs it), so Nest need not report it too. RollgateExceptionFilter hands the error back unchanged.
  override readonly propagatesEventHandlerErrors = true;
  private host: ConsumerHostLike | undefined;
  /** listening without a consumer, because no handler is registered */
  private idle = false;
  private readonly listeners = new Map<TransportEvent, Array<() => void>>();

  constructor(private readonly createHost: ConsumerHostFactory) {
    super();
  }

  /** Nest calls this from `app.startAllMicroservices()`; the callback reports success or the start error. */
  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Drains: stops pulling and waits for in-flight handlers to commit and ack (ConsumerHost.stop). */
  async close(): Promise<void> {
    const host = this.host;
    this.host = undefined;
    this.idle = false;
    await host?.stop();
    this.emit('stopped');
  }

  on(event: TransportEvent, callback: () => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback]);
  }

  /** The ConsumerHost, e.g. for its dead letters: `transport.unwrap<ConsumerHost>().listDeadLetters()`. */
  unwrap<T>(): T {
    if (!this.host) throw new Error(this.idle ? 'the JetStream transport runs no consumer: the service handles no bus events' : 'the JetStream transport is not listening');
    return this.host as T;
  }

  /** For readiness: true while the durable consumer is attached and pulling. */
  get attached(): boolean {
    return this.idle || (this.host?.attached ?? false);
  }

  /** Event types some provider handles, e.g. for logging what a service consumes. */
  get eventTypes(): string[] {
    return [...this.messageHandlers.keys()];
  }

  private async start(): Promise<void> {
    const eventTypes = this.eventTypes;
    if (eventTypes.length === 0) {
      this.idle = true;
      this.emit('attached');
      return;
    }
    const host = this.createHost((type) => this.handlerFor(type), eventTypes);
    await host.start();
    this.host = host;
    this.emit('attached');
  }

  private handlerFor(type: string): EventHandler | undefined {
    const handler = this.getHandlerByPattern(type);
    if (!handler) return undefined;
    return (event, ctx) => this.invoke(handler, event, ctx);
  }

  /** The host already runs this inside its consumer span and transaction; Nest adds pipes, guards, filters. */
  private async invoke(handler: MessageHandler, event: CloudEvent, ctx: HandlerContext): Promise<void> {
    const result: unknown = await handler(event, new JetStreamContext([ctx]));
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private emit(event: TransportEvent): void {
    for (const callback of this.listeners.get(event) ?? []) callback();
  }
}
