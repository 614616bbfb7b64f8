import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The system of record. `events` is append-only: a row trigger refuses UPDATE and DELETE and a statement
 * trigger refuses TRUNCATE, whoever asks (the application role is never granted those either).
 *
 * `transaction_id` (xid8, assigned by the inserting transaction) is what makes the global log readable
 * without gaps: readers page by (transaction_id, position) and stop below the oldest open transaction
 * (`pg_snapshot_xmin`), so a bigserial handed out early but committed late is never skipped.
 */
export class CreateEventLog1763780000000 implements MigrationInterface {
  name = 'CreateEventLog1763780000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        position        bigserial   NOT NULL,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        id              uuid        NOT NULL,
        tenant          text        NOT NULL,
        stream_id       text        NOT NULL,
        stream_version  integer     NOT NULL CHECK (stream_version > 0),
        type            text        NOT NULL,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
        recorded_at     timestamptz NOT NULL,
        prev_hash       bytea,
        hash            bytea       NOT NULL,
        -- The primary key is the log order itself: readers page by it, so no second index is needed.
        CONSTRAINT events_pkey PRIMARY KEY (transaction_id, position),
        CONSTRAINT events_id_unique UNIQUE (id),
        CONSTRAINT events_stream_version_unique UNIQUE (tenant, stream_id, stream_version)
      )`);

    await db.query(`
      CREATE FUNCTION rollgate_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE FUNCTION rollgate_notify_append() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('rollgate_events', '');
        RETURN NULL;
      END $$`);
    await db.query(`CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change()`);
    await db.query(`CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION rollgate_refuse_change()`);
    // One notification per inserting statement (and PostgreSQL folds duplicates per transaction): tailers
    // wake up at once instead of waiting for their next poll.
    await db.query(`CREATE TRIGGER events_notify_append AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION rollgate_notify_append()`);

    // Seals chain ranges of the global log, in log order, to the previous seal: deleting the last event of a
    // stream, or a whole stream, breaks no per-stream chain but does break a seal.
    await db.query(`
      CREATE TABLE event_seals (
        seal_no         bigserial   PRIMARY KEY,
        after_tx        xid8        NOT NULL,
        after_position  bigint      NOT NULL,
        last_tx         xid8        NOT NULL,
        last_position   bigint      NOT NULL,
        event_count     integer     NOT NULL CHECK (event_count > 0),
        prev_hash       bytea,
        hash            bytea       NOT NULL,
        sealed_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE TRIGGER event_seals_refuse_update_delete BEFORE UPDATE OR DELETE ON event_seals FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change()`);
    await db.query(`CREATE TRIGGER event_seals_refuse_truncate BEFORE TRUNCATE ON event_seals FOR EACH STATEMENT EXECUTE FUNCTION rollgate_refuse_change()`);

    // Where each reader of the log (the relay, each projection) has got to. Mutable by design.
    await db.query(`
      CREATE TABLE log_checkpoints (
        name            text        PRIMARY KEY,
        transaction_id  xid8        NOT NULL,
        position        bigint      NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE log_checkpoints`);
    await db.query(`DROP TABLE event_seals`);
    await db.query(`DROP TABLE events`);
    await db.query(`DROP FUNCTION rollgate_notify_append()`);
    await db.query(`DROP FUNCTION rollgate_refuse_change()`);
  }
}
