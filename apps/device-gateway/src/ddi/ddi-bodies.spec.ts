import { readConfigData, readConfirmation, readFeedback } from './ddi-bodies';
import { readSamples } from '../telemetry/telemetry.publisher';

describe('DDI request bodies', () => {
  it('feedback: id as number or string, never compared with the path; result and progress optional', () => {
    expect(readFeedback({ id: 5, time: '20261122T025257', status: { execution: 'proceeding', result: { finished: 'none', progress: { cnt: 2, of: 5 } }, details: ['x'] } }))
      .toEqual({ execution: 'proceeding', finished: 'none', progress: { cnt: 2, of: 5 }, code: undefined, details: ['x'] });
    expect(readFeedback({ id: 'abc', status: { execution: 'closed', code: 3 } })).toMatchObject({ execution: 'closed', finished: undefined, code: 3 });
    expect(() => readFeedback({ id: 1 })).toThrow(expect.objectContaining({ code: 'feedback_invalid' }));
    expect(() => readFeedback({ status: { execution: 'closed', details: 'not a list' } })).toThrow(expect.objectContaining({ code: 'feedback_invalid' }));
    expect(() => readFeedback(undefined)).toThrow(expect.objectContaining({ code: 'feedback_invalid' }));
  });

  it('configData: no mode means merge, values become strings, unknown modes are refused', () => {
    expect(readConfigData({ data: { a: 1, b: true, c: 'x' }, status: { execution: 'closed' } })).toEqual({ mode: 'merge', data: { a: '1', b: 'true', c: 'x' } });
    expect(readConfigData({ mode: 'REPLACE', data: {} })).toEqual({ mode: 'replace', data: {} });
    expect(() => readConfigData({ mode: 'shred', data: {} })).toThrow(expect.objectContaining({ code: 'config_data_invalid' }));
    expect(() => readConfigData({ data: { nested: { a: 1 } } })).toThrow(expect.objectContaining({ code: 'config_data_invalid' }));
  });

  it('confirmation: Confirmed or Denied', () => {
    expect(readConfirmation({ confirmation: 'Confirmed', details: ['ok'] })).toEqual({ confirmed: true, code: undefined, details: ['ok'] });
    expect(readConfirmation({ confirmation: 'denied', code: 7 })).toMatchObject({ confirmed: false, code: 7 });
    expect(() => readConfirmation({ confirmation: 'maybe' })).toThrow(expect.objectContaining({ code: 'confirmation_invalid' }));
  });

  it('telemetry: one sample or { samples }, tenant and device from the path, at most 100 per post', () => {
    expect(readSamples({ at: 1, cpuPct: 5 }, 'acme', 'd1')).toEqual([{ at: 1, cpuPct: 5, tenant: 'acme', controllerId: 'd1' }]);
    expect(readSamples({ samples: [{ at: 1 }, { at: 2, healthEndpoint: 'down' }] }, 'acme', 'd1')).toHaveLength(2);
    expect(() => readSamples({ at: 1, tenant: 'other' }, 'acme', 'd1')).toThrow(expect.objectContaining({ code: 'telemetry_invalid' }));
    expect(() => readSamples({ samples: [] }, 'acme', 'd1')).toThrow(expect.objectContaining({ code: 'telemetry_invalid' }));
    expect(() => readSamples({ samples: Array.from({ length: 101 }, (_, i) => ({ at: i })) }, 'acme', 'd1')).toThrow(expect.objectContaining({ code: 'too_many_samples' }));
  });
});
