import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A raw Ed25519 public key is 32 bytes; a signature 64. */
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** Decodes a base64 raw Ed25519 public key; undefined when it is not one. */
export function ed25519PublicKey(base64: string): KeyObject | undefined {
  const raw = decodeBase64(base64);
  if (raw?.length !== PUBLIC_KEY_BYTES) return undefined;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/**
 * Verifies a detached Ed25519 signature over the artifact's raw 32-byte sha256 digest. Signing the digest
 * rather than the bytes is deliberate: Ed25519 (unlike Ed25519ph) needs the whole message in memory, and
 * artifacts are streamed and may be gigabytes; the device computes the same digest while it downloads.
 */
export function verifyArtifactSignature(publicKey: KeyObject, sha256Hex: string, signatureBase64: string): boolean {
  const signature = decodeBase64(signatureBase64);
  if (signature?.length !== SIGNATURE_BYTES) return false;
  return verify(null, Buffer.from(sha256Hex, 'hex'), publicKey, signature);
}

function decodeBase64(value: string): Buffer | undefined {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  return Buffer.from(trimmed, 'base64');
}
