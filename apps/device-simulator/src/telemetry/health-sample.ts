import { draw, jitter, type RandomState } from '../profiles/device-random';
import type { DeviceProfile } from '../profiles/device-profile';

/** What a device POSTs to `/{tenant}/controller/v1/{controllerId}/health` (TelemetrySample without tenant and id). */
export interface HealthSample {
  at: number;
  errorRate: number;
  latencyP95Ms: number;
  memoryMb: number;
  cpuPct: number;
  restarts: number;
  temperatureC: number;
  runningVersion: string;
  healthEndpoint: 'up' | 'down';
  deviceType: string;
}

export interface DeviceCondition {
  deviceType: string;
  runningVersion: string;
  /** since the last boot into this build: memory leaks grow with it */
  uptimeMs: number;
  /** the application keeps crashing (a bad build) */
  crashLooping: boolean;
}

/** How a crash loop shows in the numbers, on top of the build's own profile. */
const CRASH_LOOP = { errorRateFloor: 0.25, latencyFactor: 3, downShare: 0.5, maxRestarts: 3 };

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * One sample from the profile of the running build: baseline values with ±15 % jitter, memory growing by the
 * build's leak rate since boot, and a crash loop's restarts, errors and failing health endpoint. Values stay
 * within the TelemetrySample schema's bounds. Draws a fixed number of values so later decisions are unaffected.
 */
export function healthSample(profile: DeviceProfile, condition: DeviceCondition, random: RandomState, now: number): HealthSample {
  const base = profile.telemetry;
  const errorJitter = jitter(random, base.errorRate, 0.15);
  const latency = jitter(random, base.latencyP95Ms, 0.15);
  const memory = jitter(random, base.memoryMb, 0.05);
  const cpu = jitter(random, base.cpuPct, 0.15);
  const temperature = jitter(random, base.temperatureC, 0.05);
  const restartDraw = draw(random);
  const endpointDraw = draw(random);
  const leakedMb = (profile.memoryLeakMbPerHour * condition.uptimeMs) / 3_600_000;
  const looping = condition.crashLooping;
  return {
    at: now,
    errorRate: round(clamp(looping ? Math.max(errorJitter, CRASH_LOOP.errorRateFloor) : errorJitter, 0, 1), 4),
    latencyP95Ms: round(Math.max(0, looping ? latency * CRASH_LOOP.latencyFactor : latency), 1),
    memoryMb: round(Math.max(0, memory + leakedMb), 1),
    cpuPct: round(clamp(cpu, 0, 100), 1),
    restarts: looping ? 1 + Math.floor(restartDraw * CRASH_LOOP.maxRestarts) : 0,
    temperatureC: round(temperature, 1),
    runningVersion: condition.runningVersion,
    healthEndpoint: looping && endpointDraw < CRASH_LOOP.downShare ? 'down' : 'up',
    deviceType: condition.deviceType,
  };
}
