import type { EventHandler } from '@rollgate/bus';
import { loadBuilt } from '../test/built-workspace';
import type * as TransportFile from './jetstream.transport';
import type { ConsumerHostLike, JetStreamTransport as Transport } from './jetstream.transport';

// Nest ships as ES modules only: the transport is loaded compiled, as the services run it (built-workspace).
const { JetStreamTransport } = loadBuilt<typeof TransportFile>('libs/service-kit/src/jetstream.transport.ts');

const GROUP_STARTED = 'io.rollgate.rollout.group-started.v1';

/** Records what the transport asks of its host; the host itself is covered against NATS in libs/bus. */
class RecordingHost implements ConsumerHostLike {
  started = false;
  constructor(
    readonly handlerFor: (type: string) => EventHandler | undefined,
    readonly eventTypes: string[],
  ) {}
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
  get attached(): boolean {
    return this.started;
  }
}

function listen(transport: Transport): Promise<void> {
  return new Promise((resolve, reject) => transport.listen((error) => (error ? reject(error) : resolve())));
}

describe('JetStreamTransport', () => {
  it('runs no consumer when the service handles no bus events, and counts as attached', async () => {
    const hosts: RecordingHost[] = [];
    const transport = new JetStreamTransport((handlerFor, eventTypes) => hosts[hosts.push(new RecordingHost(handlerFor, eventTypes)) - 1]);
    let attachedEvents = 0;
    transport.on('attached', () => (attachedEvents += 1));

    await listen(transport);

    expect(hosts).toEqual([]);
    expect(transport.attached).toBe(true);
    expect(attachedEvents).toBe(1);
    expect(() => transport.unwrap()).toThrow('handles no bus events');
    await transport.close();
    expect(transport.attached).toBe(false);
  });

  it('gives the host the handled event types for its consumer filter', async () => {
    const hosts: RecordingHost[] = [];
    const transport = new JetStreamTransport((handlerFor, eventTypes) => hosts[hosts.push(new RecordingHost(handlerFor, eventTypes)) - 1]);
    transport.addHandler(GROUP_STARTED, async () => undefined, true);

    await listen(transport);

    expect(hosts).toHaveLength(1);
    expect(hosts[0].eventTypes).toEqual([GROUP_STARTED]);
    expect(typeof hosts[0].handlerFor(GROUP_STARTED)).toBe('function');
    expect(hosts[0].handlerFor('io.rollgate.action.action-created.v1')).toBeUndefined();
    expect(transport.attached).toBe(true);
    await transport.close();
    expect(transport.attached).toBe(false);
  });
});
