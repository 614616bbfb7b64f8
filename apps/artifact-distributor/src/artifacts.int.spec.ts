import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNames } from '@rollgate/contracts';
import { ARTIFACT_EVENTS, artifactStreamId, eventType } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, testBusNames, type TestDatabase, serviceBusEnv } from '@rollgate/testing';
import type * as KitModule from '@rollgate/service-kit';
import type * as EventStoreModule from '@rollgate/event-store';
import { loadBuilt } from '../test/built-workspace';
import type * as AppModuleFile from './app.module';
import type * as ConfigFile from './config';
import type * as CredentialsFile from './auth/credentials';

const kit = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
const { EventStore } = loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts');
const { AppModule } = loadBuilt<typeof AppModuleFile>('apps/artifact-distributor/src/app.module.ts');
const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<typeof ConfigFile>('apps/artifact-distributor/src/config.ts');
const { signDownloadLink } = loadBuilt<typeof CredentialsFile>('apps/artifact-distributor/src/auth/credentials.ts');

jest.setTimeout(60_000);

const UPLOAD_TOKEN = 'upload-token-for-tests-0123456789';
const DOWNLOAD_TOKEN = 'download-token-for-tests-0123456789';
const LINK_SECRET = 'link-secret-for-tests-0123456789abcdef';
const MAX_BYTES = 2 * 1024 * 1024;
const TENANT = 'acme';

const hex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

describe('artifact-distributor over real HTTP, files, PostgreSQL and NATS', () => {
  let db: TestDatabase;
  let names: BusNames;
  let nc: NatsConnection;
  let dir: string;
  let service: Awaited<ReturnType<typeof kit.createService>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('rg_artifacts');
    names = testBusNames();
    nc = await connectTestNats();
    dir = await mkdtemp(join(tmpdir(), 'rg-artifacts-'));
    const env = {
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_LEVEL: 'fatal',
      ...serviceBusEnv(names),
      ARTIFACTS_DIR: dir,
      ARTIFACTS_MAX_BYTES: String(MAX_BYTES),
      ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN,
      ARTIFACTS_DOWNLOAD_TOKEN: DOWNLOAD_TOKEN,
      ARTIFACTS_LINK_SECRET: LINK_SECRET,
      // No grace: the gc test must see its unreferenced blob collected at once (tests here run one by one).
      ARTIFACTS_GC_GRACE_MS: '0',
    };
    service = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule.forRoot(loadArtifactsConfig(env)), env });
    pool = service.app.get<symbol, Pool>(kit.PG_POOL);
  });

  afterAll(async () => {
    await service?.close();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const form = (bytes: Buffer, fields: Record<string, string> = {}, fileName = 'image.swu'): FormData => {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    body.append('file', new Blob([bytes]), fileName);
    return body;
  };
  const upload = async (body: FormData | string, headers: Record<string, string> = { authorization: `Bearer ${UPLOAD_TOKEN}` }, tenant = TENANT) => {
    const response = await fetch(`${service.url}/artifacts/v1/${tenant}`, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const link = (sha256: string, tenant = TENANT, ttlSeconds = 300) => {
    const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
    return `${service.url}/artifacts/v1/${tenant}/${sha256}?expires=${expires}&signature=${signDownloadLink(LINK_SECRET, tenant, sha256, expires)}`;
  };
  const uploaded = async (bytes: Buffer, fields: Record<string, string> = {}) => {
    const answer = await upload(form(bytes, fields));
    expect(answer.status).toBe(201);
    return answer.body as { sha256: string; sha1: string; md5: string; size: number };
  };

  /** uploads `size` random bytes, then flips one bit of the stored blob on disk; answers its sha256 */
  const storedThenCorrupted = async (size: number, flippedByte: number) => {
    const victim = randomBytes(size);
    const { sha256 } = await uploaded(victim);
    const corrupted = Buffer.from(victim);
    corrupted[flippedByte] ^= 0x01;
    await writeFile(join(dir, 'sha256', sha256.slice(0, 2), sha256), corrupted);
    return sha256;
  };

  describe('upload', () => {
    it('refuses uploads without the service token (401) or with a wrong one (403)', async () => {
      expect(await upload(form(randomBytes(10)), {})).toMatchObject({ status: 401, body: { code: 'credentials_missing' } });
      expect(await upload(form(randomBytes(10)), { authorization: 'Bearer not-the-token' })).toMatchObject({ status: 403, body: { code: 'credentials_invalid' } });
      expect(await readdir(join(dir, 'tmp')).catch(() => [])).toEqual([]);
    });

    it('streams a file into the store, records it as an event, and stores the same content once', async () => {
      const bytes = randomBytes(1_500_000);
      const first = await upload(form(bytes, { version: '1.2.3', architecture: 'arm64' }));
      const digests = { sha256: hex('sha256', bytes), sha1: hex('sha1', bytes), md5: hex('md5', bytes), size: bytes.length };
      expect(first).toEqual({ status: 201, body: { ...digests, fileName: 'image.swu', version: '1.2.3', architecture: 'arm64', deduplicated: false } });
      const again = await upload(form(bytes, {}, 'renamed.swu'));
      expect(again.body).toMatchObject({ ...digests, fileName: 'renamed.swu', deduplicated: true });
      const events = await new EventStore(pool).readStream(TENANT, artifactStreamId(digests.sha256));
      expect(events.map((e) => [e.type, e.data])).toEqual([
        [ARTIFACT_EVENTS.stored, { ...digests, fileName: 'image.swu', version: '1.2.3', architecture: 'arm64' }],
        [ARTIFACT_EVENTS.stored, { ...digests, fileName: 'renamed.swu' }],
      ]);
      expect(await readdir(join(dir, 'sha256', digests.sha256.slice(0, 2)))).toEqual([digests.sha256]);
    });

    it('answers 413 beyond the maximum and keeps nothing', async () => {
      const bytes = randomBytes(MAX_BYTES + 1);
      expect(await upload(form(bytes))).toMatchObject({ status: 413, body: { code: 'artifact_too_large' } });
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
      expect(await new EventStore(pool).streamVersion(TENANT, artifactStreamId(hex('sha256', bytes)))).toBe(0);
    });

    it('answers 400 to a malformed multipart body, a non-multipart body and a form without a file', async () => {
      const auth = { authorization: `Bearer ${UPLOAD_TOKEN}` };
      const broken = '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\nhalf a fi';
      expect(await upload(broken, { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' })).toMatchObject({ status: 400, body: { code: 'multipart_invalid' } });
      expect(await upload('{}', { ...auth, 'content-type': 'application/json' })).toMatchObject({ status: 400, body: { code: 'multipart_invalid' } });
      const noFile = new FormData();
      noFile.append('version', '1');
      expect(await upload(noFile)).toMatchObject({ status: 400, body: { code: 'file_missing' } });
    });
  });

  describe('signatures', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const rawPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64');
    const signatureOf = (bytes: Buffer) => sign(null, createHash('sha256').update(bytes).digest(), privateKey).toString('base64');
    const addKey = (body: unknown) =>
      fetch(`${service.url}/artifacts/v1/${TENANT}/trusted-keys`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/json' } });

    beforeAll(async () => {
      expect((await addKey({ keyId: 'release-2026', publicKey: rawPublic })).status).toBe(201);
    });

    it('accepts an artifact signed by a trusted key and records the signature', async () => {
      const bytes = randomBytes(50_000);
      const signature = signatureOf(bytes);
      const answer = await upload(form(bytes, { signatureKeyId: 'release-2026', signature }));
      expect(answer).toMatchObject({ status: 201, body: { sha256: hex('sha256', bytes), signature: { algorithm: 'ed25519', keyId: 'release-2026', value: signature } } });
    });

    it('rejects a bad signature and an unknown key, recording nothing', async () => {
      const bytes = randomBytes(50_000);
      const wrong = signatureOf(randomBytes(10));
      expect(await upload(form(bytes, { signatureKeyId: 'release-2026', signature: wrong }))).toMatchObject({ status: 422, body: { code: 'signature_invalid' } });
      expect(await upload(form(bytes, { signatureKeyId: 'nobody', signature: signatureOf(bytes) }))).toMatchObject({ status: 422, body: { code: 'signing_key_unknown' } });
      expect(await new EventStore(pool).streamVersion(TENANT, artifactStreamId(hex('sha256', bytes)))).toBe(0);
    });

    it('refuses a malformed or reused key id', async () => {
      expect((await addKey({ keyId: 'release-2026', publicKey: rawPublic })).status).toBe(409);
      expect((await addKey({ keyId: 'k', publicKey: 'AAAA' })).status).toBe(400);
    });
  });

  describe('download', () => {
    const bytes = randomBytes(1_200_000);
    let artifact: { sha256: string; sha1: string; md5: string; size: number };

    beforeAll(async () => {
      artifact = await uploaded(bytes, { fileName: 'fw.bin' });
    });

    it('refuses missing (401), invalid or expired (403) credentials, and other tenants (404)', async () => {
      expect((await fetch(`${service.url}/artifacts/v1/${TENANT}/${artifact.sha256}`)).status).toBe(401);
      expect((await fetch(`${link(artifact.sha256)}0`)).status).toBe(403);
      const expired = await fetch(link(artifact.sha256, TENANT, -10));
      expect([expired.status, ((await expired.json()) as { code: string }).code]).toEqual([403, 'link_expired']);
      expect((await fetch(`${service.url}/artifacts/v1/${TENANT}/${artifact.sha256}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
      // A valid link of another tenant for content this tenant never uploaded.
      const foreign = await fetch(link(artifact.sha256, 'globex'));
      expect([foreign.status, ((await foreign.json()) as { code: string }).code]).toEqual([404, 'artifact_not_found']);
    });

    it('serves the whole content with ETag = quoted sha1, HEAD without a body, and the .MD5SUM', async () => {
      const response = await fetch(link(artifact.sha256));
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${artifact.sha1}"`);
      expect(response.headers.get('accept-ranges')).toBe('bytes');
      expect(response.headers.get('content-length')).toBe(String(bytes.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);

      const unchanged = await fetch(link(artifact.sha256), { headers: { 'if-none-match': `"${artifact.sha1}"` } });
      expect([unchanged.status, (await unchanged.arrayBuffer()).byteLength]).toEqual([304, 0]);

      const head = await fetch(link(artifact.sha256), { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length'), head.headers.get('etag')]).toEqual([200, String(bytes.length), `"${artifact.sha1}"`]);
      expect((await head.arrayBuffer()).byteLength).toBe(0);

      const md5 = await fetch(`${service.url}/artifacts/v1/${TENANT}/${artifact.sha256}.MD5SUM`, { headers: { authorization: `Bearer ${DOWNLOAD_TOKEN}` } });
      expect([md5.status, await md5.text()]).toEqual([200, `${artifact.md5}  fw.bin\n`]);
    });

    it('serves single ranges, multipart/byteranges, honours If-Range, and answers 416', async () => {
      const single = await fetch(link(artifact.sha256), { headers: { range: 'bytes=1000-1999' } });
      expect([single.status, single.headers.get('content-range')]).toEqual([206, `bytes 1000-1999/${bytes.length}`]);
      expect(Buffer.from(await single.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);

      const multi = await fetch(link(artifact.sha256), { headers: { range: 'bytes=0-9,-5' } });
      expect(multi.status).toBe(206);
      const boundary = /boundary=(\S+)/.exec(multi.headers.get('content-type') ?? '')?.[1];
      const text = Buffer.from(await multi.arrayBuffer());
      expect(text.length).toBe(Number(multi.headers.get('content-length')));
      const parts = text.toString('latin1').split(`--${boundary}`).slice(1, -1);
      expect(parts.map((p) => /Content-Range: (.*)\r\n/.exec(p)?.[1])).toEqual([`bytes 0-9/${bytes.length}`, `bytes ${bytes.length - 5}-${bytes.length - 1}/${bytes.length}`]);
      expect(Buffer.from(parts[0].split('\r\n\r\n')[1].replace(/\r\n$/, ''), 'latin1').equals(bytes.subarray(0, 10))).toBe(true);

      const stale = await fetch(link(artifact.sha256), { headers: { range: 'bytes=0-9', 'if-range': '"0000"' } });
      expect([stale.status, (await stale.arrayBuffer()).byteLength]).toEqual([200, bytes.length]);

      const beyond = await fetch(link(artifact.sha256), { headers: { range: `bytes=${bytes.length}-` } });
      expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${bytes.length}`]);
    });

    it('resumes an interrupted download with Range and If-Range to the exact content', async () => {
      const url = link(artifact.sha256);
      const head = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const req = httpRequest(url, (res) => {
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            received += chunk.length;
            // The connection breaks part-way, as a device's link would.
            if (received >= 300_000) req.destroy();
          });
        });
        req.on('close', () => resolve(Buffer.concat(chunks)));
        req.on('error', (error) => (error.message.includes('aborted') || error.message.includes('socket hang up') ? undefined : reject(error)));
        req.end();
      });
      expect(head.length).toBeGreaterThanOrEqual(300_000);
      expect(head.length).toBeLessThan(bytes.length);
      const rest = await fetch(url, { headers: { range: `bytes=${head.length}-`, 'if-range': `"${artifact.sha1}"` } });
      expect(rest.status).toBe(206);
      const whole = Buffer.concat([head, Buffer.from(await rest.arrayBuffer())]);
      expect(hex('sha256', whole)).toBe(artifact.sha256);
    });

    it('detects a corrupted stored blob: the full download is cut short and the content is refused after', async () => {
      // Larger than one 1 MiB read, so the headers are out before the mismatch shows at the end.
      const sha256 = await storedThenCorrupted(1_600_000, 1_234_567);

      const first = await fetch(link(sha256));
      expect(first.status).toBe(200);
      await expect(first.arrayBuffer()).rejects.toThrow();
      const after = await fetch(link(sha256));
      expect([after.status, ((await after.json()) as { code: string }).code]).toEqual([500, 'artifact_corrupted']);
    });

    it('refuses a corrupted small blob before a byte is sent: it is verified as a whole when first read into memory', async () => {
      const sha256 = await storedThenCorrupted(200_000, 123_456);

      for (const range of [undefined, 'bytes=0-99']) {
        const answer = await fetch(link(sha256), { headers: range ? { range } : {} });
        expect([answer.status, ((await answer.json()) as { code: string }).code]).toEqual([500, 'artifact_corrupted']);
      }
    });
  });

  describe('garbage collection', () => {
    it('deletes content no software module holds and keeps the rest, for operators only', async () => {
      const gc = (headers: Record<string, string>) => fetch(`${service.url}/artifacts/admin/v1/gc`, { method: 'POST', headers });
      expect((await gc({})).status).toBe(401);
      // The planner links uploaded content to a module in its own stream; appended here as it appends them.
      const kept = await uploaded(randomBytes(20_000));
      const detached = await uploaded(randomBytes(20_000));
      const moduleStream = 'softwaremodule-gc-module';
      const moduleEvent = (event: string, data: Record<string, unknown>) => ({ type: eventType('softwaremodule', event), data: { ...data, by: 'admin', at: 1 } });
      await new EventStore(pool).append(TENANT, moduleStream, 0, [
        moduleEvent('software-module-created', { moduleId: 'gc-module', name: 'gc', version: '1', type: 'os', description: '', vendor: '' }),
        moduleEvent('software-module-artifact-added', { artifactId: 'kept', fileName: 'kept.swu', ...kept }),
        moduleEvent('software-module-artifact-added', { artifactId: 'detached', fileName: 'detached.swu', ...detached }),
        moduleEvent('software-module-artifact-removed', { artifactId: 'detached' }),
      ]);
      // Refused for its signature: stored by the streaming pass, but never recorded.
      const orphan = randomBytes(20_000);
      expect((await upload(form(orphan, { signatureKeyId: 'release-2026', signature: Buffer.alloc(64).toString('base64') }))).status).toBe(422);
      const orphanSha = hex('sha256', orphan);
      // Downloaded once, so the distributor holds it in memory: collection must still show.
      expect((await fetch(link(detached.sha256))).status).toBe(200);
      expect(await readdir(join(dir, 'sha256', orphanSha.slice(0, 2)))).toContain(orphanSha);

      const response = await gc({ authorization: `Bearer ${UPLOAD_TOKEN}` });
      const result = (await response.json()) as { removed: string[]; bytesFreed: number; kept: number };
      expect(response.status).toBe(200);
      // No grace here: every upload no module holds goes (the earlier tests' too); held content never does.
      expect(result.removed).toEqual(expect.arrayContaining([orphanSha, detached.sha256]));
      expect(result.removed).not.toContain(kept.sha256);
      expect(result.bytesFreed).toBeGreaterThanOrEqual(orphan.length + detached.size);
      expect(result.kept).toBe(1);
      expect(await readdir(join(dir, 'sha256', orphanSha.slice(0, 2))).catch(() => [])).not.toContain(orphanSha);
      expect((await fetch(link(kept.sha256))).status).toBe(200);
      const gone = await fetch(link(detached.sha256));
      expect([gone.status, ((await gone.json()) as { code: string }).code]).toEqual([410, 'artifact_collected']);
    });
  });
});
