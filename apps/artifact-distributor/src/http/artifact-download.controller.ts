import { Controller, Get, Inject, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { ifRangeMatches, parseRange, selectDownloadSource } from '@rollgate/artifacts-domain';
import type { ArtifactStored } from '@rollgate/contracts';
import { ARTIFACTS_CONFIG, CONTENT_STORE, HOT_CONTENT } from '../artifacts.tokens';
import { requireDownloadAccess, signDownloadLink } from '../auth/credentials';
import { ARTIFACT_SOURCE, type ArtifactSource } from '../distribution/artifact-source';
import { RegionCacheRegistry } from '../distribution/region-cache.registry';
import type { ArtifactsConfig } from '../config';
import { ArtifactHttpError } from '../storage/content-errors';
import type { ContentStore } from '../storage/content-store';
import type { HotContent } from '../storage/hot-content';
import { VerifyingTransform } from '../storage/verifying.transform';
import { ArtifactErrorFilter } from './artifact-error.filter';
import { requireTenant } from './artifact-upload.controller';
import { byteRangesBody } from './byte-ranges.body';

const FILE = /^([0-9a-f]{64})(\.MD5SUM)?$/;
const OCTETS = 'application/octet-stream';
const SHA256 = /^[0-9a-f]{64}$/;
/** Long enough for a slow device to finish (and resume) a large download, short enough to be useless when leaked. */
const LINK_TTL_SECONDS = 6 * 3600;

export interface DownloadLink {
  href: string;
  md5sumHref: string;
  source: 'cache' | 'central';
  expiresAt: string;
}

/**
 * `GET|HEAD /artifacts/v1/:tenant/:sha256` (full, single Range, multipart/byteranges; If-Range; ETag is the
 * quoted sha1 as in hawkBit) and `GET /artifacts/v1/:tenant/:sha256.MD5SUM`. Whether a device may have the
 * artifact (its own open actions) is device-gateway's decision, expressed by the signed link it hands out
 * (issue 6); this controller checks the link, the tenant's ownership and the content.
 */
@Controller('artifacts/v1/:tenant')
@UseFilters(ArtifactErrorFilter)
export class ArtifactDownloadController {
  /** blobs found corrupted on a full read; refused until an operator repairs them (restart clears) */
  private readonly corrupted = new Set<string>();

  constructor(
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    @Inject(CONTENT_STORE) private readonly store: ContentStore,
    @Inject(HOT_CONTENT) private readonly hot: HotContent,
    @Inject(ARTIFACT_SOURCE) private readonly source: ArtifactSource,
    private readonly caches: RegionCacheRegistry,
  ) {}

  /**
   * `GET /artifacts/v1/:tenant/:sha256/link?device=&region=`: a signed link for one device, pointing at a
   * healthy cache of its region, else at the central store. For device-gateway (download token), which
   * decides that the device may have the artifact (its own open actions, issue 6) before it asks.
   */
  @Get(':sha256/link')
  async link(
    @Param('tenant') tenant: string,
    @Param('sha256') sha256: string,
    @Query() query: Record<string, string | undefined>,
    @Req() request: FastifyRequest,
  ): Promise<DownloadLink> {
    requireTenant(tenant);
    if (!SHA256.test(sha256)) throw new ArtifactHttpError(404, 'artifact_not_found', 'no such artifact');
    requireDownloadAccess({ authorization: request.headers.authorization }, this.config, tenant, sha256, Date.now());
    if (!this.config.linkSecret) throw new ArtifactHttpError(503, 'links_not_configured', 'signed links are disabled: ARTIFACTS_LINK_SECRET is not set');
    if (!(await this.source.resolve(tenant, sha256))) throw new ArtifactHttpError(404, 'artifact_not_found', 'no such artifact');
    const now = Date.now();
    const chosen = selectDownloadSource(await this.caches.caches(), query['region'], query['device'] ?? '', now);
    const base = chosen.kind === 'cache' ? chosen.cache.baseUrl : (this.config.publicUrl ?? `${request.protocol}://${request.host}`);
    const expires = Math.floor(now / 1000) + LINK_TTL_SECONDS;
    const signed = `expires=${expires}&signature=${signDownloadLink(this.config.linkSecret, tenant, sha256, expires)}`;
    const path = `${base.replace(/\/$/, '')}/artifacts/v1/${tenant}/${sha256}`;
    return { href: `${path}?${signed}`, md5sumHref: `${path}.MD5SUM?${signed}`, source: chosen.kind, expiresAt: new Date(expires * 1000).toISOString() };
  }

  @Get(':file')
  async download(
    @Param('tenant') tenant: string,
    @Param('file') file: string,
    @Query() query: Record<string, string | undefined>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    requireTenant(tenant);
    const match = FILE.exec(file);
    if (!match) throw new ArtifactHttpError(404, 'artifact_not_found', 'no such artifact');
    const sha256 = match[1];
    requireDownloadAccess({ authorization: request.headers.authorization, expires: query['expires'], signature: query['signature'] }, this.config, tenant, sha256, Date.now());
    const artifact = await this.source.resolve(tenant, sha256);
    if (!artifact) throw new ArtifactHttpError(404, 'artifact_not_found', 'no such artifact');
    if (match[2]) {
      await reply.header('content-type', 'text/plain; charset=utf-8').send(`${artifact.md5}  ${artifact.fileName}\n`);
      return;
    }
    await this.sendContent(artifact, request, reply);
  }

  private async sendContent(artifact: ArtifactStored, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { sha256 } = artifact;
    if (this.corrupted.has(sha256)) throw new ArtifactHttpError(500, 'artifact_corrupted', 'the stored content failed its integrity check');
    const size = await this.store.size(sha256);
    // Recorded but gone: garbage collection removed it once no software module held it any more.
    if (size === undefined) throw new ArtifactHttpError(410, 'artifact_collected', 'the content was garbage-collected: no software module holds it any more');
    if (size !== artifact.size) throw new ArtifactHttpError(500, 'artifact_content_missing', 'the stored content has the wrong size');
    const etag = `"${artifact.sha1}"`;
    const notModified = request.headers['if-none-match'] === etag;
    const head = request.method === 'HEAD';
    const wanted = ifRangeMatches(header(request, 'if-range'), etag) ? parseRange(header(request, 'range'), size) : { kind: 'full' as const };
    // Bodies of one piece (full or a single range) come from memory for small blobs (see HotContent).
    const inMemory = notModified || head || wanted.kind === 'unsatisfiable' || (wanted.kind === 'ranges' && wanted.ranges.length > 1) ? undefined : await this.hotBytes(sha256, size);
    reply
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('content-disposition', `attachment; filename="${artifact.fileName.replace(/["\\\r\n]/g, '_')}"`)
      .header('x-content-sha256', sha256)
      // Signed links are per device and expire: shared caches must not keep them.
      .header('cache-control', 'private, no-transform');
    if (notModified) {
      await reply.code(304).send();
      return;
    }
    if (wanted.kind === 'unsatisfiable') {
      await reply.code(416).header('content-range', `bytes */${size}`).header('content-type', 'application/json; charset=utf-8').send({ code: 'range_not_satisfiable', message: `the content has ${size} bytes` });
      return;
    }
    if (wanted.kind === 'ranges' && wanted.ranges.length === 1) {
      const [range] = wanted.ranges;
      reply.code(206).header('content-type', OCTETS).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
      await reply.send(head ? noBody() : (inMemory?.subarray(range.start, range.end + 1) ?? this.store.read(sha256, range)));
      return;
    }
    if (wanted.kind === 'ranges') {
      const multipart = byteRangesBody(this.store, sha256, wanted.ranges, size, OCTETS);
      reply.code(206).header('content-type', multipart.contentType).header('content-length', multipart.length);
      await reply.send(head ? noBody() : multipart.body);
      return;
    }
    reply.code(200).header('content-type', OCTETS).header('content-length', size);
    if (head) {
      await reply.send(noBody());
      return;
    }
    if (inMemory) {
      await reply.send(inMemory);
      return;
    }
    const verified = this.store.read(sha256).pipe(new VerifyingTransform(sha256, () => this.corrupted.add(sha256)));
    await reply.send(verified);
  }

  /** A small blob's verified bytes from memory; undefined: stream it. A corrupt one is refused from then on. */
  private async hotBytes(sha256: string, size: number): Promise<Buffer | undefined> {
    const found = await this.hot.bytes(sha256, size);
    if (found.kind === 'corrupt') {
      this.corrupted.add(sha256);
      throw new ArtifactHttpError(500, 'artifact_corrupted', 'the stored content failed its integrity check');
    }
    return found.kind === 'bytes' ? found.bytes : undefined;
  }
}

/**
 * HEAD answers go through Fastify's generated HEAD route, which keeps our Content-Length only when the
 * payload is a stream (an undefined payload is rewritten to length 0); an empty stream costs no file read.
 */
function noBody(): Readable {
  return Readable.from([]);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
