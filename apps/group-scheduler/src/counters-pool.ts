import { Logger } from '@nestjs/common';
import { Pool } from 'pg';

/**
 * Connections of the counters' own pool: its LISTEN, a page read ahead and the batch's transaction. The
 * counters are the scheduler's reaction path: on the service's pool they can queue for a connection behind the
 * read models, the relay and the bus consumer, which all wake up on the same appends.
 */
const COUNTERS_POOL_SIZE = 4;
export const COUNTERS_POOL = Symbol('COUNTERS_POOL');

export function countersPool(pool: Pool): Pool {
  const own = new Pool({ ...pool.options, max: COUNTERS_POOL_SIZE });
  // An idle client losing its connection emits on the pool; unhandled, that would crash the process.
  own.on('error', (error) => new Logger('postgres').warn(`idle counters connection failed: ${error.message}`));
  return own;
}
