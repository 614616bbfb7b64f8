import { Body, Controller, HttpCode, Inject, Param, Post, Put, Req, UseFilters } from '@nestjs/common';
import Ajv from 'ajv';
import { RegionCacheRegisteredSchema, type RegionCacheRegistered } from '@rollgate/contracts';
import type { FastifyRequest } from 'fastify';
import { ARTIFACTS_CONFIG, CONTENT_STORE } from '../artifacts.tokens';
import { bearerTokenOf, requireUploadToken, secretsEqual } from '../auth/credentials';
import { RegionCacheRegistry } from '../distribution/region-cache.registry';
import { ArtifactHttpError } from '../storage/content-errors';
import { ArtifactCatalog } from '../catalog/artifact-catalog';
import type { ArtifactsConfig } from '../config';
import { collectGarbage, type GcResult } from '../storage/content-gc';
import type { ContentStore } from '../storage/content-store';
import { ArtifactErrorFilter } from './artifact-error.filter';

const validateCache = new Ajv({ allErrors: true, strict: false }).compile<RegionCacheRegistered>(RegionCacheRegisteredSchema);

/**
 * Operator actions on the store as a whole (no tenant in the path). Guarded by the upload token until the
 * planner's operator auth (issue 4) takes over.
 */
@Controller('artifacts/admin/v1')
@UseFilters(ArtifactErrorFilter)
export class ArtifactAdminController {
  constructor(
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    @Inject(CONTENT_STORE) private readonly store: ContentStore,
    private readonly catalog: ArtifactCatalog,
    private readonly caches: RegionCacheRegistry,
  ) {}

  /** `PUT /artifacts/admin/v1/caches/:cacheId` `{ region, baseUrl }`: registers or moves a region cache. */
  @Put('caches/:cacheId')
  @HttpCode(200)
  async registerCache(@Param('cacheId') cacheId: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<RegionCacheRegistered> {
    requireUploadToken(request.headers.authorization, this.config.uploadToken);
    const cache = { ...(typeof body === 'object' && body !== null ? body : {}), cacheId };
    if (!validateCache(cache)) throw new ArtifactHttpError(400, 'cache_invalid', `the cache is invalid: ${(validateCache.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
    await this.caches.register(cache, 'upload-token');
    return cache;
  }

  /** `POST /artifacts/admin/v1/caches/:cacheId/heartbeat`: a cache says it is up (download token: caches are services). */
  @Post('caches/:cacheId/heartbeat')
  @HttpCode(204)
  async heartbeat(@Param('cacheId') cacheId: string, @Req() request: FastifyRequest): Promise<void> {
    const token = bearerTokenOf(request.headers.authorization);
    if (this.config.downloadToken === undefined) throw new ArtifactHttpError(503, 'downloads_not_configured', 'ARTIFACTS_DOWNLOAD_TOKEN is not set');
    if (token === undefined) throw new ArtifactHttpError(401, 'credentials_missing', 'a bearer token is required');
    if (!secretsEqual(token, this.config.downloadToken)) throw new ArtifactHttpError(403, 'credentials_invalid', 'the bearer token is not valid');
    if (!(await this.caches.heartbeat(cacheId, Date.now()))) throw new ArtifactHttpError(404, 'cache_not_found', `no cache ${cacheId} is registered`);
  }

  /**
   * `POST /artifacts/admin/v1/gc`: deletes blobs no tenant's software module holds (removed from their
   * modules, modules deleted, uploads refused for a bad signature), once older than the grace period.
   */
  @Post('gc')
  @HttpCode(200)
  async collect(@Req() request: FastifyRequest): Promise<GcResult> {
    requireUploadToken(request.headers.authorization, this.config.uploadToken);
    const now = Date.now();
    const referenced = await this.catalog.referencedContent(now - this.config.gcGraceMs);
    return collectGarbage(this.store, referenced, now, this.config.gcGraceMs);
  }
}
