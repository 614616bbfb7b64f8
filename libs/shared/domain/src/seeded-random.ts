/**
 * Deterministic randomness for pure code. Plans store their seed, so replaying a plan with the same seed
 * reproduces the same shuffle on any machine (no Math.random, no crypto).
 */
export interface SeededRandom {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniformly distributed integer in [0, bound). */
  nextInt(bound: number): number;
}

/** Hashes a seed string to 32 bits (FNV-1a followed by a murmur3 finaliser to spread short seeds). */
export function hashSeed(seed: string | number): number {
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: tiny, fast and good enough for shuffling (not for secrets). */
export function seededRandom(seed: string | number): SeededRandom {
  let state = hashSeed(seed);
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    nextUint32,
    // Multiply-shift instead of modulo: no division in the hot loop, bias below 2^-32 * bound.
    nextInt: (bound: number) => Math.floor((nextUint32() / 4294967296) * bound),
  };
}

/** Fisher-Yates in place over any indexable sequence (arrays and typed arrays alike). */
export function shuffleInPlace<T extends { length: number; [index: number]: number | unknown }>(items: T, random: SeededRandom): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}
