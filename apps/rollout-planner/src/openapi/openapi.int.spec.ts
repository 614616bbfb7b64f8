import Ajv from 'ajv';
import type { FastifyInstance } from 'fastify';
import type * as RoutePermissionsFile from '../../test/route-permissions';
import { loadBuilt } from '../../test/built-workspace';
import { startPlanner, type Planner } from '../../test/planner.harness';
import { createCallers, type Callers } from '../../test/tenants.fixture';

jest.setTimeout(120_000);

interface Operation {
  operationId: string;
  'x-permissions': string[];
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, unknown>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const { managementRoutes } = loadBuilt<typeof RoutePermissionsFile>('apps/rollout-planner/test/route-permissions.ts');

describe('GET /rest/v1/openapi.json', () => {
  let planner: Planner;
  let as: Callers;
  let document: OpenApi;

  beforeAll(async () => {
    planner = await startPlanner();
    as = await createCallers(planner, ['READ_TARGET']);
  });
  afterAll(() => planner?.close());

  it('is served to any authenticated caller, and to nobody else', async () => {
    expect((await planner.request('GET', '/rest/v1/openapi.json')).status).toBe(401);
    const answer = await planner.request('GET', '/rest/v1/openapi.json', { auth: as.nobody });
    expect(answer.status).toBe(200);
    document = answer.body as OpenApi;
    expect(document.openapi).toBe('3.1.0');
  });

  it('documents every route the planner registers, with the permissions it declares', () => {
    const routes = managementRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(60);
    const missing = routes.filter((r) => {
      const [method, path] = r.route.split(' ');
      const operation = document.paths[path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[method.toLowerCase()];
      return !operation || JSON.stringify(operation['x-permissions']) !== JSON.stringify(r.permissions ?? []);
    });
    expect(missing.map((r) => r.route)).toEqual([]);
  });

  it('documents only routes the HTTP server really answers', () => {
    const fastify = planner.service.app.getHttpAdapter().getInstance() as FastifyInstance;
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), url: path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1') })));
    expect(documented.length).toBe(managementRoutes().length);
    expect(documented.filter((route) => !fastify.hasRoute(route as Parameters<FastifyInstance['hasRoute']>[0]))).toEqual([]);
  });

  it('describes paging, query and path parameters, and error answers', () => {
    const list = document.paths['/rest/v1/targets'].get as Operation & { tags: string[] };
    expect(list.tags).toEqual(['targets']);
    expect(list.parameters?.map((p) => p.name)).toEqual(['offset', 'limit', 'sort', 'q']);
    const cancel = document.paths['/rest/v1/targets/{controllerId}/actions/{actionId}'].delete;
    expect(cancel.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'controllerId', in: 'path' }), expect.objectContaining({ name: 'actionId', in: 'path' }), expect.objectContaining({ name: 'force', in: 'query' })]));
    expect(Object.keys(cancel.responses)).toEqual(expect.arrayContaining(['204', '400', '401', '403', '404', '409']));
    expect(document.paths['/rest/v1/softwaremodules/{moduleId}/artifacts'].post.requestBody?.content['multipart/form-data']).toBeDefined();
  });

  it('shows the very schema a route validates its body with', async () => {
    const schema = document.paths['/rest/v1/distributionsets/{distributionSetId}/assignedTargets'].post.requestBody?.content['application/json'].schema;
    expect(schema).toBeDefined();
    const validate = new Ajv({ strict: false }).compile(schema!);
    expect(validate([{ id: 'd1', type: 'soft', weight: 10 }])).toBe(true);
    const refused = [{ id: 'd1', weight: 5000 }];
    expect(validate(refused)).toBe(false);
    expect((await planner.request('POST', '/rest/v1/distributionsets/any/assignedTargets', { auth: as.admin, body: refused })).status).toBe(400);
    const targets = document.paths['/rest/v1/targets'].post.requestBody?.content['application/json'].schema as { type: string };
    expect(targets.type).toBe('array');
  });
});
