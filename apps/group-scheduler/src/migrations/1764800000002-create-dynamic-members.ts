import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dynamic rollouts: the running ones with their filter (`scheduler_dynamic_rollouts`), and the targets that
 * joined after creation (`scheduler_dynamic_members`), pending until they fill a dynamic group (group_id set).
 */
export class CreateDynamicMembers1764800000002 implements MigrationInterface {
  name = 'CreateDynamicMembers1764800000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE scheduler_dynamic_rollouts (
        tenant      text   NOT NULL,
        rollout_id  text   NOT NULL,
        filter      text   NOT NULL,
        created_at  bigint NOT NULL,
        PRIMARY KEY (tenant, rollout_id)
      )`);
    await db.query(`
      CREATE TABLE scheduler_dynamic_members (
        tenant      text NOT NULL,
        rollout_id  text NOT NULL,
        target_id   text NOT NULL,
        group_id    text,
        PRIMARY KEY (tenant, rollout_id, target_id)
      )`);
    await db.query(`CREATE INDEX scheduler_dynamic_pending ON scheduler_dynamic_members (tenant, rollout_id, target_id) WHERE group_id IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE scheduler_dynamic_members`);
    await db.query(`DROP TABLE scheduler_dynamic_rollouts`);
  }
}
