import { decodeTelemetry } from './telemetry-decoder';

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const prefix = 'rollgate.tel.';

describe('telemetry decoding: a malformed sample is a reason, never an exception', () => {
  it('accepts a valid sample on its own subject', () => {
    const sample = { tenant: 'acme', controllerId: 'd1', at: 1, errorRate: 0.1, runningVersion: 'app:2' };
    expect(decodeTelemetry('rollgate.tel.acme.d1', bytes(sample), prefix)).toEqual({ sample });
  });

  it.each([
    ['not JSON', 'rollgate.tel.acme.d1', '{oops', 'not_json'],
    ['an unknown field', 'rollgate.tel.acme.d1', { tenant: 'acme', controllerId: 'd1', at: 1, extra: true }, 'schema'],
    ['an error rate above 1', 'rollgate.tel.acme.d1', { tenant: 'acme', controllerId: 'd1', at: 1, errorRate: 2 }, 'schema'],
    ['a tenant outside the safe alphabet', 'rollgate.tel.ACME.d1', { tenant: 'ACME', controllerId: 'd1', at: 1 }, 'tenant'],
    ['another tenant than its subject', 'rollgate.tel.acme.d1', { tenant: 'other', controllerId: 'd1', at: 1 }, 'subject_mismatch'],
    ['another device than its subject', 'rollgate.tel.acme.d1', { tenant: 'acme', controllerId: 'd2', at: 1 }, 'subject_mismatch'],
    ['a JSON array', 'rollgate.tel.acme.d1', [1, 2], 'schema'],
  ])('drops %s', (_name, subject, payload, reason) => {
    expect(decodeTelemetry(subject, bytes(payload), prefix)).toEqual({ malformed: reason });
  });
});
