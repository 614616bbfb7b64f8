import type { Pool, PoolClient } from 'pg';
import type { Queryable } from '@rollgate/event-store';

/**
 * A session-level PostgreSQL advisory lock held on a dedicated connection: "the leader" among processes that
 * share a database. The lock lives exactly as long as that connection, so a leader that dies (even by
 * kill -9) releases it when PostgreSQL notices the closed socket, and a standby takes over.
 */
export class AdvisoryLease {
  private readonly lostController = new AbortController();
  private released = false;
  private readonly onError = (error: Error) => this.lostController.abort(error);
  private readonly onEnd = () => this.lostController.abort(new Error('lease connection ended'));

  private constructor(
    private readonly client: PoolClient,
    private readonly key: number,
    private readonly backendPid: number,
  ) {
    // A checked-out pg client has no error listener: without this one a dropped connection would crash the
    // process. Losing the connection means losing the lock, which the holder learns through `lost`.
    client.on('error', this.onError);
    client.on('end', this.onEnd);
  }

  /** The lease when this process got the lock, undefined when another session holds it. */
  static async tryAcquire(pool: Pool, key: number): Promise<AdvisoryLease | undefined> {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ acquired: boolean; pid: number }>('SELECT pg_try_advisory_lock($1) AS acquired, pg_backend_pid() AS pid', [key]);
      if (rows[0].acquired) return new AdvisoryLease(client, key, rows[0].pid);
      client.release();
      return undefined;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  }

  /** Aborts when the connection that holds the lock is gone. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * True when the lease's session still holds the lock, checked on another connection (`db`) so that it can
   * run inside the holder's write transaction as a fence: a leader that lost its lock must not move the
   * shared checkpoint.
   */
  async isHeld(db: Queryable): Promise<boolean> {
    if (this.lost.aborted) return false;
    const { rows } = await db.query(
      `SELECT EXISTS (
         SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND pid = $1 AND classid = 0 AND objid = $2 AND objsubid = 1 AND granted
       ) AS held`,
      [this.backendPid, this.key],
    );
    return rows[0].held === true;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.client.removeListener('end', this.onEnd);
    if (this.lost.aborted) {
      this.client.release(true);
      return;
    }
    try {
      await this.client.query('SELECT pg_advisory_unlock($1)', [this.key]);
      this.client.removeListener('error', this.onError);
      this.client.release();
    } catch (error) {
      // Destroying the connection releases the lock too.
      this.client.release(error as Error);
    }
  }
}
