import { Body, Controller, HttpCode, Inject, Param, Post, Req, UseFilters } from '@nestjs/common';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { ArtifactStoredSchema, type ArtifactStored } from '@rollgate/contracts';
import { isValidTenant } from '@rollgate/shared-domain';
import Ajv from 'ajv';
import { ARTIFACTS_CONFIG, CONTENT_STORE } from '../artifacts.tokens';
import { requireUploadToken } from '../auth/credentials';
import { ArtifactCatalog } from '../catalog/artifact-catalog';
import type { ArtifactsConfig } from '../config';
import { ed25519PublicKey, verifyArtifactSignature } from '../signatures/signature.verifier';
import { ArtifactHttpError } from '../storage/content-errors';
import type { ContentStore, StoredContent } from '../storage/content-store';
import { ArtifactErrorFilter } from './artifact-error.filter';

/** Text fields an upload may carry besides the `file` part. */
const FIELDS = ['fileName', 'version', 'architecture', 'signature', 'signatureKeyId'] as const;
type UploadFields = Partial<Record<(typeof FIELDS)[number], string>>;

const validateStored = new Ajv({ allErrors: true, strict: false }).compile<ArtifactStored>(ArtifactStoredSchema);

export interface UploadAnswer extends ArtifactStored {
  deduplicated: boolean;
}

/**
 * `POST /artifacts/v1/:tenant`, multipart/form-data with one `file` part and optional text fields. The
 * file part streams through the hashing store; nothing holds it whole in memory. The planner's
 * `softwaremodules/{id}/artifacts` will reach this once its auth (issue 4) mediates; until then the
 * configured upload token guards it.
 */
@Controller('artifacts/v1/:tenant')
@UseFilters(ArtifactErrorFilter)
export class ArtifactUploadController {
  constructor(
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    @Inject(CONTENT_STORE) private readonly store: ContentStore,
    private readonly catalog: ArtifactCatalog,
  ) {}

  @Post()
  @HttpCode(201)
  async upload(@Param('tenant') tenant: string, @Req() request: FastifyRequest): Promise<UploadAnswer> {
    requireUploadToken(request.headers.authorization, this.config.uploadToken);
    requireTenant(tenant);
    if (!request.isMultipart()) throw new ArtifactHttpError(400, 'multipart_invalid', 'the upload must be multipart/form-data');
    const { fields, stored } = await this.receive(request);
    const artifact = this.describe(stored, fields);
    if (artifact.signature) await this.checkSignature(tenant, artifact);
    await this.catalog.recordStored(tenant, artifact, 'upload-token');
    return { ...artifact, deduplicated: !stored.created };
  }

  @Post('trusted-keys')
  @HttpCode(201)
  async addTrustedKey(@Param('tenant') tenant: string, @Req() request: FastifyRequest, @Body() body: unknown): Promise<{ keyId: string }> {
    requireUploadToken(request.headers.authorization, this.config.uploadToken);
    requireTenant(tenant);
    const { keyId, publicKey } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof keyId !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(keyId)) throw new ArtifactHttpError(400, 'key_id_invalid', 'keyId must be 1 to 128 of A-Z a-z 0-9 . _ : -');
    if (typeof publicKey !== 'string' || !ed25519PublicKey(publicKey)) throw new ArtifactHttpError(400, 'public_key_invalid', 'publicKey must be a base64 raw 32-byte Ed25519 public key');
    const added = await this.catalog.addTrustedKey(tenant, { keyId, algorithm: 'ed25519', publicKey }, 'upload-token');
    if (!added) throw new ArtifactHttpError(409, 'key_id_taken', `key ${keyId} is already trusted; a key id never changes its key`);
    return { keyId };
  }

  /**
   * Walks the parts in arrival order. Text fields may come before or after the file (the signature often
   * is computed by the same client that streams the file); the signature is checked once all arrived.
   */
  private async receive(request: FastifyRequest): Promise<{ fields: UploadFields; stored: StoredContent }> {
    const fields: UploadFields = {};
    let stored: StoredContent | undefined;
    let fileName: string | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file' || stored) {
            part.file.resume();
            throw new ArtifactHttpError(400, 'multipart_invalid', 'exactly one file part, named "file", is expected');
          }
          fileName = (part as MultipartFile).filename;
          stored = await this.store.put((part as MultipartFile).file, { maxBytes: this.config.maxBytes });
        } else {
          const field = part as MultipartValue;
          if ((FIELDS as readonly string[]).includes(field.fieldname) && typeof field.value === 'string') fields[field.fieldname as keyof UploadFields] = field.value;
        }
      }
    } catch (error) {
      if (error instanceof ArtifactHttpError) throw error;
      // busboy's complaints (truncated body, bad boundary, too many parts) are the client's malformed form.
      throw new ArtifactHttpError(400, 'multipart_invalid', `the multipart body is malformed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!stored) throw new ArtifactHttpError(400, 'file_missing', 'the upload has no "file" part');
    return { fields: { fileName, ...dropEmpty(fields) }, stored };
  }

  private describe(stored: StoredContent, fields: UploadFields): ArtifactStored {
    const { created: _created, ...digests } = stored;
    const artifact: ArtifactStored = {
      ...digests,
      fileName: fields.fileName || stored.sha256,
      ...(fields.version ? { version: fields.version } : {}),
      ...(fields.architecture ? { architecture: fields.architecture } : {}),
      ...(fields.signature ? { signature: { algorithm: 'ed25519' as const, keyId: fields.signatureKeyId ?? '', value: fields.signature } } : {}),
    };
    if (!validateStored(artifact)) {
      const issues = (validateStored.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? 'invalid' }));
      throw new ArtifactHttpError(400, 'metadata_invalid', `the artifact metadata is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
    }
    return artifact;
  }

  private async checkSignature(tenant: string, artifact: ArtifactStored): Promise<void> {
    const signature = artifact.signature!;
    const trusted = await this.catalog.trustedKey(tenant, signature.keyId);
    if (!trusted) throw new ArtifactHttpError(422, 'signing_key_unknown', `key ${signature.keyId} is not among the tenant's trusted keys`);
    const key = ed25519PublicKey(trusted.publicKey);
    if (!key || !verifyArtifactSignature(key, artifact.sha256, signature.value)) {
      throw new ArtifactHttpError(422, 'signature_invalid', 'the signature does not verify against the artifact sha256 with the named key');
    }
  }
}

export function requireTenant(tenant: string): void {
  if (!isValidTenant(tenant)) throw new ArtifactHttpError(404, 'tenant_not_found', 'no such tenant');
}

function dropEmpty(fields: UploadFields): UploadFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== '')) as UploadFields;
}
