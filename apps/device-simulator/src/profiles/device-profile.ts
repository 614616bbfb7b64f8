/**
 * How a simulated device behaves, per device type, region and installed build. Profiles are plain data (JSON
 * in a file for the CLI); a fleet resolves each (deviceType, region, version) once and shares the result, so
 * 20,000 devices hold a key into a cache, not a profile each.
 */
export interface ValueRange {
  min: number;
  max: number;
}

/** What a healthy device of this kind reports; the telemetry model adds jitter, leaks and crash loops. */
export interface TelemetryBaseline {
  errorRate: number;
  latencyP95Ms: number;
  memoryMb: number;
  cpuPct: number;
  temperatureC: number;
}

export interface DeviceProfile {
  /** chance that installing a build ends `closed` + `success` (the rest end `closed` + `failure`) */
  installSuccessProbability: number;
  /** chance that a download fails for good (storage full, network gone), reported `closed` + `failure` */
  downloadFailureProbability: number;
  /** chance that a transfer is cut part-way; the device resumes it with a Range request */
  interruptedDownloadProbability: number;
  installDurationMs: ValueRange;
  /** `proceeding` messages with progress sent while installing */
  installSteps: number;
  /** chance that a poll finds the device offline; it then stays away for `offlinePeriodMs` */
  offlineShare: number;
  offlinePeriodMs: ValueRange;
  /** chance that the application crash-loops after an update of this build */
  crashLoopProbability: number;
  /** restarts after which a crash-looping device falls back to its previous build (A/B); 0 = never */
  fallbackAfterRestarts: number;
  /** resident memory growth while running this build */
  memoryLeakMbPerHour: number;
  /** the device's own processing time before each request it sends */
  latencyMs: ValueRange;
  /** chance of refusing a cancellation before installing (once installing, a device always refuses) */
  cancelRejectProbability: number;
  /** chance of confirming an action that asks for consent (confirmationBase); the rest deny */
  confirmProbability: number;
  telemetry: TelemetryBaseline;
}

export type ProfileOverrides = Partial<Omit<DeviceProfile, 'telemetry'>> & { telemetry?: Partial<TelemetryBaseline> };

/** A build's behaviour where it differs: e.g. a bad build that crash-loops on one device type. */
export interface BuildProfile {
  version: string;
  deviceType?: string;
  region?: string;
  overrides: ProfileOverrides;
}

export interface FleetProfiles {
  base: DeviceProfile;
  deviceTypes?: Record<string, ProfileOverrides>;
  regions?: Record<string, ProfileOverrides>;
  /** applied in order after device type and region; later entries win */
  builds?: BuildProfile[];
}

export interface ProfileKey {
  deviceType: string;
  region: string;
  /** the build the profile is for: the one running (telemetry) or the one being installed (outcome) */
  version: string;
}

export class ProfileError extends Error {
  constructor(readonly path: string, message: string) {
    super(`profile ${path}: ${message}`);
    this.name = 'ProfileError';
  }
}

const PROBABILITIES = [
  'installSuccessProbability', 'downloadFailureProbability', 'interruptedDownloadProbability', 'offlineShare',
  'crashLoopProbability', 'cancelRejectProbability', 'confirmProbability',
] as const;
const RANGES = ['installDurationMs', 'offlinePeriodMs', 'latencyMs'] as const;

export function mergeProfile(profile: DeviceProfile, overrides: ProfileOverrides | undefined): DeviceProfile {
  if (!overrides) return profile;
  const { telemetry, ...rest } = overrides;
  return { ...profile, ...rest, telemetry: { ...profile.telemetry, ...telemetry } };
}

/** Throws ProfileError naming the first field out of bounds; the CLI reads profiles from a file. */
export function validateProfile(profile: DeviceProfile, path = 'base'): DeviceProfile {
  for (const field of PROBABILITIES) {
    const value = profile[field];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ProfileError(`${path}.${field}`, `must be a probability in [0, 1], got ${String(value)}`);
  }
  for (const field of RANGES) {
    const range = profile[field];
    if (!range || !(range.min >= 0) || !(range.max >= range.min)) throw new ProfileError(`${path}.${field}`, 'must be { min >= 0, max >= min }');
  }
  if (!Number.isInteger(profile.installSteps) || profile.installSteps < 1 || profile.installSteps > 100) throw new ProfileError(`${path}.installSteps`, 'must be an integer in [1, 100]');
  if (!Number.isInteger(profile.fallbackAfterRestarts) || profile.fallbackAfterRestarts < 0) throw new ProfileError(`${path}.fallbackAfterRestarts`, 'must be an integer >= 0');
  if (!(profile.memoryLeakMbPerHour >= 0)) throw new ProfileError(`${path}.memoryLeakMbPerHour`, 'must be >= 0');
  const t = profile.telemetry;
  if (!t || !(t.errorRate >= 0 && t.errorRate <= 1)) throw new ProfileError(`${path}.telemetry.errorRate`, 'must be in [0, 1]');
  if (!(t.cpuPct >= 0 && t.cpuPct <= 100)) throw new ProfileError(`${path}.telemetry.cpuPct`, 'must be in [0, 100]');
  for (const field of ['latencyP95Ms', 'memoryMb'] as const) {
    if (!(t[field] >= 0)) throw new ProfileError(`${path}.telemetry.${field}`, 'must be >= 0');
  }
  if (typeof t.temperatureC !== 'number' || !Number.isFinite(t.temperatureC)) throw new ProfileError(`${path}.telemetry.temperatureC`, 'must be a number');
  return profile;
}

/**
 * A build rule names a version (`2.1.0`) or a distribution set (`app:2.1.0`); devices run distribution sets
 * (`name:version`, from the chunk metadata), so a bare version matches any set of that version.
 */
function versionMatches(rule: string, running: string): boolean {
  return rule === running || running.endsWith(`:${rule}`);
}

function buildApplies(build: BuildProfile, key: ProfileKey): boolean {
  return versionMatches(build.version, key.version) && (build.deviceType === undefined || build.deviceType === key.deviceType) && (build.region === undefined || build.region === key.region);
}

/** base ← device type ← region ← matching builds, validated. */
export function resolveProfile(profiles: FleetProfiles, key: ProfileKey): DeviceProfile {
  let profile = mergeProfile(profiles.base, profiles.deviceTypes?.[key.deviceType]);
  profile = mergeProfile(profile, profiles.regions?.[key.region]);
  for (const build of profiles.builds ?? []) {
    if (buildApplies(build, key)) profile = mergeProfile(profile, build.overrides);
  }
  return validateProfile(profile, `${key.deviceType}/${key.region}/${key.version}`);
}

/**
 * Resolved profiles by key. A fleet has a handful of device types, regions and builds, so the cache stays
 * tiny however many devices share it.
 */
export class ProfileResolver {
  private readonly cache = new Map<string, DeviceProfile>();

  constructor(private readonly profiles: FleetProfiles) {
    validateProfile(profiles.base);
    // Fail at start-up, not at the first device that happens to hit a bad override.
    for (const [type, overrides] of Object.entries(profiles.deviceTypes ?? {})) validateProfile(mergeProfile(profiles.base, overrides), `deviceTypes.${type}`);
    for (const [region, overrides] of Object.entries(profiles.regions ?? {})) validateProfile(mergeProfile(profiles.base, overrides), `regions.${region}`);
  }

  profileFor(deviceType: string, region: string, version: string): DeviceProfile {
    const cacheKey = `${deviceType}\u0000${region}\u0000${version}`;
    let profile = this.cache.get(cacheKey);
    if (!profile) {
      profile = resolveProfile(this.profiles, { deviceType, region, version });
      this.cache.set(cacheKey, profile);
    }
    return profile;
  }
}
