import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consumer host's bookkeeping, in the same database as each service's read models so that it commits in
 * the same transaction as a handler's effects.
 *
 * `processed_events` makes handling idempotent: the host inserts (consumer, event id) before running the
 * handler and commits both together, so a redelivered or republished event finds its row and is skipped.
 *
 * `dead_letters` keeps what a consumer gave up on (malformed messages, events whose handler kept failing),
 * with the raw payload, so that an operator can see it and replay it once the cause is fixed.
 */
export class CreateBusTables1763790000000 implements MigrationInterface {
  name = 'CreateBusTables1763790000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE processed_events (
        consumer      text        NOT NULL,
        event_id      uuid        NOT NULL,
        processed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await db.query(`
      CREATE TABLE dead_letters (
        id               bigserial   PRIMARY KEY,
        consumer         text        NOT NULL,
        subject          text        NOT NULL,
        stream_sequence  bigint      NOT NULL,
        event_id         text,
        event_type       text,
        payload          bytea       NOT NULL,
        error            text        NOT NULL,
        deliveries       integer     NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        replayed_at      timestamptz,
        replay_error     text
      )`);
    // What an operator lists: a consumer's dead letters not yet replayed.
    await db.query(`CREATE INDEX dead_letters_pending ON dead_letters (consumer, id) WHERE replayed_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE dead_letters`);
    await db.query(`DROP TABLE processed_events`);
  }
}
