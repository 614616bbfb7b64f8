import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * group-scheduler's durable state, written in the same transactions as the events it appends:
 *
 * `scheduler_groups`: one row per started group: its action id range (so an action event maps to its group
 * from the stream id alone), its counters (moved once per action event, never recounted), pacing
 * (`released`) and the phase the conditions are evaluated against.
 *
 * `scheduler_timers`: durable timers (startAt, soaks, gate re-checks, pacing, deploy timeouts). A timer fires
 * in the transaction that deletes its row, so it fires once even with several instances (SKIP LOCKED) and
 * survives a restart.
 *
 * `scheduler_rate_buckets`: each rollout's maximumPerMinute token bucket.
 */
export class CreateSchedulerTables1764800000000 implements MigrationInterface {
  name = 'CreateSchedulerTables1764800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE scheduler_groups (
        tenant          text     NOT NULL,
        group_id        text     NOT NULL,
        rollout_id      text     NOT NULL,
        idx             integer  NOT NULL,
        first_action_id bigint   NOT NULL,
        size            integer  NOT NULL,
        released        integer  NOT NULL,
        download_only   boolean  NOT NULL,
        phase           text     NOT NULL,
        success_met     boolean  NOT NULL DEFAULT false,
        scheduled       integer  NOT NULL,
        running         integer  NOT NULL DEFAULT 0,
        downloaded      integer  NOT NULL DEFAULT 0,
        finished        integer  NOT NULL DEFAULT 0,
        error           integer  NOT NULL DEFAULT 0,
        canceled        integer  NOT NULL DEFAULT 0,
        verified        integer  NOT NULL DEFAULT 0,
        notified        integer  NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, group_id)
      )`);
    // action id -> group: the range whose first id is the greatest one not above the action's id
    await db.query(`CREATE INDEX scheduler_groups_range ON scheduler_groups (tenant, first_action_id)`);
    await db.query(`CREATE INDEX scheduler_groups_rollout ON scheduler_groups (tenant, rollout_id)`);
    await db.query(`
      CREATE TABLE scheduler_timers (
        tenant      text    NOT NULL,
        timer_id    text    NOT NULL,
        kind        text    NOT NULL,
        rollout_id  text    NOT NULL,
        due_at      bigint  NOT NULL,
        payload     jsonb   NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant, timer_id)
      )`);
    await db.query(`CREATE INDEX scheduler_timers_due ON scheduler_timers (due_at)`);
    await db.query(`CREATE INDEX scheduler_timers_rollout ON scheduler_timers (tenant, rollout_id)`);
    await db.query(`
      CREATE TABLE scheduler_rate_buckets (
        tenant      text             NOT NULL,
        rollout_id  text             NOT NULL,
        tokens      double precision NOT NULL,
        at          bigint           NOT NULL,
        PRIMARY KEY (tenant, rollout_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE scheduler_rate_buckets`);
    await db.query(`DROP TABLE scheduler_timers`);
    await db.query(`DROP TABLE scheduler_groups`);
  }
}
