import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { badBuild, DEFAULT_PROFILES } from '../profiles/default-profiles';
import type { FleetProfiles } from '../profiles/device-profile';
import type { DeviceSpec } from '../fleet/fleet-generator';

export class CliUsageError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export function positiveInt(name: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new CliUsageError('invalid_option', `--${name} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** Profiles from a JSON or YAML file (FleetProfiles; `base` may be partial, the defaults fill the rest). */
export function loadProfiles(file: string | undefined, badBuilds: string[]): FleetProfiles {
  let profiles: FleetProfiles = DEFAULT_PROFILES;
  if (file !== undefined) {
    let parsed: Partial<FleetProfiles>;
    try {
      const text = readFileSync(file, 'utf8');
      parsed = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Partial<FleetProfiles>;
    } catch (error) {
      throw new CliUsageError('profiles_unreadable', `cannot read profiles from ${file}: ${(error as Error).message}`);
    }
    profiles = {
      base: { ...DEFAULT_PROFILES.base, ...parsed.base, telemetry: { ...DEFAULT_PROFILES.base.telemetry, ...parsed.base?.telemetry } },
      deviceTypes: parsed.deviceTypes ?? DEFAULT_PROFILES.deviceTypes,
      regions: parsed.regions ?? DEFAULT_PROFILES.regions,
      builds: parsed.builds ?? [],
    };
  }
  // `--bad-build 2.0.0` or `--bad-build 2.0.0:camera`
  const extra = badBuilds.flatMap((spec) => {
    const [version, deviceType] = spec.split(':');
    if (!version) throw new CliUsageError('invalid_option', `--bad-build needs <version>[:<deviceType>], got "${spec}"`);
    return badBuild(version, deviceType) ?? [];
  });
  return { ...profiles, builds: [...(profiles.builds ?? []), ...extra] };
}

/** A fleet file as written by `--register … --fleet-file`: the devices with their tokens. */
export function readFleetFile(file: string): DeviceSpec[] {
  try {
    const devices = JSON.parse(readFileSync(file, 'utf8')) as DeviceSpec[];
    if (!Array.isArray(devices) || devices.some((d) => typeof d?.controllerId !== 'string' || typeof d.deviceType !== 'string' || typeof d.region !== 'string')) {
      throw new Error('expected an array of { controllerId, deviceType, region, ... }');
    }
    return devices;
  } catch (error) {
    throw new CliUsageError('fleet_file_unreadable', `cannot read the fleet from ${file}: ${(error as Error).message}`);
  }
}
