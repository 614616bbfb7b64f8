// A consumer host in a process of its own, running the counter projection, so that a test can kill -9 it.
// Configured by the environment; prints `ready` once attached.
import { connect } from '@nats-io/transport-node';
import { Pool } from 'pg';
import { ConsumerHost } from '../src';
import { busNamesFromEnv, requiredEnv } from './child-env';
import { countEvent } from './counter-projection';
import { SILENT_LOGGER, THING_HAPPENED } from './bus-test-kit';

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 4 });
  const nc = await connect({ servers: requiredEnv('NATS_URL'), name: 'consumer-process' });
  const host = new ConsumerHost({
    pool,
    nc,
    names: busNamesFromEnv(),
    durableName: requiredEnv('CONSUMER_NAME'),
    handlerFor: (type) => (type === THING_HAPPENED ? countEvent : undefined),
    ackWaitMs: Number(process.env.ACK_WAIT_MS ?? 30_000),
    batchSize: 100,
    logger: SILENT_LOGGER,
  });
  await host.start();
  console.log('ready');
  process.once('SIGTERM', async () => {
    await host.stop();
    await nc.drain();
    await pool.end();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
