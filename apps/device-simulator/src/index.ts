// The simulated fleet's library API, for e2e tests, benchmarks and the CLI (src/main.ts).
export { startFleet, type FleetHandle, type FleetOptions, type DeviceView } from './fleet/fleet';
export { generateFleet, generateSecurityToken, type DeviceSpec, type GenerateFleetOptions } from './fleet/fleet-generator';
export { registerFleet, RegistrationError, type RegisterFleetOptions } from './fleet/register-fleet';
export { ACTION_OUTCOMES, DEVICE_STATUSES, type ActionOutcome, type ActionSettled, type DeviceStatus, type FleetStats } from './fleet/fleet-stats';
export { DEFAULT_PROFILES, BASE_PROFILE, DEVICE_TYPES, REGIONS, badBuild } from './profiles/default-profiles';
export { ProfileResolver, ProfileError, resolveProfile, validateProfile, type DeviceProfile, type FleetProfiles, type ProfileOverrides, type BuildProfile } from './profiles/device-profile';
export { downloadArtifact, type DownloadOutcome } from './download/artifact-download';
export { HttpClient } from './ddi/http-client';
export { DISTRIBUTION_SET_METADATA_KEY, versionOfDeployment } from './ddi/ddi-types';
