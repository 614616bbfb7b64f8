import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { ARTIFACTS_CONFIG, CONTENT_STORE, HOT_CONTENT } from './artifacts.tokens';
import { ArtifactCatalog } from './catalog/artifact-catalog';
import { ARTIFACT_SOURCE, rememberingSource, type ArtifactSource } from './distribution/artifact-source';
import { RegionCacheRegistry } from './distribution/region-cache.registry';
import { UpstreamFillSource } from './distribution/upstream-fill.source';
import type { ArtifactsConfig } from './config';
import { ArtifactAdminController } from './http/artifact-admin.controller';
import { ArtifactDownloadController } from './http/artifact-download.controller';
import { ArtifactUploadController } from './http/artifact-upload.controller';
import { FsContentStore } from './storage/fs-content-store';
import { HotContent } from './storage/hot-content';

/** Form fields besides the file are a few short strings; these limits keep a hostile form small. */
const MULTIPART_LIMITS = { files: 1, fields: 10, fieldSize: 16 * 1024, parts: 12, headerPairs: 100 };
/**
 * busboy's buffers: its 16 KiB default for file parts means a pause and a resume every 16 KiB, which on a
 * multi-GiB image costs more than the hashing (bench: upload_hash).
 */
const MULTIPART_BUFFER_BYTES = 1024 * 1024;

@Module({})
export class ArtifactsModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
  ) {}

  static forRoot(config: ArtifactsConfig): DynamicModule {
    const store = new FsContentStore(config.dir);
    return {
      module: ArtifactsModule,
      controllers: [ArtifactUploadController, ArtifactDownloadController, ArtifactAdminController],
      providers: [
        { provide: ARTIFACTS_CONFIG, useValue: config },
        { provide: CONTENT_STORE, useValue: store },
        { provide: HOT_CONTENT, useValue: new HotContent(store, config.memoryCacheBytes) },
        ArtifactCatalog,
        RegionCacheRegistry,
        { provide: ARTIFACT_SOURCE, useFactory: (catalog: ArtifactCatalog) => artifactSource(config, store, catalog), inject: [ArtifactCatalog] },
      ],
    };
  }

  /**
   * The multipart parser is a Fastify plugin; registering it before the server starts listening is enough
   * for Fastify to load it ahead of the first request. Its own size limit is set one byte past ours so that
   * the store, which counts while hashing, is the one that refuses (with our 413 and code), and busboy's
   * silent truncation never produces a short artifact.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(multipart, { limits: { ...MULTIPART_LIMITS, fileSize: this.config.maxBytes + 1 }, throwFileSizeLimit: false, fileHwm: MULTIPART_BUFFER_BYTES, highWaterMark: MULTIPART_BUFFER_BYTES });
  }
}

/** How long the central store trusts what it read of an artifact's stream (see rememberingSource). */
const CATALOG_ANSWER_TTL_MS = 5_000;

/** The central store answers from the log; a region cache (ARTIFACTS_UPSTREAM_URL) from what it filled. */
function artifactSource(config: ArtifactsConfig, store: FsContentStore, catalog: ArtifactCatalog): ArtifactSource {
  if (config.upstreamUrl && config.downloadToken) {
    return new UpstreamFillSource(store, { upstreamUrl: config.upstreamUrl, downloadToken: config.downloadToken, dir: config.dir, maxBytes: config.maxBytes });
  }
  return rememberingSource({ resolve: (tenant, sha256) => catalog.artifact(tenant, sha256) }, CATALOG_ANSWER_TTL_MS);
}
