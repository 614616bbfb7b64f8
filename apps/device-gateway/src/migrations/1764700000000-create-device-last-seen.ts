import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Last contact per device, written in batches by device-gateway (never per poll). */
export class CreateDeviceLastSeen1764700000000 implements MigrationInterface {
  name = 'CreateDeviceLastSeen1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE IF NOT EXISTS device_last_seen (
        tenant         text        NOT NULL,
        controller_id  text        NOT NULL,
        last_seen_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant, controller_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE IF EXISTS device_last_seen');
  }
}
