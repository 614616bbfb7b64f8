import { RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pinoOptions } from '@rollgate/observability';
import type { Params } from 'nestjs-pino';
import { traceIdsOfRequest } from './http-tracing';
import type { ServiceConfig } from './service-config';

/** Probes are polled every few seconds by orchestrators; logging each would drown the real requests. */
const QUIET_PATHS = new Set(['/healthz', '/readyz']);

/**
 * The middleware runs under @fastify/middie, which strips the matched prefix from `req.url`; the path the
 * client asked for is `originalUrl`.
 */
type MiddieRequest = IncomingMessage & { originalUrl?: string };
const pathOf = (req: MiddieRequest): string => req.originalUrl ?? req.url ?? '';

/** nestjs-pino parameters: the shared pino options plus one line per request with its id and outcome. */
export function httpLoggerParams(config: ServiceConfig): Params {
  return {
    pinoHttp: {
      ...pinoOptions({ service: config.service, level: config.logLevel }),
      // The line is written when the response finishes, outside the request's context: name its trace here.
      customProps: (req: IncomingMessage) => traceIdsOfRequest(req),
      autoLogging: { ignore: (req: MiddieRequest) => QUIET_PATHS.has(pathOf(req).split('?')[0]) },
      // A fleet polls thousands of times a second: answered requests are debug lines, refusals info, failures
      // error, so that the default level shows what needs attention (LOG_LEVEL=debug shows every request).
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
      customSuccessMessage: (req, res, ms) => `${req.method} ${pathOf(req)} ${res.statusCode} ${Math.round(ms)}ms`,
      customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    },
    // nestjs-pino's default route pattern ('{/*splat}') matches nothing on Nest 12's Fastify adapter, which
    // silently turned request logging off; this one matches every path.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}

/**
 * Fastify's request id (pino-http reuses it): a caller's `x-request-id` is kept, so one id follows a request
 * across hops, if it looks like an id; anything else gets a fresh UUID.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
}
