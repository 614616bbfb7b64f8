import { DEFAULT_BUS_NAMES } from '@rollgate/contracts';
import { ConfigError, loadServiceConfig } from './service-config';

const defaults = { service: 'rollout-planner', port: 8080 };

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadServiceConfig(defaults, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadServiceConfig', () => {
  it('fills every variable from its default when the environment is empty', () => {
    expect(loadServiceConfig(defaults, {})).toEqual({
      service: 'rollout-planner',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
      natsUrl: 'nats://127.0.0.1:4222',
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      busNames: DEFAULT_BUS_NAMES,
      shutdownGraceMs: 10_000,
      bodyLimitBytes: 1_048_576,
    });
  });

  it('reads and converts every variable that is set', () => {
    const config = loadServiceConfig(defaults, {
      DATABASE_URL: 'postgresql://app:pw@db.internal:6543/rollgate',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      HOST: '0.0.0.0',
      PORT: '0',
      LOG_LEVEL: 'debug',
      ROLLGATE_SUBJECT_ROOT: 'tabc',
      ROLLGATE_EVENTS_STREAM: 'TABC_EVENTS',
      ROLLGATE_TELEMETRY_STREAM: 'TABC_TELEMETRY',
      SHUTDOWN_GRACE_MS: '2500',
      BODY_LIMIT_BYTES: '4096',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgresql://app:pw@db.internal:6543/rollgate',
      natsUrl: 'nats://a:4222,nats://b:4222',
      host: '0.0.0.0',
      port: 0,
      logLevel: 'debug',
      busNames: { subjectRoot: 'tabc', eventsStream: 'TABC_EVENTS', telemetryStream: 'TABC_TELEMETRY' },
      shutdownGraceMs: 2500,
      bodyLimitBytes: 4096,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadServiceConfig(defaults, { PORT: '' }).port).toBe(8080);
  });

  it('names every invalid variable and why in one message', () => {
    const error = configError({ DATABASE_URL: 'not-a-url', PORT: 'eighty', LOG_LEVEL: 'loud', NATS_URL: 'http://x', BODY_LIMIT_BYTES: '-1', SHUTDOWN_GRACE_MS: '0' });
    expect(error.problems.map((p) => p.variable)).toEqual(['DATABASE_URL', 'NATS_URL', 'PORT', 'LOG_LEVEL', 'SHUTDOWN_GRACE_MS', 'BODY_LIMIT_BYTES']);
    expect(error.message).toContain('rollout-planner: invalid configuration, not starting');
    expect(error.message).toContain('DATABASE_URL is "not-a-url", must be a postgres:// or postgresql:// URL');
    expect(error.message).toContain('PORT is "eighty", must be a TCP port from 0 to 65535');
    expect(error.message).toContain('LOG_LEVEL is "loud", must be one of fatal, error, warn, info, debug, trace, silent');
  });

  it('refuses out-of-range numbers that match the pattern', () => {
    const error = configError({ PORT: '70000', SHUTDOWN_GRACE_MS: '0' });
    expect(error.problems).toEqual([
      { variable: 'PORT', problem: 'is 70000, must be a TCP port from 0 to 65535' },
      { variable: 'SHUTDOWN_GRACE_MS', problem: 'must be at least 1' },
    ]);
  });

  it('refuses stream names and subject roots NATS would reject', () => {
    const error = configError({ ROLLGATE_SUBJECT_ROOT: 'a.b', ROLLGATE_EVENTS_STREAM: 'has space' });
    expect(error.problems.map((p) => p.variable)).toEqual(['ROLLGATE_SUBJECT_ROOT', 'ROLLGATE_EVENTS_STREAM']);
  });

  it('does not print the password of a rejected database URL', () => {
    const error = configError({ DATABASE_URL: 'mysql://app:s3cret@db/x' });
    expect(error.message).toContain('mysql://app:***@db/x');
    expect(error.message).not.toContain('s3cret');
  });
});
