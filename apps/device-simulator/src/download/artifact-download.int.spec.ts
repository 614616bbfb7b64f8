import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import type * as KitModule from '@rollgate/service-kit';
import type * as DistributorAppModule from '../../../artifact-distributor/src/app.module';
import type * as DistributorConfig from '../../../artifact-distributor/src/config';
import { loadBuilt } from '../../test/built-workspace';
import { HttpClient } from '../ddi/http-client';
import { downloadArtifact } from './artifact-download';

// The real artifact-distributor (compiled tree, in this process) on its own database, bus names and directory.
const kit = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
const { AppModule } = loadBuilt<typeof DistributorAppModule>('apps/artifact-distributor/src/app.module.ts');
const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<typeof DistributorConfig>('apps/artifact-distributor/src/config.ts');

jest.setTimeout(90_000);

const UPLOAD_TOKEN = 'simulator-upload-token-0123456789';
const DOWNLOAD_TOKEN = 'simulator-download-token-0123456789';
const LINK_SECRET = 'simulator-link-secret-0123456789abcdef';
const TENANT = 'acme';
const hex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

describe('simulated devices download from the real artifact-distributor', () => {
  let db: TestDatabase;
  let names: BusNames;
  let nc: NatsConnection;
  let dir: string;
  let service: Awaited<ReturnType<typeof kit.createService>>;
  let http: HttpClient;
  const bytes = randomBytes(700_000);
  const expected = { size: bytes.length, hashes: { sha256: hex('sha256', bytes), sha1: hex('sha1', bytes), md5: hex('md5', bytes) } };
  let signedLink: string;

  beforeAll(async () => {
    db = await createTestDatabase('rg_simdl');
    names = testBusNames();
    nc = await connectTestNats();
    dir = await mkdtemp(join(tmpdir(), 'rg-sim-artifacts-'));
    const env = {
      DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names),
      ARTIFACTS_DIR: dir, ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN, ARTIFACTS_DOWNLOAD_TOKEN: DOWNLOAD_TOKEN, ARTIFACTS_LINK_SECRET: LINK_SECRET,
    };
    service = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule.forRoot(loadArtifactsConfig(env)), env });
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'image.swu');
    const uploaded = await fetch(`${service.url}/artifacts/v1/${TENANT}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${UPLOAD_TOKEN}` } });
    expect(uploaded.status).toBe(201);
    // The link a gateway would hand to one device: signed, pointing at the central store (no region cache).
    const link = await fetch(`${service.url}/artifacts/v1/${TENANT}/${expected.hashes.sha256}/link?device=dev-1&region=eu`, { headers: { authorization: `Bearer ${DOWNLOAD_TOKEN}` } });
    signedLink = ((await link.json()) as { href: string }).href;
    http = new HttpClient({ maxSockets: 4, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    http?.close();
    await service?.close();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads a whole artifact over a signed link and verifies sha256, sha1 and md5', async () => {
    let counted = 0;
    const outcome = await downloadArtifact(http, signedLink, expected, { onBytes: (n) => (counted += n) });
    expect(outcome).toEqual({ ok: true, bytes: bytes.length, resumes: 0 });
    expect(counted).toBe(bytes.length);
  });

  it('resumes a cut transfer with Range: every byte crosses the wire once', async () => {
    for (const cut of [1, 65_536, 350_001, bytes.length - 1]) {
      let counted = 0;
      const outcome = await downloadArtifact(http, signedLink, expected, { interruptAtByte: cut, onBytes: (n) => (counted += n) });
      expect(outcome).toEqual({ ok: true, bytes: bytes.length, resumes: 1 });
      // Had the server ignored the Range and sent everything again, the count would exceed the size.
      expect(counted).toBe(bytes.length);
    }
  });

  it('refuses content whose hashes differ from the ones the chunk announced', async () => {
    const wrongSha = { ...expected, hashes: { ...expected.hashes, sha256: hex('sha256', Buffer.from('other')) } };
    expect(await downloadArtifact(http, signedLink, wrongSha)).toEqual({ ok: false, reason: 'sha256 mismatch', resumes: 0, checksum: true });
    const wrongMd5 = { ...expected, hashes: { ...expected.hashes, md5: hex('md5', Buffer.from('other')) } };
    expect(await downloadArtifact(http, signedLink, wrongMd5, { interruptAtByte: 1_000 })).toEqual({ ok: false, reason: 'md5 mismatch', resumes: 1, checksum: true });
    expect(await downloadArtifact(http, signedLink, { ...expected, size: bytes.length + 1 })).toMatchObject({ ok: false, checksum: true, reason: `size ${bytes.length} != ${bytes.length + 1}` });
  });

  it('reports a refused link as the HTTP status, without retrying', async () => {
    const tampered = signedLink.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect(await downloadArtifact(http, tampered, expected)).toEqual({ ok: false, reason: 'HTTP 403', resumes: 0 });
  });

  it('carries many devices’ interrupted downloads over a few keep-alive sockets', async () => {
    let peak = 0;
    const watcher = setInterval(() => (peak = Math.max(peak, http.socketsInUse)), 1);
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, (_, i) => downloadArtifact(http, signedLink, expected, { interruptAtByte: 10_000 + i * 20_000 })),
    );
    clearInterval(watcher);
    expect(outcomes.every((o) => o.ok && o.resumes === 1)).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
  });
});
