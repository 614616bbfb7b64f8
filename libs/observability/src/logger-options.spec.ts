import pino from 'pino';
import { Writable } from 'node:stream';
import { pinoOptions } from './logger-options';

function capture(level: 'info' | 'warn' = 'info'): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = pino(pinoOptions({ service: 'device-gateway', level }), sink);
  return { logger, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('pinoOptions', () => {
  it('writes one JSON object per line with service, level label, ISO time and message', () => {
    const { logger, lines } = capture();
    logger.info('device-gateway listening on http://127.0.0.1:8081');
    const [line] = lines();
    expect(line).toMatchObject({ service: 'device-gateway', level: 'info', msg: 'device-gateway listening on http://127.0.0.1:8081' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('never writes credentials: authorization headers, tokens, passwords, secrets', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'GatewayToken abc123', cookie: 'sid=s1', 'x-api-key': 'k1', accept: 'application/json' } },
        password: 'hunter2',
        target: { securityToken: 'tok-1', name: 'dev-1' },
        credentials: { token: 'tok-2', secret: 'sec-1', clientSecret: 'cs-1' },
      },
      'request',
    );
    const raw = JSON.stringify(lines());
    for (const secret of ['abc123', 'sid=s1', 'k1', 'hunter2', 'tok-1', 'tok-2', 'sec-1', 'cs-1']) expect(raw).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ req: { headers: { authorization: '[redacted]', accept: 'application/json' } }, password: '[redacted]', target: { name: 'dev-1' } });
  });

  it('honours the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('dropped');
    logger.warn('kept');
    expect(lines().map((l) => l.msg)).toEqual(['kept']);
  });
});
