import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusNames } from '@rollgate/contracts';
import type * as EventStoreModule from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import type * as KitModule from '@rollgate/service-kit';
import type * as DistributorAppFile from '../../../artifact-distributor/src/app.module';
import type * as DistributorConfigFile from '../../../artifact-distributor/src/config';
import { loadBuilt } from '../../test/built-workspace';
import { startPlanner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

const UPLOAD_TOKEN = 'planner-upload-token-0123456789';
const MAX_BYTES = 4 * 1024 * 1024;
const hex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

interface Artifact {
  id: string;
  providedFilename: string;
  size: number;
  hashes: { sha1: string; md5: string; sha256: string };
  signed: boolean;
  signature?: { keyId: string };
}

describe('/rest/v1/softwaremodules/{id}/artifacts through artifact-distributor', () => {
  const kit = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
  let distributor: Awaited<ReturnType<typeof kit.createService>>;
  let distributorDb: TestDatabase;
  let distributorNames: BusNames;
  let dir: string;
  let planner: Awaited<ReturnType<typeof startPlanner>>;
  let as: Callers;
  let moduleId: string;
  let signedModuleId: string;
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');

  const form = (bytes: Buffer, fields: Record<string, string> = {}, fileName = 'image.swu'): FormData => {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    body.append('file', new Blob([bytes]), fileName);
    return body;
  };
  const upload = async (body: FormData | string, auth: string | null = as.admin, module = moduleId, contentType?: string) => {
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = auth;
    if (contentType) headers['content-type'] = contentType;
    const response = await fetch(`${planner.url}/rest/v1/softwaremodules/${module}/artifacts`, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const signatureOf = (bytes: Buffer) => sign(null, createHash('sha256').update(bytes).digest(), privateKey).toString('base64');

  beforeAll(async () => {
    distributorDb = await createTestDatabase('rg_planner_artifacts');
    distributorNames = testBusNames();
    dir = await mkdtemp(join(tmpdir(), 'rg-planner-artifacts-'));
    const env = { DATABASE_URL: distributorDb.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(distributorNames), ARTIFACTS_DIR: dir, ARTIFACTS_MAX_BYTES: String(MAX_BYTES), ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN };
    const { AppModule } = loadBuilt<typeof DistributorAppFile>('apps/artifact-distributor/src/app.module.ts');
    const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<typeof DistributorConfigFile>('apps/artifact-distributor/src/config.ts');
    distributor = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule.forRoot(loadArtifactsConfig(env)), env });
    const rawPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64');
    const key = await fetch(`${distributor.url}/artifacts/v1/acme/trusted-keys`, {
      method: 'POST', body: JSON.stringify({ keyId: 'release-2026', publicKey: rawPublic }), headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/json' },
    });
    expect(key.status).toBe(201);
    planner = await startPlanner({ ROLLGATE_ARTIFACTS_URL: distributor.url, ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN });
    as = await createCallers(planner, ['READ_SOFTWARE_MODULE', 'READ_DISTRIBUTION_SET', 'READ_TARGET']);
    const modules = await planner.request('POST', '/rest/v1/softwaremodules', { auth: as.admin, body: [{ name: 'image', version: '1.0', type: 'os' }, { name: 'image', version: '2.0', type: 'os' }] });
    [moduleId, signedModuleId] = (modules.body as Array<{ id: string }>).map((m) => m.id);
  });
  afterAll(async () => {
    await planner?.close();
    await distributor?.close();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, distributorNames);
    await nc.close();
    await distributorDb?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('upload', () => {
    let uploaded: Artifact;

    it('streams the file to the distributor and records it on the module, with hawkBit fields', async () => {
      const bytes = randomBytes(1_500_000);
      const answer = await upload(form(bytes));
      expect(answer.status).toBe(201);
      uploaded = answer.body as unknown as Artifact;
      expect(uploaded).toMatchObject({ providedFilename: 'image.swu', size: bytes.length, hashes: { sha1: hex('sha1', bytes), md5: hex('md5', bytes), sha256: hex('sha256', bytes) }, signed: false, createdBy: 'admin' });
      const store = planner.service.app.get(loadBuilt<typeof EventStoreModule>('libs/event-store/src/index.ts').EventStore);
      const events = await store.readStream('acme', `softwaremodule-${moduleId}`);
      expect(events.map((e) => e.type)).toEqual(['io.rollgate.softwaremodule.software-module-created.v1', 'io.rollgate.softwaremodule.software-module-artifact-added.v1']);
      expect(events[1].data).toMatchObject({ artifactId: uploaded.id, sha256: hex('sha256', bytes), size: bytes.length });
    });

    it('streams: the distributor is storing the first bytes while the client is still sending the rest', async () => {
      const head = randomBytes(2 * 1024 * 1024);
      const tail = randomBytes(1024 * 1024);
      const boundary = 'rollgate-stream-test';
      const opening = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="streamed.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`);
      const closing = Buffer.from(`\r\n--${boundary}--\r\n`);
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const outgoing = httpRequest(`${planner.url}/rest/v1/softwaremodules/${moduleId}/artifacts`, {
          method: 'POST', headers: { authorization: as.admin, 'content-type': `multipart/form-data; boundary=${boundary}` },
        }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        outgoing.on('error', reject);
        outgoing.write(opening);
        outgoing.write(head);
        // Held back until the distributor shows it is already writing what came before: a planner that
        // buffered the request would forward nothing yet, and this wait would time out.
        waitForPartialBlob(join(dir, 'tmp'), 1024 * 1024).then(() => {
          outgoing.write(tail);
          outgoing.end(closing);
        }, reject);
      });
      const { status, body } = await answer;
      expect(status).toBe(201);
      expect(JSON.parse(body)).toMatchObject({ providedFilename: 'streamed.bin', size: head.length + tail.length, hashes: { sha256: hex('sha256', Buffer.concat([head, tail])) } });
    });

    it('lists and gets the module\'s artifacts', async () => {
      const list = await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts`, { auth: as.reader });
      expect(list).toMatchObject({ status: 200, body: [{ id: uploaded.id, providedFilename: 'image.swu' }, { providedFilename: 'streamed.bin' }] });
      expect(await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts/${uploaded.id}`, { auth: as.reader })).toMatchObject({ status: 200, body: { hashes: uploaded.hashes } });
      expect(await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts/nope`, { auth: as.reader })).toMatchObject({ status: 404, body: { code: 'artifact_not_found' } });
    });

    it('records a signature the distributor verified, and passes on its refusals with their codes', async () => {
      const bytes = randomBytes(200_000);
      const signed = await upload(form(bytes, { signatureKeyId: 'release-2026', signature: signatureOf(bytes) }, 'signed.swu'), as.admin, signedModuleId);
      expect(signed).toMatchObject({ status: 201, body: { signed: true, signature: { keyId: 'release-2026' } } });
      const other = randomBytes(1000);
      expect(await upload(form(other, { signatureKeyId: 'release-2026', signature: signatureOf(bytes) }, 'bad.swu'))).toMatchObject({ status: 422, body: { code: 'signature_invalid' } });
      expect(await upload(form(randomBytes(MAX_BYTES + 1), {}, 'huge.swu'))).toMatchObject({ status: 413, body: { code: 'artifact_too_large' } });
      expect((await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts`, { auth: as.reader })).body).toHaveLength(2);
    });

    it('refuses a second file of the same name (409), a body that is not multipart (415) or is malformed (400)', async () => {
      expect(await upload(form(randomBytes(10)))).toMatchObject({ status: 409, body: { code: 'artifact_exists' } });
      expect(await upload('{}', as.admin, moduleId, 'application/json')).toMatchObject({ status: 415 });
      expect(await upload('--xyz\r\nbroken', as.admin, moduleId, 'multipart/form-data; boundary=xyz')).toMatchObject({ status: 400, body: { code: 'multipart_invalid' } });
      const noFile = new FormData();
      noFile.append('version', '1');
      expect(await upload(noFile)).toMatchObject({ status: 400, body: { code: 'file_missing' } });
    });

    it('needs CREATE_SOFTWARE_MODULE to upload and stays within the tenant', async () => {
      expect((await upload(form(randomBytes(10)), null)).status).toBe(401);
      expect((await upload(form(randomBytes(10)), as.reader)).status).toBe(403);
      expect((await upload(form(randomBytes(10)), as.nobody)).status).toBe(403);
      expect(await upload(form(randomBytes(10), {}, 'x.swu'), as.otherTenant)).toMatchObject({ status: 404, body: { code: 'software_module_not_found' } });
      expect((await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts`, { auth: as.otherTenant })).status).toBe(404);
      expect((await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts/${uploaded.id}`, { auth: as.otherTenant })).status).toBe(404);
      expect((await planner.request('DELETE', `/rest/v1/softwaremodules/${moduleId}/artifacts/${uploaded.id}`, { auth: as.otherTenant })).status).toBe(404);
      expect((await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts`, { auth: as.nobody })).status).toBe(403);
      expect(await upload(form(randomBytes(10)), as.admin, 'no-such-module')).toMatchObject({ status: 404, body: { code: 'software_module_not_found' } });
    });
  });

  describe('distribution sets that require signed artifacts', () => {
    it('refuse assignment while an artifact is unsigned, and accept it when all are signed', async () => {
      expect((await planner.request('POST', '/rest/v1/targets', { auth: as.admin, body: [{ controllerId: 'dev-1' }] })).status).toBe(201);
      const sets = await planner.request('POST', '/rest/v1/distributionsets', {
        auth: as.admin,
        body: [
          { name: 'unsigned', version: '1', type: 'os', modules: [{ id: moduleId }], requireSignedArtifacts: true },
          { name: 'signed', version: '1', type: 'os', modules: [{ id: signedModuleId }], requireSignedArtifacts: true },
          { name: 'relaxed', version: '1', type: 'os', modules: [{ id: moduleId }] },
        ],
      });
      expect(sets.status).toBe(201);
      const [unsigned, signed, relaxed] = sets.body as Array<{ id: string; requireSignedArtifacts: boolean }>;
      expect([unsigned.requireSignedArtifacts, relaxed.requireSignedArtifacts]).toEqual([true, false]);
      const assign = (set: string) => planner.request('POST', `/rest/v1/distributionsets/${set}/assignedTargets`, { auth: as.admin, body: [{ id: 'dev-1' }] });
      const refused = await assign(unsigned.id);
      expect(refused).toMatchObject({ status: 422, body: { code: 'unsigned_artifacts_not_allowed' } });
      expect((refused.body as { message: string }).message).toContain('image.swu');
      expect(await assign(signed.id)).toMatchObject({ status: 200, body: { assigned: 1 } });
      expect(await assign(relaxed.id)).toMatchObject({ status: 200, body: { assigned: 1 } });
      // Lifting the requirement lets the set through.
      expect(await planner.request('PUT', `/rest/v1/distributionsets/${unsigned.id}`, { auth: as.admin, body: { requireSignedArtifacts: false } })).toMatchObject({ status: 200, body: { requireSignedArtifacts: false } });
      expect(await assign(unsigned.id)).toMatchObject({ status: 200, body: { assigned: 1 } });
    });
  });

  describe('delete', () => {
    it('removes an artifact from its module (DELETE_SOFTWARE_MODULE), after which it is gone', async () => {
      const [artifact, streamed] = (await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts`, { auth: as.reader })).body as Artifact[];
      const path = `/rest/v1/softwaremodules/${moduleId}/artifacts/${artifact.id}`;
      expect((await planner.request('DELETE', path, { auth: as.reader })).status).toBe(403);
      expect((await planner.request('DELETE', path, { auth: as.admin })).status).toBe(200);
      expect((await planner.request('GET', `/rest/v1/softwaremodules/${moduleId}/artifacts`, { auth: as.reader })).body).toEqual([expect.objectContaining({ id: streamed.id })]);
      expect(await planner.request('DELETE', path, { auth: as.admin })).toMatchObject({ status: 404, body: { code: 'artifact_not_found' } });
    });
  });

  describe('without a configured artifact store', () => {
    it('answers 503 artifacts_not_configured', async () => {
      const bare = await startPlanner({}, { db: planner.db, names: planner.names });
      try {
        const response = await fetch(`${bare.url}/rest/v1/softwaremodules/${moduleId}/artifacts`, { method: 'POST', body: form(randomBytes(10), {}, 'late.swu'), headers: { authorization: as.admin } });
        expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 503, body: { code: 'artifacts_not_configured' } });
      } finally {
        await bare.close();
      }
    });
  });
});

/** Resolves once some upload in progress in the distributor's store has at least `bytes` on disk. */
async function waitForPartialBlob(tmpDir: string, bytes: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    const sizes = await Promise.all(names.map((name) => stat(join(tmpDir, name)).then((s) => s.size, () => 0)));
    if (sizes.some((size) => size >= bytes)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no upload in ${tmpDir} reached ${bytes} bytes within ${timeoutMs} ms: the planner is not streaming`);
}
