import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, SetMetadata, UnsupportedMediaTypeException, UseFilters } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { softwareModuleDecider } from '@rollgate/catalog-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError } from '@rollgate/shared-domain';
import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import { PLANNER_CONFIG, type PlannerConfig } from '../config';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { Projections } from '../shared/projections.service';
import { findOne, link } from '../shared/read-model.queries';
import { ArtifactUploadError, ArtifactUploadErrorFilter, forwardUpload } from './artifact-store.client';
import { DOCUMENTED_BODY } from '../openapi/route-catalog';
import { naturalId } from './catalog-ids';

interface ArtifactRow {
  module_id: string;
  id: string;
  file_name: string;
  sha256: string;
  sha1: string;
  md5: string;
  size: string;
  signature: { algorithm: string; keyId: string } | null;
  created_at: string;
  created_by: string;
}

/** What the multipart form carries, for the OpenAPI document (the distributor checks it). */
const UploadForm = Type.Object({
  file: Type.String({ format: 'binary' }),
  fileName: Type.Optional(Type.String({ maxLength: 255 })),
  version: Type.Optional(Type.String({ maxLength: 128 })),
  architecture: Type.Optional(Type.String({ maxLength: 64 })),
  signature: Type.Optional(Type.String({ description: 'base64 Ed25519 signature over the raw sha256 digest' })),
  signatureKeyId: Type.Optional(Type.String({ maxLength: 128 })),
});

interface UploadRequest {
  headers: Record<string, string | string[] | undefined>;
  raw: IncomingMessage;
}

/**
 * `/rest/v1/softwaremodules/{id}/artifacts`. Uploads are multipart (field `file`, and the distributor's
 * optional `fileName`, `version`, `architecture`, `signature`, `signatureKeyId`), streamed through to
 * artifact-distributor, which hashes, verifies the signature and stores; the module then names the content
 * in `software-module-artifact-added`. A file name appears once per module.
 */
@Controller('rest/v1/softwaremodules/:moduleId/artifacts')
export class SoftwareModuleArtifactsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(PLANNER_CONFIG) private readonly config: PlannerConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @Requires('CREATE_SOFTWARE_MODULE')
  @UseFilters(ArtifactUploadErrorFilter)
  @SetMetadata(DOCUMENTED_BODY, { contentType: 'multipart/form-data', schema: UploadForm })
  async upload(@Caller() caller: Principal, @Param('moduleId') moduleId: string, @Req() request: UploadRequest): Promise<Record<string, unknown>> {
    const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'multipart/form-data') throw new UnsupportedMediaTypeException(`an upload is multipart/form-data, got "${type || 'none'}"`);
    await this.module(caller.tenant, moduleId);
    if (!this.config.artifacts) throw new ArtifactUploadError(503, 'artifacts_not_configured', 'uploads are disabled: ROLLGATE_ARTIFACTS_URL is not set');
    const stored = await forwardUpload(this.config.artifacts, caller.tenant, request.raw);
    const artifactId = naturalId(moduleId, stored.fileName);
    const { sha256, sha1, md5, size, fileName, signature } = stored;
    await this.repository.execute(caller, 'softwaremodule', `softwaremodule-${moduleId}`, softwareModuleDecider, {
      type: 'add-artifact', artifactId, fileName, sha256, sha1, md5, size, ...(signature ? { signature } : {}), by: caller.username, at: Date.now(),
    });
    await this.projections.catchUp();
    return toArtifact(await this.row(caller.tenant, moduleId, artifactId));
  }

  /** hawkBit answers the module's artifacts as a plain array. */
  @Get()
  @Requires('READ_SOFTWARE_MODULE')
  async list(@Caller() caller: Principal, @Param('moduleId') moduleId: string): Promise<Array<Record<string, unknown>>> {
    await this.module(caller.tenant, moduleId);
    const { rows } = await this.pool.query<ArtifactRow>('SELECT * FROM software_module_artifacts WHERE tenant = $1 AND module_id = $2 ORDER BY file_name', [caller.tenant, moduleId]);
    return rows.map(toArtifact);
  }

  @Get(':artifactId')
  @Requires('READ_SOFTWARE_MODULE')
  async get(@Caller() caller: Principal, @Param('moduleId') moduleId: string, @Param('artifactId') artifactId: string): Promise<Record<string, unknown>> {
    await this.module(caller.tenant, moduleId);
    return toArtifact(await this.row(caller.tenant, moduleId, artifactId));
  }

  /** The module stops naming the content; the bytes stay while anything else names them (distributor's gc). */
  @Delete(':artifactId')
  @HttpCode(200)
  @Requires('DELETE_SOFTWARE_MODULE')
  async remove(@Caller() caller: Principal, @Param('moduleId') moduleId: string, @Param('artifactId') artifactId: string): Promise<void> {
    await this.module(caller.tenant, moduleId);
    await this.repository.execute(caller, 'softwaremodule', `softwaremodule-${moduleId}`, softwareModuleDecider, { type: 'remove-artifact', artifactId, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  private async module(tenant: string, moduleId: string): Promise<void> {
    await findOne(this.pool, 'software_modules', 'id', tenant, moduleId, 'software_module_not_found');
  }

  private async row(tenant: string, moduleId: string, artifactId: string): Promise<ArtifactRow> {
    const { rows } = await this.pool.query<ArtifactRow>('SELECT * FROM software_module_artifacts WHERE tenant = $1 AND module_id = $2 AND id = $3', [tenant, moduleId, artifactId]);
    if (rows.length === 0) throw new DomainError('artifact_not_found', `software module ${moduleId} has no artifact ${artifactId}`);
    return rows[0];
  }
}

/** hawkBit's artifact fields, plus Rollgate's signature (algorithm and key; the value stays with the distributor's events). */
function toArtifact(row: ArtifactRow): Record<string, unknown> {
  return {
    id: row.id,
    providedFilename: row.file_name,
    size: Number(row.size),
    hashes: { sha1: row.sha1, md5: row.md5, sha256: row.sha256 },
    signed: row.signature !== null,
    ...(row.signature ? { signature: { algorithm: row.signature.algorithm, keyId: row.signature.keyId } } : {}),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    lastModifiedBy: row.created_by,
    lastModifiedAt: Number(row.created_at),
    _links: link(`softwaremodules/${row.module_id}/artifacts/${row.id}`),
  };
}
