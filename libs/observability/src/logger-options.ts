import type { LoggerOptions } from 'pino';
import { activeTraceIds } from './telemetry';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino replaces with `[redacted]`. Secrets must never reach a log line: request headers that carry
 * credentials (the DDI gateway token and the Management API bearer), and any field named like a credential
 * at the top level or one level down in a logged object.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-auth-token"]',
  'res.headers["set-cookie"]',
  ...['authorization', 'password', 'passwd', 'secret', 'token', 'accessToken', 'refreshToken', 'apiKey', 'clientSecret', 'gatewayToken', 'securityToken', 'connectionString', 'databaseUrl'].flatMap(
    (key) => [key, `*.${key}`],
  ),
];

export interface LoggerOptionsInput {
  service: string;
  level?: LogLevel;
}

/**
 * Options for the pino root logger of a service: JSON lines on stdout (one object per line, ready for any
 * log shipper), the service name on every line, ISO timestamps, and the active trace and span ids so logs
 * and traces join up.
 */
export function pinoOptions({ service, level = 'info' }: LoggerOptionsInput): LoggerOptions {
  return {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    mixin: () => activeTraceIds(),
  };
}
