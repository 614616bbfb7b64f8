import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import type * as KitModule from '@rollgate/service-kit';
import { loadBuilt } from '../../test/built-workspace';
import { configure, createDistributionSet, createTarget, gatewayWorld, startGateway, startRollout, targetToken, type Gateway, type World } from '../../test/gateway.harness';

const T = 'acme';
const UPLOAD_TOKEN = 'upload-token-for-tests-0123456789';
const DOWNLOAD_TOKEN = 'download-token-for-tests-0123456789';
const LINK_SECRET = 'link-secret-for-tests-0123456789abcdef';

type Kit = typeof KitModule;
interface DistributorModules {
  AppModule: { forRoot(config: unknown): unknown };
  ARTIFACT_DISTRIBUTOR_DEFAULTS: { service: string; port: number };
  loadArtifactsConfig(env: NodeJS.ProcessEnv): unknown;
}
interface Distributor {
  url: string;
  close(): Promise<void>;
}

/** A real artifact-distributor (the compiled app) on a database, bus names and directory of its own. */
async function startDistributor(extra: Record<string, string> = {}): Promise<Distributor> {
  const kit = loadBuilt<Kit>('libs/service-kit/src/index.ts');
  const { AppModule } = loadBuilt<Pick<DistributorModules, 'AppModule'>>('apps/artifact-distributor/src/app.module.ts');
  const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<Omit<DistributorModules, 'AppModule'>>('apps/artifact-distributor/src/config.ts');
  const db: TestDatabase = await createTestDatabase('rg_gw_artifacts');
  const names: BusNames = testBusNames();
  const dir = await mkdtemp(join(tmpdir(), 'rg-gw-artifacts-'));
  const env = {
    DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names), ARTIFACTS_DIR: dir,
    ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN, ARTIFACTS_DOWNLOAD_TOKEN: DOWNLOAD_TOKEN, ARTIFACTS_LINK_SECRET: LINK_SECRET, ...extra,
  };
  const service = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule.forRoot(loadArtifactsConfig(env)) as never, env });
  return {
    url: service.url,
    async close() {
      await service.close();
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const ddi = (controllerId: string, rest = ''): string => `/${T}/controller/v1/${controllerId}${rest}`;
type Deployment = { deployment: { chunks: Array<{ artifacts: Array<{ _links: Record<string, { href: string }> }> }> } };
const downloadHref = (answer: { body: unknown }): string => (answer.body as Deployment).deployment.chunks[0].artifacts[0]._links['download-http'].href;

describe('artifact downloads through device-gateway and a real artifact-distributor with a region cache', () => {
  let central: Distributor;
  let cache: Distributor;
  let world: World;
  let gw: Gateway;
  let moduleId: string;
  const bytes = randomBytes(300_000);

  beforeAll(async () => {
    central = await startDistributor();
    cache = await startDistributor({ ARTIFACTS_UPSTREAM_URL: central.url });
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'fw.bin');
    const uploaded = await fetch(`${central.url}/artifacts/v1/${T}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${UPLOAD_TOKEN}` } });
    expect(uploaded.status).toBe(201);
    const { sha256, sha1, md5 } = (await uploaded.json()) as { sha256: string; sha1: string; md5: string };
    const asAdmin = { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/json' };
    expect((await fetch(`${central.url}/artifacts/admin/v1/caches/eu-1`, { method: 'PUT', body: JSON.stringify({ region: 'eu', baseUrl: cache.url }), headers: asAdmin })).status).toBe(200);
    expect((await fetch(`${central.url}/artifacts/admin/v1/caches/eu-1/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${DOWNLOAD_TOKEN}` } })).status).toBe(204);

    world = await gatewayWorld();
    await configure(world, T, { 'authentication.targettoken.enabled': true });
    for (const id of ['dev-eu', 'dev-far', 'dev-idle']) await createTarget(world, T, id, `token${id.replace('-', '')}`);
    // What the planner records when the file is uploaded through softwaremodules/{id}/artifacts.
    ({ moduleId } = await createDistributionSet(world, T, 'fw', { sha256, sha1, md5, size: bytes.length, fileName: 'fw.bin' }));
    await startRollout(world, T, 'r1', 'ds-fw', ['dev-eu', 'dev-far'], 10);
    gw = await startGateway(world.db, world.names, world.store, { ARTIFACTS_LINK_SECRET: LINK_SECRET, ARTIFACTS_PUBLIC_URL: central.url, ARTIFACTS_DOWNLOAD_TOKEN: DOWNLOAD_TOKEN });
  });

  afterAll(async () => {
    await gw?.close();
    await world?.close();
    await cache?.close();
    await central?.close();
  });

  it('points a device that reported its region at its healthy region cache, which serves the bytes', async () => {
    const auth = targetToken('tokendeveu');
    expect((await gw.request('PUT', ddi('dev-eu', '/configData'), { auth, body: { data: { region: 'eu' } } })).status).toBe(200);
    const href = downloadHref(await gw.request('GET', ddi('dev-eu', '/deploymentBase/10'), { auth }));
    expect(href.startsWith(`${cache.url}/artifacts/v1/${T}/`)).toBe(true);
    const download = await fetch(href);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    const range = await fetch(href, { headers: { range: 'bytes=1000-1999' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
  });

  it('signs a link to the central store for a device without a region; the redirect and the MD5SUM work', async () => {
    const auth = targetToken('tokendevfar');
    const href = downloadHref(await gw.request('GET', ddi('dev-far', '/deploymentBase/11'), { auth }));
    expect(href.startsWith(`${central.url}/artifacts/v1/${T}/`)).toBe(true);
    expect(Buffer.from(await (await fetch(href)).arrayBuffer()).equals(bytes)).toBe(true);
    const redirect = await gw.request('GET', ddi('dev-far', `/softwaremodules/${moduleId}/artifacts/fw.bin`), { auth });
    expect(redirect.status).toBe(302);
    expect(Buffer.from(await (await fetch(redirect.headers.get('location') ?? '')).arrayBuffer()).equals(bytes)).toBe(true);
    const md5 = await gw.request('GET', ddi('dev-far', `/softwaremodules/${moduleId}/artifacts/fw.bin.MD5SUM`), { auth });
    expect(await (await fetch(md5.headers.get('location') ?? '')).text()).toBe(`${createHash('md5').update(bytes).digest('hex')}  fw.bin\n`);
  });

  it('gives a device without an open action for the module nothing, and the distributor refuses unsigned or forged links', async () => {
    const auth = targetToken('tokendevidle');
    expect((await gw.request('GET', ddi('dev-idle', `/softwaremodules/${moduleId}/artifacts/fw.bin`), { auth })).status).toBe(404);
    const href = downloadHref(await gw.request('GET', ddi('dev-far', '/deploymentBase/11'), { auth: targetToken('tokendevfar') }));
    const unsigned = href.split('?')[0];
    expect((await fetch(unsigned)).status).toBe(401);
    expect((await fetch(href.replace(/signature=[0-9a-f]{4}/, 'signature=0000'))).status).toBe(403);
  });
});
