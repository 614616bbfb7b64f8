import { spawn } from 'node:child_process';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { connectTestNats, NATS_URL } from '@rollgate/testing';
import { PullFeed } from './pull-feed';

jest.setTimeout(60_000);

/** Blocks the event loop, as a long synchronous step (a big page decoded, a major GC) does. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

/** Publishes `count` messages `everyMs` apart from another process, so they arrive while this one is blocked. */
function publishFromChild(subject: string, count: number, everyMs: number): Promise<void> {
  const script = `
    const { connect } = require('@nats-io/transport-node');
    const { jetstream } = require('@nats-io/jetstream');
    (async () => {
      const nc = await connect({ servers: ${JSON.stringify(NATS_URL)} });
      const js = jetstream(nc);
      for (let i = 1; i <= ${count}; i++) {
        await js.publish(${JSON.stringify(subject)}, JSON.stringify({ i, at: Date.now() }));
        await new Promise((r) => setTimeout(r, ${everyMs}));
      }
      await nc.close();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited with ${code}`))));
  });
}

describe('PullFeed', () => {
  const stream = `PULLFEED_${process.pid}_${Date.now().toString(36)}`.toUpperCase();
  const subject = `${stream.toLowerCase()}.msg`;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let consumers = 0;

  beforeAll(async () => {
    nc = await connectTestNats();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
  });
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  /** A consumer of the messages published from now on, with the production ack wait of 30 s. */
  async function newConsumer(): Promise<string> {
    consumers += 1;
    const name = `c${consumers}`;
    await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.Explicit, ack_wait: nanos(30_000), deliver_policy: 'new' as never });
    return name;
  }

  it('given a process blocked for longer than a pull lasts, when messages arrive meanwhile, then each is handled once and none waits for the ack wait', async () => {
    const consumer = await newConsumer();
    const feed = new PullFeed(nc, stream, consumer, { batch: 10, expiresMs: 1000 });
    const publishing = publishFromChild(subject, 24, 100);
    const seen: Array<{ i: number; lagMs: number; deliveries: number }> = [];
    try {
      while (seen.length < 24) {
        feed.request();
        for (let msg = await feed.next(); msg; msg = await feed.next()) {
          const { i, at } = JSON.parse(new TextDecoder().decode(msg.data)) as { i: number; at: number };
          seen.push({ i, lagMs: Date.now() - at, deliveries: msg.info.deliveryCount });
          // every fourth message blocks the loop past the pull's expiry and an idle heartbeat's two intervals
          if (i % 4 === 0) busy(1_300);
          msg.ack();
        }
      }
      await publishing;
    } finally {
      feed.close();
    }

    expect(seen.map((s) => s.i)).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
    expect(seen.every((s) => s.deliveries === 1)).toBe(true);
    expect(Math.max(...seen.map((s) => s.lagMs))).toBeLessThan(10_000);
  });

  it('given no messages, when a pull expires, then next() answers undefined within the expiry and the grace', async () => {
    const consumer = await newConsumer();
    const feed = new PullFeed(nc, stream, consumer, { batch: 10, expiresMs: 1000 });
    try {
      const started = Date.now();
      feed.request();
      await expect(feed.next()).resolves.toBeUndefined();
      const tookMs = Date.now() - started;
      expect(tookMs).toBeGreaterThanOrEqual(900);
      expect(tookMs).toBeLessThan(2_500);
    } finally {
      feed.close();
    }
  });

  it('acks, naks with a delay, and reports the delivery count and stream sequence of each delivery', async () => {
    const consumer = await newConsumer();
    const js = jetstream(nc);
    const ack = await js.publish(subject, 'one');
    const feed = new PullFeed(nc, stream, consumer, { batch: 1, expiresMs: 1000 });
    try {
      feed.request();
      const first = await feed.next();
      expect(first?.info).toEqual({ deliveryCount: 1, streamSequence: ack.seq });
      first!.nak(200);

      feed.request();
      const again = await feed.next();
      expect(again?.info).toEqual({ deliveryCount: 2, streamSequence: ack.seq });
      again!.ack();
      await nc.flush();

      const info = await jsm.consumers.info(stream, consumer);
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_pending).toBe(0);
    } finally {
      feed.close();
    }
  });

  it('given its consumer is deleted, when it pulls, then the pull ends unanswered so that the host checks the consumer', async () => {
    const consumer = await newConsumer();
    const feed = new PullFeed(nc, stream, consumer, { batch: 10, expiresMs: 1000 });
    try {
      feed.request();
      await expect(feed.next()).resolves.toBeUndefined();
      expect(feed.lastPullUnanswered).toBe(false);

      await jsm.consumers.delete(stream, consumer);
      feed.request();
      await expect(feed.next()).resolves.toBeUndefined();
      expect(feed.lastPullUnanswered).toBe(true);
    } finally {
      feed.close();
    }
  });
});
