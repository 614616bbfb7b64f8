import { Type, type Static } from '@sinclair/typebox';
import Ajv, { type ErrorObject } from 'ajv';
import { DEFAULT_BUS_NAMES, type BusNames } from '@rollgate/contracts';
import { LOG_LEVELS, type LogLevel } from '@rollgate/observability';

/**
 * The environment every service reads. Values arrive as strings; the schema says what each one must look
 * like, ajv checks all of them at once (so one start names every mistake, not just the first), and only
 * then are they converted to typed values.
 */
const ServiceEnvSchema = Type.Object({
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://[^\\s]+$', description: 'a postgres:// or postgresql:// URL' }),
  NATS_URL: Type.String({ pattern: '^(nats|tls|ws|wss)://[^\\s]+(,(nats|tls|ws|wss)://[^\\s]+)*$', description: 'one or more comma-separated nats:// URLs' }),
  HOST: Type.String({ minLength: 1, pattern: '^[^\\s]+$', description: 'a host name or IP address to listen on' }),
  PORT: Type.String({ pattern: '^[0-9]{1,5}$', description: 'a TCP port from 0 to 65535' }),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { description: `one of ${LOG_LEVELS.join(', ')}` }),
  ROLLGATE_SUBJECT_ROOT: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'a single NATS subject token (letters, digits, _ and -)' }),
  ROLLGATE_EVENTS_STREAM: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'a JetStream stream name (letters, digits, _ and -)' }),
  ROLLGATE_TELEMETRY_STREAM: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'a JetStream stream name (letters, digits, _ and -)' }),
  SHUTDOWN_GRACE_MS: Type.String({ pattern: '^[0-9]+$', description: 'a whole number of milliseconds' }),
  BODY_LIMIT_BYTES: Type.String({ pattern: '^[0-9]+$', description: 'a whole number of bytes' }),
});

type ServiceEnv = Static<typeof ServiceEnvSchema>;
type EnvName = keyof ServiceEnv;

export interface ServiceConfig {
  service: string;
  databaseUrl: string;
  natsUrl: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  busNames: BusNames;
  shutdownGraceMs: number;
  bodyLimitBytes: number;
}

/** What a service may choose for itself; everything else has one default for all services. */
export interface ServiceDefaults {
  service: string;
  port: number;
  bodyLimitBytes?: number;
}

const SHARED_DEFAULTS: Omit<ServiceEnv, 'PORT' | 'BODY_LIMIT_BYTES'> = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  NATS_URL: 'nats://127.0.0.1:4222',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  ROLLGATE_SUBJECT_ROOT: DEFAULT_BUS_NAMES.subjectRoot,
  ROLLGATE_EVENTS_STREAM: DEFAULT_BUS_NAMES.eventsStream,
  ROLLGATE_TELEMETRY_STREAM: DEFAULT_BUS_NAMES.telemetryStream,
  SHUTDOWN_GRACE_MS: '10000',
};
const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;

export interface Problem {
  variable: string;
  problem: string;
}

/** The environment did not describe a runnable service; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: ReadonlyArray<Problem>,
  ) {
    super(`${service}: invalid configuration, not starting:\n${problems.map((p) => `  - ${p.variable} ${p.problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateEnv = ajv.compile<ServiceEnv>(ServiceEnvSchema);
const ENV_NAMES = Object.keys(ServiceEnvSchema.properties) as EnvName[];

/** Reads and checks the service's configuration; throws ConfigError naming each invalid variable. */
export function loadServiceConfig(defaults: ServiceDefaults, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const raw = withDefaults(defaults, env);
  const problems = validateEnv(raw) ? [] : describeProblems(raw, validateEnv.errors ?? []);
  problems.push(...rangeProblems(raw).filter((p) => !problems.some((known) => known.variable === p.variable)));
  if (problems.length > 0) throw new ConfigError(defaults.service, orderedLikeSchema(problems));
  return {
    service: defaults.service,
    databaseUrl: raw.DATABASE_URL,
    natsUrl: raw.NATS_URL,
    host: raw.HOST,
    port: Number(raw.PORT),
    logLevel: raw.LOG_LEVEL as LogLevel,
    busNames: { subjectRoot: raw.ROLLGATE_SUBJECT_ROOT, eventsStream: raw.ROLLGATE_EVENTS_STREAM, telemetryStream: raw.ROLLGATE_TELEMETRY_STREAM },
    shutdownGraceMs: Number(raw.SHUTDOWN_GRACE_MS),
    bodyLimitBytes: Number(raw.BODY_LIMIT_BYTES),
  };
}

/** An unset or empty variable takes its default; a set one is validated as given (never silently fixed). */
function withDefaults(defaults: ServiceDefaults, env: NodeJS.ProcessEnv): Record<EnvName, string> {
  const fallback: Record<EnvName, string> = {
    ...SHARED_DEFAULTS,
    PORT: String(defaults.port),
    BODY_LIMIT_BYTES: String(defaults.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES),
  };
  const raw = {} as Record<EnvName, string>;
  for (const name of ENV_NAMES) {
    const value = env[name];
    raw[name] = value === undefined || value === '' ? fallback[name] : value;
  }
  return raw;
}

function describeProblems(raw: Record<EnvName, string>, errors: ErrorObject[]): Problem[] {
  const byVariable = new Map<string, string>();
  for (const error of errors) {
    const variable = error.instancePath.replace(/^\//, '').split('/')[0];
    if (!variable || byVariable.has(variable)) continue;
    const description = ServiceEnvSchema.properties[variable as EnvName]?.description ?? error.message ?? 'is invalid';
    byVariable.set(variable, `is ${JSON.stringify(redactUrl(raw[variable as EnvName]))}, must be ${description}`);
  }
  return [...byVariable].map(([variable, problem]) => ({ variable, problem }));
}

/** Checks a pattern cannot express: numeric ranges (of values that are whole numbers at all). */
function rangeProblems(raw: Record<EnvName, string>): Problem[] {
  const problems: Problem[] = [];
  const whole = (value: string) => /^[0-9]+$/.test(value);
  if (whole(raw.PORT) && Number(raw.PORT) > 65_535) problems.push({ variable: 'PORT', problem: `is ${raw.PORT}, must be a TCP port from 0 to 65535` });
  if (whole(raw.BODY_LIMIT_BYTES) && Number(raw.BODY_LIMIT_BYTES) < 1) problems.push({ variable: 'BODY_LIMIT_BYTES', problem: 'must be at least 1' });
  if (whole(raw.SHUTDOWN_GRACE_MS) && Number(raw.SHUTDOWN_GRACE_MS) < 1) problems.push({ variable: 'SHUTDOWN_GRACE_MS', problem: 'must be at least 1' });
  return problems;
}

function orderedLikeSchema(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => ENV_NAMES.indexOf(a.variable as EnvName) - ENV_NAMES.indexOf(b.variable as EnvName));
}

/** A rejected URL may still carry a password; the error message must not print it. */
function redactUrl(value: string): string {
  return value.replace(/\/\/([^:/@\s]+):[^@\s]*@/, '//$1:***@');
}
