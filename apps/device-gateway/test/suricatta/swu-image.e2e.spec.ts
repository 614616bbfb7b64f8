import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packCpioNewc } from './cpio-newc';
import { createSigningIdentity, type SigningIdentity } from './signing-identity';
import { ensureSwupdate } from './swupdate-installation';
import { runSwupdateOnFile, type CheckResult } from './swupdate-runner';
import { buildSwuImage, type SwuImageSpec } from './swu-image';

/*
 * The .swu this suite builds, judged by the real swupdate binary (Debian's 2022.12) without any server:
 * the same image that the suricatta specs serve through the gateway must pass swupdate's own checks.
 */
jest.setTimeout(300_000);

describe('a signed .swu built in the test, judged by swupdate', () => {
  let dir: string;
  let identity: SigningIdentity;
  const hardware = { board: 'rollgate-board', revision: '1.0' };

  const spec = (installDir: string, content = 'installed by swupdate\n'): SwuImageSpec => ({
    version: '2.0.0',
    board: hardware.board,
    hardwareRevisions: ['0.9', hardware.revision],
    files: [{ filename: 'payload.txt', content: Buffer.from(content), installPath: join(installDir, 'payload.txt') }],
  });

  beforeAll(() => {
    ensureSwupdate();
    dir = mkdtempSync(join(tmpdir(), 'rg-swu-'));
    identity = createSigningIdentity(dir);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('passes check mode (-c): signature verified against the CA, hardware compatible, nothing installed', async () => {
    const installDir = join(dir, 'check-target');
    mkdirSync(installDir);
    const image = write('check.swu', buildSwuImage(spec(installDir), identity, dir).bytes);

    const result = await runSwupdateOnFile(image, identity.caCertPath, hardware, dir, 'check');

    expectAccepted(result);
    expect(result.output).toContain('Verified OK');
    expect(result.output).toContain('Hardware compatibility verified');
    expect(existsSync(join(installDir, 'payload.txt'))).toBe(false);
  });

  it('installs the rawfile entry where sw-description says, with the exact content', async () => {
    const installDir = join(dir, 'install-target');
    mkdirSync(installDir);
    const image = write('install.swu', buildSwuImage(spec(installDir, 'version 2.0.0\n'), identity, dir).bytes);

    const result = await runSwupdateOnFile(image, identity.caCertPath, hardware, dir, 'install');

    expectAccepted(result);
    expect(readFileSync(join(installDir, 'payload.txt'), 'utf8')).toBe('version 2.0.0\n');
  });

  it('rejects an image whose sw-description was changed after signing', async () => {
    const installDir = join(dir, 'tampered-target');
    mkdirSync(installDir);
    const good = buildSwuImage(spec(installDir), identity, dir);
    // The original signature next to a description that now claims another version.
    const tampered = packCpioNewc([
      { name: 'sw-description', data: Buffer.from(good.swDescription.replace('2.0.0', '2.0.1')) },
      { name: 'sw-description.sig', data: extractMember(good.bytes, 'sw-description.sig') },
      { name: 'payload.txt', data: extractMember(good.bytes, 'payload.txt') },
    ]);
    const image = write('tampered.swu', tampered);

    // swupdate 2022.12 sometimes loses its own temporary copy of the .sig ("cannot be opened") before it
    // verifies; such a run proves nothing about the signature, so it is run again (at most three times).
    let result = await runSwupdateOnFile(image, identity.caCertPath, hardware, dir, 'check');
    for (let attempt = 1; attempt < 3 && result.output.includes('sw-description.sig cannot be opened'); attempt += 1) {
      result = await runSwupdateOnFile(image, identity.caCertPath, hardware, dir, 'check');
    }

    expect(result.accepted).toBe(false);
    expect(result.output).toContain('Signature verification failed');
  });

  it('checks the newc checksums this writer computes: a payload whose header checksum is off by one is refused', async () => {
    const good = buildSwuImage(spec(join(dir, 'unused')), identity, dir).bytes;
    const corrupted = Buffer.from(good);
    // The payload member's header ends with its 8-hex-digit check field, right before the name.
    const checkAt = good.indexOf(Buffer.from('payload.txt\0')) - 8;
    const check = parseInt(good.subarray(checkAt, checkAt + 8).toString('ascii'), 16);
    corrupted.write(((check + 1) >>> 0).toString(16).padStart(8, '0'), checkAt, 'ascii');
    const image = write('corrupted.swu', corrupted);

    const result = await runSwupdateOnFile(image, identity.caCertPath, hardware, dir, 'check');

    expect(result.accepted).toBe(false);
    expect(result.output).toContain(`Checksum WRONG ! Computed 0x${check.toString(16)}, it should be 0x${(check + 1).toString(16)}`);
  });

  it('rejects an image signed by a certificate from another CA', async () => {
    const otherDir = join(dir, 'other-ca');
    mkdirSync(otherDir);
    const stranger = createSigningIdentity(otherDir);
    const image = write('stranger.swu', buildSwuImage(spec(join(dir, 'unused')), stranger, otherDir).bytes);

    const result = await runSwupdateOnFile(image, identity.caCertPath, hardware, dir, 'check');

    expect(result.accepted).toBe(false);
    expect(result.output).toContain('Authentication of all signatures failed');
  });

  it('rejects an image for another hardware revision', async () => {
    const image = write('other-hw.swu', buildSwuImage(spec(join(dir, 'unused')), identity, dir).bytes);

    const result = await runSwupdateOnFile(image, identity.caCertPath, { ...hardware, revision: '7.0' }, dir, 'check');

    expect(result.accepted).toBe(false);
    expect(result.output).toContain('SW not compatible with hardware');
  });
});

/** Accepted, or a failure that shows swupdate's own account of why. */
function expectAccepted(result: CheckResult): void {
  if (!result.accepted) throw new Error(`swupdate refused the image:\n${result.output}`);
}

/** The data of one member of a newc archive (the spec's own reader, for re-packing). */
function extractMember(archive: Buffer, wanted: string): Buffer {
  let offset = 0;
  while (offset < archive.length) {
    const header = archive.subarray(offset, offset + 110).toString('ascii');
    const size = parseInt(header.slice(54, 62), 16);
    const nameSize = parseInt(header.slice(94, 102), 16);
    const name = archive.subarray(offset + 110, offset + 110 + nameSize - 1).toString('utf8');
    const dataAt = Math.ceil((offset + 110 + nameSize) / 4) * 4;
    if (name === wanted) return Buffer.from(archive.subarray(dataAt, dataAt + size));
    offset = Math.ceil((dataAt + size) / 4) * 4;
  }
  throw new Error(`no member ${wanted}`);
}
