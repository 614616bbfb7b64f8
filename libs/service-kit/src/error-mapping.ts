import { ConcurrencyError, DomainError, ReadModelLagError, RollgateError, ValidationError } from '@rollgate/shared-domain';

export interface HttpErrorBody {
  code: string;
  message: string;
  issues?: ReadonlyArray<{ path: string; message: string }>;
}

export interface HttpErrorResponse {
  status: number;
  body: HttpErrorBody;
}

/**
 * Domain refusals whose code says the request itself can never succeed (422) rather than that the
 * resource is in the wrong state for it right now (409). Later issues extend this list by code, which
 * keeps the choice in one place instead of in every controller.
 */
const UNPROCESSABLE_SUFFIXES = ['_invalid', '_unprocessable', '_not_allowed'];
const NOT_FOUND_SUFFIX = '_not_found';

/**
 * Maps any thrown value to the HTTP answer API clients see: a stable `code` and a human `message`.
 * Unknown errors become 500 `internal_error` with a fixed message, so stack traces, SQL and connection
 * strings never leave the process (they are logged instead).
 */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (error instanceof ValidationError) {
    return { status: 400, body: { code: error.code, message: error.message, ...(error.issues.length > 0 ? { issues: error.issues } : {}) } };
  }
  if (error instanceof ConcurrencyError) return { status: 409, body: { code: error.code, message: error.message } };
  if (error instanceof DomainError) return { status: domainStatus(error.code), body: { code: error.code, message: error.message } };
  if (error instanceof ReadModelLagError) return { status: 503, body: { code: error.code, message: error.message } };
  if (error instanceof RollgateError) return { status: 500, body: { code: 'internal_error', message: INTERNAL_MESSAGE } };
  const http = httpStatusOf(error);
  if (http) return http;
  return { status: 500, body: { code: 'internal_error', message: INTERNAL_MESSAGE } };
}

const INTERNAL_MESSAGE = 'internal error';

function domainStatus(code: string): number {
  if (code.endsWith(NOT_FOUND_SUFFIX)) return 404;
  return UNPROCESSABLE_SUFFIXES.some((suffix) => code.endsWith(suffix)) ? 422 : 409;
}

/**
 * Framework errors that already carry a client status: Nest's HttpException (`getStatus()`) and Fastify's
 * errors (`statusCode`, e.g. 413 for a body over the limit, 400 for malformed JSON). Only 4xx keep their
 * message; anything else is treated as internal.
 */
function httpStatusOf(error: unknown): HttpErrorResponse | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { getStatus?: () => unknown; statusCode?: unknown; message?: unknown; code?: unknown };
  const status = typeof candidate.getStatus === 'function' ? candidate.getStatus() : candidate.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const message = typeof candidate.message === 'string' ? candidate.message : 'request refused';
  return { status, body: { code: HTTP_CODES[status] ?? 'bad_request', message } };
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
};
