import { ArtifactHttpError } from '../storage/content-errors';
import { requireDownloadAccess, requireUploadToken, signDownloadLink } from './credentials';

describe('artifact credentials', () => {
  const token = 'upload-token-0123456789';
  const secret = 'link-secret-0123456789abcdef0123456789';
  const sha256 = 'a'.repeat(64);
  const now = 1_800_000_000_000;

  const codeOf = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error instanceof ArtifactHttpError ? `${error.status} ${error.code}` : String(error);
    }
  };

  it('requires the configured upload token, refusing all uploads when none is configured', () => {
    expect(codeOf(() => requireUploadToken(`Bearer ${token}`, token))).toBeUndefined();
    expect(codeOf(() => requireUploadToken(`Bearer ${token}`, undefined))).toBe('503 uploads_not_configured');
    expect(codeOf(() => requireUploadToken(undefined, token))).toBe('401 credentials_missing');
    expect(codeOf(() => requireUploadToken('Bearer wrong', token))).toBe('403 credentials_invalid');
  });

  it('accepts a signed link for exactly its tenant and content until it expires', () => {
    const expires = now / 1000 + 60;
    const signature = signDownloadLink(secret, 'acme', sha256, expires);
    const config = { linkSecret: secret };
    expect(codeOf(() => requireDownloadAccess({ expires: String(expires), signature }, config, 'acme', sha256, now))).toBeUndefined();
    expect(codeOf(() => requireDownloadAccess({ expires: String(expires), signature }, config, 'other', sha256, now))).toBe('403 link_invalid');
    expect(codeOf(() => requireDownloadAccess({ expires: String(expires), signature }, config, 'acme', 'b'.repeat(64), now))).toBe('403 link_invalid');
    expect(codeOf(() => requireDownloadAccess({ expires: String(expires + 1), signature }, config, 'acme', sha256, now))).toBe('403 link_invalid');
    expect(codeOf(() => requireDownloadAccess({ expires: String(expires), signature }, config, 'acme', sha256, now + 61_000))).toBe('403 link_expired');
    expect(codeOf(() => requireDownloadAccess({}, config, 'acme', sha256, now))).toBe('401 credentials_missing');
    expect(codeOf(() => requireDownloadAccess({ authorization: 'Bearer x' }, config, 'acme', sha256, now))).toBe('403 credentials_invalid');
  });

  it('accepts the service download token and refuses everything when nothing is configured', () => {
    expect(codeOf(() => requireDownloadAccess({ authorization: `Bearer ${token}` }, { downloadToken: token }, 'acme', sha256, now))).toBeUndefined();
    expect(codeOf(() => requireDownloadAccess({ authorization: `Bearer ${token}` }, {}, 'acme', sha256, now))).toBe('503 downloads_not_configured');
  });
});
