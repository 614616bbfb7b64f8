import type { ArtifactAddedData } from '@rollgate/catalog-domain';
import { applyEach, streamKey, type ReadModelProjection } from '../read-model';

/**
 * The artifacts of each software module (names, hashes, size, signature). The bytes are the distributor's;
 * several modules (or tenants) may name the same content. A deleted module takes its artifacts with it.
 */
export const softwareModuleArtifactsProjection: ReadModelProjection = {
  name: 'software-module-artifacts',
  tables: ['software_module_artifacts'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('software_module_artifacts')}" (
        tenant      text   NOT NULL,
        module_id   text   NOT NULL,
        id          text   NOT NULL,
        file_name   text   NOT NULL,
        sha256      text   NOT NULL,
        sha1        text   NOT NULL,
        md5         text   NOT NULL,
        size        bigint NOT NULL,
        signature   jsonb,
        created_at  bigint NOT NULL,
        created_by  text   NOT NULL,
        PRIMARY KEY (tenant, module_id, id)
      )`);
  },

  async apply(db, events, t) {
    const table = `"${t('software_module_artifacts')}"`;
    await applyEach(events, 'softwaremodule', async (event, e) => {
      const moduleId = streamKey(e.streamId);
      if (event === 'software-module-artifact-added') {
        const d = e.data as ArtifactAddedData;
        await db.query(
          `INSERT INTO ${table} (tenant, module_id, id, file_name, sha256, sha1, md5, size, signature, created_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant, module_id, id) DO NOTHING`,
          [e.tenant, moduleId, d.artifactId, d.fileName, d.sha256, d.sha1, d.md5, d.size, d.signature ? JSON.stringify(d.signature) : null, d.at, d.by],
        );
      } else if (event === 'software-module-artifact-removed') {
        await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND module_id = $2 AND id = $3`, [e.tenant, moduleId, (e.data as { artifactId: string }).artifactId]);
      } else if (event === 'software-module-deleted') {
        await db.query(`DELETE FROM ${table} WHERE tenant = $1 AND module_id = $2`, [e.tenant, moduleId]);
      }
    });
  },
};
