import { randomBytes } from 'node:crypto';
import { DEVICE_TYPES, REGIONS } from '../profiles/default-profiles';
import { between, deviceSeed, draw, type RandomState } from '../profiles/device-random';

/** One simulated device as the fleet and the Management API know it. */
export interface DeviceSpec {
  controllerId: string;
  /** the device's TargetToken; needed for `auth: 'target-token'` */
  securityToken?: string;
  deviceType: string;
  region: string;
  architecture: string;
  freeDiskMb: number;
  /** the version running before the simulation starts */
  installedVersion?: string;
}

export interface GenerateFleetOptions {
  count: number;
  seed: string | number;
  /** controllerIds are `<prefix>-<000001>`; default `sim` */
  prefix?: string;
  initialVersion?: string;
  deviceTypes?: readonly { deviceType: string; architecture: string; freeDiskMb: { min: number; max: number } }[];
  regions?: readonly string[];
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * hawkBit-shaped security tokens (32 alphanumerics) from the CSPRNG: a fleet's tokens are credentials, so they
 * are not derived from the (shareable) seed. Rejection sampling keeps the alphabet unbiased.
 */
export function generateSecurityToken(): string {
  let token = '';
  while (token.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && token.length < 32) token += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
    }
  }
  return token;
}

/**
 * N devices spread round-robin over the device types and regions (every combination is present once
 * N >= types × regions), with architecture and free disk as a real device would report them. Everything but
 * the tokens follows from the seed.
 */
export function generateFleet(options: GenerateFleetOptions): DeviceSpec[] {
  const types = options.deviceTypes ?? DEVICE_TYPES;
  const regions = options.regions ?? REGIONS;
  const prefix = options.prefix ?? 'sim';
  const width = Math.max(6, String(options.count).length);
  const devices: DeviceSpec[] = [];
  for (let i = 0; i < options.count; i++) {
    const controllerId = `${prefix}-${String(i + 1).padStart(width, '0')}`;
    const type = types[i % types.length];
    // Regions advance once per full pass over the types, so types and regions cross instead of pairing up.
    const region = regions[Math.floor(i / types.length) % regions.length];
    const random: RandomState = { rng: deviceSeed(options.seed, controllerId) };
    draw(random);
    devices.push({
      controllerId,
      securityToken: generateSecurityToken(),
      deviceType: type.deviceType,
      region,
      architecture: type.architecture,
      freeDiskMb: Math.round(between(random, type.freeDiskMb)),
      ...(options.initialVersion !== undefined ? { installedVersion: options.initialVersion } : {}),
    });
  }
  return devices;
}
