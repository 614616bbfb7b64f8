import type { DeviceProfile, FleetProfiles } from './device-profile';

/** The four device types a generated fleet spreads over, with the architecture each reports in configData. */
export const DEVICE_TYPES = [
  { deviceType: 'edge-gateway', architecture: 'arm64', freeDiskMb: { min: 2_000, max: 16_000 } },
  { deviceType: 'camera', architecture: 'armv7', freeDiskMb: { min: 200, max: 1_500 } },
  { deviceType: 'sensor-hub', architecture: 'riscv64', freeDiskMb: { min: 100, max: 800 } },
  { deviceType: 'kiosk', architecture: 'x86_64', freeDiskMb: { min: 8_000, max: 64_000 } },
] as const;

export const REGIONS = ['eu', 'us', 'apac'] as const;

/**
 * Fast enough for tests and demos (installs take seconds, not minutes). A healthy fleet: almost every install
 * succeeds, few devices are offline, telemetry is calm.
 */
export const BASE_PROFILE: DeviceProfile = {
  installSuccessProbability: 0.98,
  downloadFailureProbability: 0.005,
  interruptedDownloadProbability: 0.05,
  installDurationMs: { min: 500, max: 3_000 },
  installSteps: 3,
  offlineShare: 0.02,
  offlinePeriodMs: { min: 5_000, max: 30_000 },
  crashLoopProbability: 0,
  fallbackAfterRestarts: 0,
  memoryLeakMbPerHour: 0,
  latencyMs: { min: 0, max: 20 },
  cancelRejectProbability: 0.05,
  confirmProbability: 1,
  telemetry: { errorRate: 0.005, latencyP95Ms: 120, memoryMb: 180, cpuPct: 20, temperatureC: 45 },
};

/** Device types differ in resources and heat; regions in network latency and connectivity. */
export const DEFAULT_PROFILES: FleetProfiles = {
  base: BASE_PROFILE,
  deviceTypes: {
    'edge-gateway': { telemetry: { memoryMb: 512, cpuPct: 25, temperatureC: 50 } },
    camera: { installDurationMs: { min: 1_000, max: 4_000 }, telemetry: { memoryMb: 96, cpuPct: 45, temperatureC: 58 } },
    'sensor-hub': { installSuccessProbability: 0.97, telemetry: { memoryMb: 48, cpuPct: 10, temperatureC: 38, latencyP95Ms: 200 } },
    kiosk: { telemetry: { memoryMb: 1_024, cpuPct: 30, temperatureC: 42 } },
  },
  regions: {
    eu: {},
    us: { latencyMs: { min: 5, max: 40 } },
    apac: { latencyMs: { min: 20, max: 120 }, offlineShare: 0.05, interruptedDownloadProbability: 0.1 },
  },
  builds: [],
};

/**
 * A bad build for one device type: installs mostly succeed (the damage shows after the reboot), then the
 * application crash-loops, leaks memory and errors; some devices fall back to their previous slot.
 */
export function badBuild(version: string, deviceType?: string): FleetProfiles['builds'] {
  return [
    {
      version,
      ...(deviceType !== undefined ? { deviceType } : {}),
      overrides: {
        crashLoopProbability: 0.6,
        fallbackAfterRestarts: 6,
        memoryLeakMbPerHour: 400,
        telemetry: { errorRate: 0.12, latencyP95Ms: 900, cpuPct: 85 },
      },
    },
  ];
}
