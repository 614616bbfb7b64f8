import { generateFleet, generateSecurityToken } from './fleet-generator';

describe('generateFleet', () => {
  it('spreads devices over all four device types and three regions, every pair present', () => {
    const fleet = generateFleet({ count: 1_200, seed: 'demo' });
    const pairs = new Map<string, number>();
    for (const d of fleet) pairs.set(`${d.deviceType}/${d.region}`, (pairs.get(`${d.deviceType}/${d.region}`) ?? 0) + 1);
    expect(pairs.size).toBe(12);
    expect([...pairs.values()].every((n) => n === 100)).toBe(true);
    expect(new Set(fleet.map((d) => d.controllerId)).size).toBe(1_200);
    expect(fleet[0].controllerId).toBe('sim-000001');
  });

  it('follows the seed for everything but the credentials', () => {
    const strip = (f: ReturnType<typeof generateFleet>) => f.map(({ securityToken: _t, ...rest }) => rest);
    const a = generateFleet({ count: 50, seed: 7, prefix: 'x', initialVersion: '1.0.0' });
    const b = generateFleet({ count: 50, seed: 7, prefix: 'x', initialVersion: '1.0.0' });
    expect(strip(a)).toEqual(strip(b));
    expect(strip(generateFleet({ count: 50, seed: 8, prefix: 'x', initialVersion: '1.0.0' }))).not.toEqual(strip(a));
    expect(a.map((d) => d.securityToken)).not.toEqual(b.map((d) => d.securityToken));
    expect(a[3]).toMatchObject({ installedVersion: '1.0.0', architecture: 'x86_64', deviceType: 'kiosk' });
  });

  it('makes hawkBit-shaped tokens: 32 alphanumerics, distinct', () => {
    const tokens = Array.from({ length: 1_000 }, generateSecurityToken);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(tokens).size).toBe(1_000);
  });
});
