/**
 * The log readers' horizon, as an SQL expression: a reader returns only events whose `transaction_id` is
 * below it, so that the prefix it reads can no longer grow in the middle (a bigserial handed out before a
 * late commit is never skipped).
 *
 * It used to be `pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still open anywhere in the
 * PostgreSQL cluster. Transaction ids are cluster-wide, so a long write in any other database (a bulk load, a
 * migration, another application, another test's seed) held every Rollgate reader back until it ended: read
 * models answered 503 `read_model_lagging` and the 5,000-device demo failed while a benchmark seeded another
 * database. A transaction of another database can never write this database's events, so it is left out:
 *
 * the horizon is the oldest transaction open in the reader's snapshot that is not known to belong to another
 * database, or the snapshot's xmax when there is none. What is known: pg_stat_activity's `backend_xid` of each
 * backend and the database it is connected to (for life). Transaction ids are never reused, so an id listed
 * under another database's backend is that database's, even when the listing is older than the snapshot (it
 * is cached per transaction); an id not listed (assigned or ended since) counts as possibly ours. Gap-free as
 * before: an event below the horizon was written either by a transaction that ended before the snapshot
 * (visible to it) or by one that cannot write here. Backends of other databases creating or dropping a
 * database (tests do it all the time) are left out too, which locks on their own relations could not prove.
 *
 * Uncorrelated, so PostgreSQL evaluates it once per statement (an InitPlan), with the statement's snapshot.
 * backend_xid is shown to every role.
 */
export const LOG_HORIZON = `(
  SELECT COALESCE(min(running.xid), pg_snapshot_xmax(pg_current_snapshot()))
    FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid)
   WHERE (running.xid::text::bigint % 4294967296) NOT IN (
           SELECT backend_xid::text::bigint FROM pg_stat_activity
            WHERE backend_xid IS NOT NULL
              AND datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database()))
)`;
