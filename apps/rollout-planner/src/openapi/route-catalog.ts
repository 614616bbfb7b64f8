import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { TSchema } from '@sinclair/typebox';
import { REQUIRED_PERMISSIONS } from '../identity/permissions.decorator';

/** A body a route documents without @JsonBody (the multipart upload). */
export const DOCUMENTED_BODY = 'rollgate:openapi-body';

export interface ApiRoute {
  method: string;
  /** OpenAPI form: `/rest/v1/targets/{controllerId}` */
  path: string;
  operationId: string;
  permissions: string[] | undefined;
  successStatus: number;
  pathParams: string[];
  /** the handler takes the whole query object: hawkBit's paging parameters */
  paged: boolean;
  queryParams: string[];
  body?: { contentType: string; schema: TSchema };
}

type Handler = (...args: unknown[]) => unknown;
interface RouteArgument {
  index: number;
  data?: unknown;
  factory?: unknown;
}

const TYPEBOX_KIND = Symbol.for('TypeBox.Kind');

/**
 * Every route of the given controllers, read from Nest's own route metadata (the same metadata Nest builds its
 * router from), with the permissions, parameters and body schema each declares.
 */
export function routesOf(controllers: ReadonlyArray<{ name: string; prototype: object }>): ApiRoute[] {
  return controllers.flatMap((controller) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const prototype = controller.prototype as Record<string, Handler>;
    return Object.getOwnPropertyNames(prototype)
      .filter((name) => name !== 'constructor' && typeof prototype[name] === 'function' && Reflect.getMetadata(PATH_METADATA, prototype[name]) !== undefined)
      .map((name) => routeOf(controller, base, name, prototype[name]));
  });
}

function routeOf(controller: { name: string }, base: string, name: string, handler: Handler): ApiRoute {
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
  const nestPath = `/${base}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`.replace(/\/+$/, '').replace(/\/\/+/g, '/');
  const args = Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, RouteArgument>);
  const query = args.filter(([key]) => key.startsWith(`${RouteParamtypes.QUERY}:`)).map(([, arg]) => arg.data);
  const schemaArg = args.map(([, arg]) => arg.data).find(isSchema);
  const documented = Reflect.getMetadata(DOCUMENTED_BODY, handler) as ApiRoute['body'] | undefined;
  return {
    method,
    path: nestPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
    operationId: `${controller.name.replace(/Controller$/, '')}_${name}`,
    permissions: Reflect.getMetadata(REQUIRED_PERMISSIONS, handler) as string[] | undefined,
    successStatus: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === 'POST' ? 201 : 200),
    pathParams: [...nestPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]),
    paged: query.some((data) => data === undefined),
    queryParams: query.filter((data): data is string => typeof data === 'string'),
    body: documented ?? (schemaArg ? { contentType: 'application/json', schema: schemaArg } : undefined),
  };
}

function isSchema(value: unknown): value is TSchema {
  return typeof value === 'object' && value !== null && TYPEBOX_KIND in value;
}
