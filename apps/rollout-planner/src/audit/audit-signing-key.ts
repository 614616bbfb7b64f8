import { join } from 'node:path';
import { loadOrCreateSigningKey, signingKeyFromPem, type SigningKey } from '@rollgate/audit';

export const AUDIT_SIGNING_KEY = Symbol('AUDIT_SIGNING_KEY');

/** A lazily loaded key: the file is touched on the first export, not when the service boots. */
export type SigningKeySource = () => SigningKey;

/**
 * The server's Ed25519 key for evidence bundles: ROLLGATE_AUDIT_SIGNING_KEY (PKCS#8 PEM text, e.g. from a
 * secret store), else the file ROLLGATE_AUDIT_SIGNING_KEY_FILE, else .data/audit-signing-key.pem under the
 * working directory (what `rollgate up` and the CLI's local default use), made owner-only on first use.
 */
export function signingKeySource(env: NodeJS.ProcessEnv): SigningKeySource {
  let key: SigningKey | undefined;
  return () => {
    key ??= env.ROLLGATE_AUDIT_SIGNING_KEY
      ? signingKeyFromPem(env.ROLLGATE_AUDIT_SIGNING_KEY)
      : loadOrCreateSigningKey(env.ROLLGATE_AUDIT_SIGNING_KEY_FILE ?? join(process.cwd(), '.data', 'audit-signing-key.pem'));
    return key;
  };
}
