import type * as RoutePermissionsFile from '../test/route-permissions';
import { loadBuilt } from '../test/built-workspace';

const { managementRoutes } = loadBuilt<typeof RoutePermissionsFile>('apps/rollout-planner/test/route-permissions.ts');

describe('Management API permissions', () => {
  it('every route under /rest/v1 declares its permissions', () => {
    const all = managementRoutes();
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(all.filter((r) => r.permissions === undefined).map((r) => r.route)).toEqual([]);
    expect(all.filter((r) => !r.route.includes(' /rest/v1/')).map((r) => r.route)).toEqual([]);
  });

  it('only self-service routes (userinfo, own tokens) and the API description are open to any authenticated caller', () => {
    expect(managementRoutes().filter((r) => r.permissions?.length === 0).map((r) => r.route).sort()).toEqual([
      'DELETE /rest/v1/system/tokens/:tokenId', 'GET /rest/v1/openapi.json', 'GET /rest/v1/userinfo', 'POST /rest/v1/system/tokens',
    ]);
  });
});
