import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Numeric id blocks (action ids). DDI clients treat action ids as integers, and a rollout's actions are never
 * written one by one: a group reserves a contiguous block at creation and member p's action is `first + p`.
 * One row per sequence name; reserving is a single-row UPDATE, so concurrent reservations serialize on it.
 */
export class CreateIdBlocks1764600000000 implements MigrationInterface {
  name = 'CreateIdBlocks1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE id_blocks (name text PRIMARY KEY, next_id bigint NOT NULL CHECK (next_id > 0))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE id_blocks`);
  }
}
