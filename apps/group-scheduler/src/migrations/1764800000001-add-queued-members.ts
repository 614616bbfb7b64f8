import type { MigrationInterface, QueryRunner } from 'typeorm';

/** skip_and_queue: how many of a group's scheduled members are offline (not counted against its conditions). */
export class AddQueuedMembers1764800000001 implements MigrationInterface {
  name = 'AddQueuedMembers1764800000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE scheduler_groups ADD COLUMN queued integer NOT NULL DEFAULT 0`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE scheduler_groups DROP COLUMN queued`);
  }
}
