import type { ApiRoute } from './route-catalog';

type Json = Record<string, unknown>;

const ERROR_STATUSES: Record<string, string> = {
  '400': 'invalid request (field-level issues, a bad filter names its position)',
  '401': 'no or invalid credentials',
  '403': 'missing permission',
  '404': 'not found in the caller\'s tenant',
  '409': 'conflicts with the current state',
  '415': 'wrong content type',
  '422': 'can never succeed as asked',
};

/** hawkBit's paging parameters, on every list. */
const PAGING = [
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  { name: 'sort', in: 'query', schema: { type: 'string' }, description: '`field:ASC|DESC`, comma separated' },
  { name: 'q', in: 'query', schema: { type: 'string' }, description: 'the FIQL/RSQL filter language' },
];

/**
 * The Management API as OpenAPI 3.1 (whose schemas are JSON Schema, so the TypeBox request schemas the routes
 * validate with go in unchanged). Each operation names its permissions in `x-permissions`.
 */
export function openApiDocument(routes: readonly ApiRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Rollgate Management API', version, description: 'hawkBit-compatible Management API of rollout-planner, with Rollgate\'s extensions.' },
    servers: [{ url: '/' }],
    security: [{ basic: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: '`tenant\\user:password`, or `user:password` for the default tenant' },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token from POST /rest/v1/system/tokens' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
    },
    paths,
  };
}

function operation(route: ApiRoute): Json {
  const parameters = [
    ...route.pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(route.paged ? PAGING : []),
    ...route.queryParams.map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
  ];
  const permissions = route.permissions ?? [];
  return {
    operationId: route.operationId,
    // Grouped by resource, as hawkBit's documentation groups them (`targets`, `distributionsets`, `system`, ...).
    tags: [route.path.split('/')[3] ?? 'api'],
    summary: `${route.method} ${route.path}`,
    description: permissions.length > 0 ? `Requires ${permissions.join(', ')}.` : 'Any authenticated caller.',
    'x-permissions': permissions,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { [route.body.contentType]: { schema: plain(route.body.schema) } } } } : {}),
    responses: {
      [String(route.successStatus)]: route.successStatus === 204 ? { description: 'done' } : { description: 'success', content: { 'application/json': { schema: {} } } },
      ...Object.fromEntries(Object.entries(ERROR_STATUSES).map(([status, description]) => [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
    },
  };
}

/** JSON Schema without TypeBox's symbol keys. */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema)) as unknown;
}
