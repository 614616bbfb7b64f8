// A relay in a process of its own, so that a test can kill -9 it. Configured by the environment; prints
// `ready` once started and its stats as JSON when stopped with SIGTERM.
import { connect } from '@nats-io/transport-node';
import { Pool } from 'pg';
import { EventRelay } from '../src';
import { busNamesFromEnv, requiredEnv } from './child-env';

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 6 });
  const nc = await connect({ servers: requiredEnv('NATS_URL'), name: 'relay-process' });
  const relay = new EventRelay({ pool, nc, names: busNamesFromEnv(), batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 1000), standbyRetryMs: 200 });
  await relay.start();
  console.log('ready');
  process.once('SIGTERM', async () => {
    await relay.stop();
    console.log(`stats ${JSON.stringify(relay.stats, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}`);
    await nc.drain();
    await pool.end();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
