import { uuidv7 } from './uuidv7';

describe('uuidv7', () => {
  it('is a version 7, RFC variant UUID whose first 48 bits are the time in milliseconds', () => {
    const id = uuidv7(0x0193a6a45c1e);
    expect(id).toMatch(/^0193a6a4-5c1e-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries the time it is given, whatever time the id before it carried', () => {
    for (const now of [0x0193a6a45c1e, 0x0193a6a45c1e, 0x0193a6a45c1f, 0, 0x0193a6a45c1e]) {
      const hex = now.toString(16).padStart(12, '0');
      expect(uuidv7(now).slice(0, 15)).toBe(`${hex.slice(0, 8)}-${hex.slice(8)}-7`);
    }
  });

  it('sorts by time across milliseconds and does not repeat', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidv7())).size).toBe(10_000);
  });
});
