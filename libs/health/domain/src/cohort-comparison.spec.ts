import { compareCohorts } from './cohort-comparison';
import { healthy, MIN, NEW, scenario, withErrors } from '../test/health.fixtures';

const minutes = 20;
const limits = { errorRatePoints: 2, latencyPercent: 20, minSamples: 20 };

describe('updated vs not-yet-updated devices of the same type, same window', () => {
  const window = (at: number) => ({ from: at - 15 * MIN, to: at });

  it('passes when the updated devices look like the control', () => {
    const s = scenario({ minutes });
    const at = s.startAt + minutes * MIN;
    const result = compareCohorts(s.devices.filter((d) => d.deployedAt), s.devices.filter((d) => !d.deployedAt), window(at), limits, NEW);
    expect(result.verdict).toBe('PASS');
    expect(result.byDeviceType.map((t) => t.deviceType)).toEqual(['cam', 'gw']);
    expect(result.byDeviceType[0].metrics[0]).toMatchObject({ metric: 'errorRate', updated: { samples: 90, devices: 3 }, control: { samples: 90, devices: 3 } });
  });

  it('fails when one type of updated device has more errors than its control', () => {
    const s = scenario({ minutes, after: (type, id) => (type === 'gw' ? withErrors(healthy(NEW, id, type), 0.08) : healthy(NEW, id, type)) });
    const at = s.startAt + minutes * MIN;
    const result = compareCohorts(s.devices.filter((d) => d.deployedAt), s.devices.filter((d) => !d.deployedAt), window(at), limits, NEW);
    expect(result.verdict).toBe('FAIL');
    expect(result.byDeviceType.map((t) => [t.deviceType, t.verdict])).toEqual([['cam', 'PASS'], ['gw', 'FAIL']]);
    expect(result.byDeviceType[1].metrics[0]).toMatchObject({ verdict: 'FAIL', reason: 'updated_worse_than_control', updated: { value: 0.08 } });
  });

  it('is INCONCLUSIVE, never PASS, when either side has too few samples', () => {
    const s = scenario({ minutes });
    const at = s.startAt + minutes * MIN;
    const noControl = compareCohorts(s.devices.filter((d) => d.deployedAt), [], window(at), limits, NEW);
    expect(noControl.verdict).toBe('INCONCLUSIVE');
    const high = compareCohorts(s.devices.filter((d) => d.deployedAt), s.devices.filter((d) => !d.deployedAt), window(at), { ...limits, minSamples: 91 }, NEW);
    expect(high.verdict).toBe('INCONCLUSIVE');
    expect(high.byDeviceType[0].metrics[0].reason).toBe('too_few_samples');
  });
});
