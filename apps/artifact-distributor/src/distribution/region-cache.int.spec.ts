import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, testBusNames, type TestDatabase, serviceBusEnv } from '@rollgate/testing';
import type * as KitModule from '@rollgate/service-kit';
import { loadBuilt } from '../../test/built-workspace';
import type * as AppModuleFile from '../app.module';
import type * as ConfigFile from '../config';

const kit = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
const { AppModule } = loadBuilt<typeof AppModuleFile>('apps/artifact-distributor/src/app.module.ts');
const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<typeof ConfigFile>('apps/artifact-distributor/src/config.ts');

jest.setTimeout(60_000);

const UPLOAD_TOKEN = 'upload-token-for-tests-0123456789';
const DOWNLOAD_TOKEN = 'download-token-for-tests-0123456789';
const LINK_SECRET = 'link-secret-for-tests-0123456789abcdef';
const TENANT = 'acme';

type Service = Awaited<ReturnType<typeof kit.createService>>;
interface Instance {
  service: Service;
  db: TestDatabase;
  names: BusNames;
  dir: string;
}

describe('region caches: links to the region, fill on first miss, verified content', () => {
  let nc: NatsConnection;
  let central: Instance;
  let cache: Instance;

  const start = async (extra: Record<string, string>): Promise<Instance> => {
    const db = await createTestDatabase('rg_artcache');
    const names = testBusNames();
    const dir = await mkdtemp(join(tmpdir(), 'rg-artcache-'));
    const env = {
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_LEVEL: 'fatal',
      ...serviceBusEnv(names),
      ARTIFACTS_DIR: dir,
      ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN,
      ARTIFACTS_DOWNLOAD_TOKEN: DOWNLOAD_TOKEN,
      ARTIFACTS_LINK_SECRET: LINK_SECRET,
      ...extra,
    };
    const service = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule.forRoot(loadArtifactsConfig(env)), env });
    return { service, db, names, dir };
  };
  const stop = async (instance: Instance | undefined) => {
    if (!instance) return;
    await instance.service.close();
    await deleteTestStreams(nc, instance.names);
    await instance.db.drop();
    await rm(instance.dir, { recursive: true, force: true });
  };

  beforeAll(async () => {
    nc = await connectTestNats();
    central = await start({});
    cache = await start({ ARTIFACTS_UPSTREAM_URL: central.service.url });
  });

  afterAll(async () => {
    await stop(cache);
    await stop(central);
    await nc.close();
  });

  const upload = async (bytes: Buffer): Promise<string> => {
    const body = new FormData();
    body.append('file', new Blob([bytes]), 'fw.bin');
    const response = await fetch(`${central.service.url}/artifacts/v1/${TENANT}`, { method: 'POST', body, headers: { authorization: `Bearer ${UPLOAD_TOKEN}` } });
    expect(response.status).toBe(201);
    return ((await response.json()) as { sha256: string }).sha256;
  };
  const asService = { authorization: `Bearer ${DOWNLOAD_TOKEN}` };
  const linkFor = async (sha256: string, query: string) => {
    const response = await fetch(`${central.service.url}/artifacts/v1/${TENANT}/${sha256}/link?${query}`, { headers: asService });
    return { status: response.status, body: (await response.json()) as { href: string; md5sumHref: string; source: string; code?: string } };
  };

  it('hands out signed links to a healthy cache of the device region, else to the central store', async () => {
    const sha256 = await upload(randomBytes(10_000));
    const register = await fetch(`${central.service.url}/artifacts/admin/v1/caches/eu-1`, {
      method: 'PUT',
      body: JSON.stringify({ region: 'eu', baseUrl: cache.service.url }),
      headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/json' },
    });
    expect(register.status).toBe(200);
    // Registered but never heard from: not healthy yet.
    expect((await linkFor(sha256, 'region=eu&device=dev-1')).body.source).toBe('central');
    expect((await fetch(`${central.service.url}/artifacts/admin/v1/caches/eu-1/heartbeat`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${central.service.url}/artifacts/admin/v1/caches/nope/heartbeat`, { method: 'POST', headers: asService })).status).toBe(404);
    expect((await fetch(`${central.service.url}/artifacts/admin/v1/caches/eu-1/heartbeat`, { method: 'POST', headers: asService })).status).toBe(204);

    const eu = await linkFor(sha256, 'region=eu&device=dev-1');
    expect(eu.status).toBe(200);
    expect(eu.body.source).toBe('cache');
    expect(eu.body.href.startsWith(`${cache.service.url}/artifacts/v1/${TENANT}/${sha256}?expires=`)).toBe(true);
    const us = await linkFor(sha256, 'region=us&device=dev-2');
    expect(us.body.source).toBe('central');
    expect(us.body.href.startsWith(`${central.service.url}/artifacts/v1/${TENANT}/${sha256}?expires=`)).toBe(true);
    expect((await fetch(`${central.service.url}/artifacts/v1/${TENANT}/${sha256}/link`)).status).toBe(401);
    expect((await linkFor('0'.repeat(64), 'region=eu')).status).toBe(404);
  });

  it('fills a cache from the central store on first miss and serves it afterwards on its own', async () => {
    const bytes = randomBytes(1_500_000);
    const sha256 = await upload(bytes);
    const { body: link } = await linkFor(sha256, 'region=eu&device=dev-1');
    const first = await fetch(link.href);
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe(`"${createHash('sha1').update(bytes).digest('hex')}"`);
    expect(Buffer.from(await first.arrayBuffer()).equals(bytes)).toBe(true);

    // The central copy goes away: the cache still serves, ranges included, from what it filled.
    await rm(join(central.dir, 'sha256', sha256.slice(0, 2), sha256));
    const range = await fetch(link.href, { headers: { range: 'bytes=100-199' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const md5 = await fetch(link.md5sumHref);
    expect(await md5.text()).toBe(`${createHash('md5').update(bytes).digest('hex')}  fw.bin\n`);
  });

  it('answers 410 for content the central store collected, and a cache that never filled it answers 404', async () => {
    const sha256 = await upload(randomBytes(10_000));
    // What garbage collection does once no module holds the content: the blob goes, its upload event stays.
    await rm(join(central.dir, 'sha256', sha256.slice(0, 2), sha256));
    const { body: link } = await linkFor(sha256, 'region=eu&device=dev-1');
    const fromCache = await fetch(link.href);
    expect([fromCache.status, ((await fromCache.json()) as { code: string }).code]).toEqual([404, 'artifact_not_found']);
    const fromCentral = await fetch(`${central.service.url}/artifacts/v1/${TENANT}/${sha256}`, { headers: asService });
    expect([fromCentral.status, ((await fromCentral.json()) as { code: string }).code]).toEqual([410, 'artifact_collected']);
  });

  it('never serves corrupted upstream content, and a cache refuses another tenant', async () => {
    const bytes = randomBytes(1_500_000);
    const sha256 = await upload(bytes);
    const corrupted = Buffer.from(bytes);
    corrupted[1_400_000] ^= 0xff;
    await writeFile(join(central.dir, 'sha256', sha256.slice(0, 2), sha256), corrupted);
    const { body: link } = await linkFor(sha256, 'region=eu&device=dev-1');
    const response = await fetch(link.href);
    expect([response.status, ((await response.json()) as { code: string }).code]).toEqual([502, 'upstream_failed']);
    const stranger = await fetch(`${cache.service.url}/artifacts/v1/globex/${sha256}`, { headers: asService });
    expect(stranger.status).toBe(404);
  });
});
