import { ARTIFACT_EVENTS, eventType } from '@rollgate/contracts';
import type { Pool } from 'pg';

/** the planner's module events that link content to a module (`softwaremodule-<id>` streams, catalog-events.ts) */
export const MODULE_LINK_EVENTS = {
  artifactAdded: eventType('softwaremodule', 'software-module-artifact-added'),
  artifactRemoved: eventType('softwaremodule', 'software-module-artifact-removed'),
  moduleDeleted: eventType('softwaremodule', 'software-module-deleted'),
} as const;

/**
 * The sha256 of content still referenced, with how many module artifacts hold it.
 *
 * Why one SQL query over the log and not a reference-count read model: the only reader is garbage
 * collection, an operator action that runs rarely, while a projection would need its own table, checkpoint
 * and tailer in a service that has none today (it reads its tiny streams per request). The query reads only
 * the three module events by type and is exact at the moment it runs; if collection ever runs often on a
 * large log, a projection over the same three events replaces it without changing callers.
 *
 * A module artifact is (tenant, module stream, artifactId): `software-module-artifact-removed` names only the
 * artifactId, and the planner keeps one artifactId per file name in a module. Log order within a module is its
 * stream version (every event involved lives in that one stream): a link holds when the latest added/removed
 * event of its artifact is an add and no `software-module-deleted` follows it. Content attached twice (two
 * modules, two tenants, two file names) counts twice, so removing one link leaves it referenced.
 *
 * Content recorded by `artifact-stored` at or after `storedSinceMs` is referenced too (count 0): an upload
 * records its content before the planner appends the module link, and collection in between must not delete it.
 */
export async function referencedContentCounts(pool: Pool, storedSinceMs: number): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ sha256: string; holders: string }>(
    `WITH latest_link AS (
       SELECT DISTINCT ON (tenant, stream_id, data->>'artifactId') tenant, stream_id, stream_version, type, data->>'sha256' AS sha256
       FROM events
       WHERE type = ANY($1::text[])
       ORDER BY tenant, stream_id, data->>'artifactId', stream_version DESC
     ),
     held AS (
       SELECT l.sha256 FROM latest_link l
       WHERE l.type = $2 AND l.sha256 IS NOT NULL
         AND NOT EXISTS (
           SELECT 1 FROM events d
           WHERE d.type = $3 AND d.tenant = l.tenant AND d.stream_id = l.stream_id AND d.stream_version > l.stream_version
         )
     )
     SELECT sha256, count(*)::text AS holders FROM held GROUP BY sha256
     UNION ALL
     SELECT DISTINCT data->>'sha256', '0' FROM events WHERE type = $4 AND recorded_at >= $5 AND data->>'sha256' IS NOT NULL`,
    [
      [MODULE_LINK_EVENTS.artifactAdded, MODULE_LINK_EVENTS.artifactRemoved],
      MODULE_LINK_EVENTS.artifactAdded,
      MODULE_LINK_EVENTS.moduleDeleted,
      ARTIFACT_EVENTS.stored,
      new Date(storedSinceMs),
    ],
  );
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.sha256, (counts.get(row.sha256) ?? 0) + Number(row.holders));
  return counts;
}
