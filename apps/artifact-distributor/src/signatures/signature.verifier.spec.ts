import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { ed25519PublicKey, verifyArtifactSignature } from './signature.verifier';

describe('Ed25519 artifact signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const rawPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64');
  const sha256 = createHash('sha256').update('firmware').digest('hex');
  const signature = sign(null, Buffer.from(sha256, 'hex'), privateKey).toString('base64');

  it('verifies a signature over the sha256 digest with the raw public key', () => {
    const key = ed25519PublicKey(rawPublic);
    expect(key).toBeDefined();
    expect(verifyArtifactSignature(key!, sha256, signature)).toBe(true);
  });

  it('rejects another digest, another key, and malformed input', () => {
    const key = ed25519PublicKey(rawPublic)!;
    const other = createHash('sha256').update('firmware2').digest('hex');
    expect(verifyArtifactSignature(key, other, signature)).toBe(false);
    const stranger = generateKeyPairSync('ed25519').publicKey;
    expect(verifyArtifactSignature(stranger, sha256, signature)).toBe(false);
    expect(verifyArtifactSignature(key, sha256, 'not base64!')).toBe(false);
    expect(verifyArtifactSignature(key, sha256, Buffer.alloc(10).toString('base64'))).toBe(false);
    expect(ed25519PublicKey(Buffer.alloc(31).toString('base64'))).toBeUndefined();
    expect(ed25519PublicKey('%%%')).toBeUndefined();
  });
});
