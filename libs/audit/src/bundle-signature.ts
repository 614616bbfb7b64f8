import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '@rollgate/event-store';
import { DomainError } from '@rollgate/shared-domain';
import { BUNDLE_FORMAT, type EvidenceBundle } from './evidence-bundle';

export interface SigningKey {
  /** sha256 fingerprint of the raw public key, hex (what an auditor compares) */
  keyId: string;
  /** base64 of the raw 32-byte Ed25519 public key */
  publicKey: string;
  privateKey: KeyObject;
}

/** What the export writes: the bundle, the hash of its HTML report, and one Ed25519 signature over both. */
export interface SignedBundle {
  format: typeof BUNDLE_FORMAT;
  bundle: EvidenceBundle;
  reportSha256: string;
  signature: { algorithm: 'ed25519'; keyId: string; publicKey: string; value: string };
}

export interface BundleVerification {
  ok: boolean;
  keyId?: string;
  /** why it failed, naming what does not match */
  problem?: string;
}

export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new DomainError('signing_key_invalid', 'the audit signing key must be an Ed25519 private key (PKCS#8 PEM)');
  const raw = rawPublicKey(createPublicKey(privateKey));
  return { keyId: fingerprint(raw), publicKey: raw.toString('base64'), privateKey };
}

/**
 * The server's audit key from a PKCS#8 PEM file, made on first use (owner-only, 0600) so that every bundle of
 * a server is signed by the same key, whose fingerprint operators publish.
 */
export function loadOrCreateSigningKey(file: string): SigningKey {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return signingKeyFromPem(readFileSync(file, 'utf8'));
}

export function signBundle(bundle: EvidenceBundle, report: string, key: SigningKey): SignedBundle {
  const reportSha256 = sha256(report);
  const value = sign(null, signedBytes(bundle, reportSha256), key.privateKey).toString('base64');
  return { format: BUNDLE_FORMAT, bundle, reportSha256, signature: { algorithm: 'ed25519', keyId: key.keyId, publicKey: key.publicKey, value } };
}

/**
 * Offline verification: the signature over the canonical bundle and the report hash, by the key the bundle
 * names. `trustedKeyId` pins the server's fingerprint (else any self-consistent key would pass, so the caller
 * must compare the returned keyId with the one the server publishes); `report` checks the HTML next to it.
 */
export function verifyBundle(signed: unknown, options: { trustedKeyId?: string; report?: string } = {}): BundleVerification {
  const candidate = signed as Partial<SignedBundle> | null;
  if (!candidate || typeof candidate !== 'object' || candidate.format !== BUNDLE_FORMAT || !candidate.bundle || !candidate.signature || typeof candidate.reportSha256 !== 'string') {
    return { ok: false, problem: `not a ${BUNDLE_FORMAT} file` };
  }
  const { signature } = candidate;
  let raw: Buffer;
  try {
    raw = Buffer.from(signature.publicKey, 'base64');
    if (raw.length !== 32) return { ok: false, problem: 'the signing public key is not a raw 32-byte Ed25519 key' };
  } catch {
    return { ok: false, problem: 'the signing public key is not base64' };
  }
  const keyId = fingerprint(raw);
  if (keyId !== signature.keyId) return { ok: false, keyId, problem: `the key id ${signature.keyId} is not the fingerprint of the key in the bundle (${keyId})` };
  if (options.trustedKeyId && options.trustedKeyId !== keyId) return { ok: false, keyId, problem: `signed by key ${keyId}, not by the trusted key ${options.trustedKeyId}` };
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  let valid = false;
  try {
    valid = verify(null, signedBytes(candidate.bundle, candidate.reportSha256), publicKey, Buffer.from(signature.value, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, keyId, problem: 'the signature does not match the bundle: its contents were changed after signing' };
  if (options.report !== undefined && sha256(options.report) !== candidate.reportSha256) {
    return { ok: false, keyId, problem: 'the HTML report does not match the hash recorded in the signed bundle' };
  }
  return { ok: true, keyId };
}

function signedBytes(bundle: EvidenceBundle, reportSha256: string): Buffer {
  return Buffer.from(canonicalJson({ bundle, reportSha256 }), 'utf8');
}

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
}

function fingerprint(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
