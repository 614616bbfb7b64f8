import { hashSeed } from '@rollgate/shared-domain';
import type { ValueRange } from './device-profile';

/**
 * Per-device randomness: one 32-bit mulberry32 state kept in the device's own record (no closure or object per
 * device). Each device draws only from its own state, in the order of its own life, so what a device decides is
 * the same for a given fleet seed however the network interleaves the devices.
 */
export interface RandomState {
  rng: number;
}

export function deviceSeed(fleetSeed: string | number, controllerId: string): number {
  return hashSeed(`${fleetSeed}\u0000${controllerId}`);
}

/** A uniform draw in [0, 1); advances the state. */
export function draw(state: RandomState): number {
  state.rng = (state.rng + 0x6d2b79f5) | 0;
  let t = state.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export function chance(state: RandomState, probability: number): boolean {
  // Always one draw, even for 0 and 1, so changing a probability never shifts the device's later decisions.
  return draw(state) < probability;
}

export function between(state: RandomState, range: ValueRange): number {
  return range.min + draw(state) * (range.max - range.min);
}

/** A draw with an extra tail: mostly near the mean, sometimes far (for jittered measurements). */
export function jitter(state: RandomState, value: number, relative: number): number {
  return value * (1 + (draw(state) * 2 - 1) * relative);
}
