import { fleetIntervalSeconds } from './demo-scenario';

describe('the demo fleet paces itself to one machine', () => {
  it('polls every 2 s up to 1,200 devices, then less often, keeping the fleet near 600 polls per second', () => {
    expect([50, 300, 1_200].map(fleetIntervalSeconds)).toEqual([2, 2, 2]);
    expect(fleetIntervalSeconds(5_000)).toBe(9);
    for (const devices of [5_000, 20_000, 100_000]) expect(devices / fleetIntervalSeconds(devices)).toBeLessThanOrEqual(600);
  });
});
