import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { downloadLinkPayload } from '@rollgate/contracts';
import { ArtifactHttpError } from '../storage/content-errors';

/**
 * Compares a presented secret with the configured one in time independent of where they differ and of
 * their lengths (both are hashed first, so timingSafeEqual always sees 32 bytes).
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerTokenOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Uploads and key registration, until planner-mediated auth (issue 4) replaces it: one configured service
 * token. Unset means the operator has not decided who may upload, so nobody may (503, not an open door).
 */
export function requireUploadToken(authorization: string | undefined, configured: string | undefined): void {
  if (configured === undefined) throw new ArtifactHttpError(503, 'uploads_not_configured', 'uploads are disabled: ARTIFACTS_UPLOAD_TOKEN is not set');
  const token = bearerTokenOf(authorization);
  if (token === undefined) throw new ArtifactHttpError(401, 'credentials_missing', 'a bearer token is required');
  if (!secretsEqual(token, configured)) throw new ArtifactHttpError(403, 'credentials_invalid', 'the bearer token is not valid for uploads');
}

export function signDownloadLink(secret: string, tenant: string, sha256: string, expiresEpochSeconds: number): string {
  return createHmac('sha256', secret).update(downloadLinkPayload(tenant, sha256, expiresEpochSeconds)).digest('hex');
}

export interface DownloadCredentials {
  authorization?: string;
  expires?: string;
  signature?: string;
}

export interface DownloadAuthConfig {
  downloadToken?: string;
  linkSecret?: string;
}

/**
 * A download is allowed with the service download token (caches, tools) or a signed link for exactly this
 * tenant and content that has not expired (what device-gateway hands to a device). Which device may have
 * which link (its own open actions) is decided by device-gateway when it signs (issue 6), not here.
 */
export function requireDownloadAccess(credentials: DownloadCredentials, config: DownloadAuthConfig, tenant: string, sha256: string, nowMs: number): void {
  if (config.downloadToken === undefined && config.linkSecret === undefined) {
    throw new ArtifactHttpError(503, 'downloads_not_configured', 'downloads are disabled: neither ARTIFACTS_DOWNLOAD_TOKEN nor ARTIFACTS_LINK_SECRET is set');
  }
  const token = bearerTokenOf(credentials.authorization);
  if (token !== undefined) {
    if (config.downloadToken !== undefined && secretsEqual(token, config.downloadToken)) return;
    throw new ArtifactHttpError(403, 'credentials_invalid', 'the bearer token is not valid for downloads');
  }
  if (credentials.signature === undefined || credentials.expires === undefined) {
    throw new ArtifactHttpError(401, 'credentials_missing', 'a bearer token or a signed link (expires, signature) is required');
  }
  if (config.linkSecret === undefined || !/^\d{1,12}$/.test(credentials.expires)) {
    throw new ArtifactHttpError(403, 'link_invalid', 'the download link is not valid');
  }
  const expires = Number(credentials.expires);
  const expected = signDownloadLink(config.linkSecret, tenant, sha256, expires);
  if (!secretsEqual(credentials.signature, expected)) throw new ArtifactHttpError(403, 'link_invalid', 'the download link is not valid');
  // Checked after the signature, so an expired answer is only ever given for a link we really issued.
  if (expires * 1000 < nowMs) throw new ArtifactHttpError(403, 'link_expired', 'the download link has expired');
}
