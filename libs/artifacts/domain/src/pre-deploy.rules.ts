/** What a device reports about itself (hawkBit configData attributes) that matters before a download. */
export interface DeviceFacts {
  /** e.g. `arm64`; from the `architecture` (or `arch`) attribute */
  architecture?: string;
  /** reported free disk in bytes; from the `disk.free` (or `freeDiskBytes`) attribute */
  freeDiskBytes?: number;
}

export interface ArtifactFacts {
  size: number;
  /** undefined or `any` for architecture-independent artifacts (scripts, configuration) */
  architecture?: string;
}

export type PreDeployRejection =
  | { code: 'architecture_mismatch'; message: string }
  | { code: 'architecture_unknown'; message: string }
  | { code: 'insufficient_disk'; message: string }
  | { code: 'disk_unknown'; message: string };

export type PreDeployVerdict = { ok: true } | { ok: false; rejections: PreDeployRejection[] };

/**
 * The free disk a device needs for an artifact: twice its size, because an A/B or download-then-install
 * updater holds the download and the unpacked/installed copy at the same time.
 */
export const DISK_HEADROOM_FACTOR = 2;

/**
 * Checks a device against every artifact of its action before it may download. A rejection is the
 * device's unfitness, not a failed build: callers record it in the action status and do not count it
 * towards a group's error threshold. Unknown facts are rejections too: deploying blind to a device that
 * never reported its architecture is how fleets get bricked.
 */
export function checkPreDeploy(device: DeviceFacts, artifacts: ReadonlyArray<ArtifactFacts>): PreDeployVerdict {
  const rejections: PreDeployRejection[] = [];
  const architectures = [...new Set(artifacts.map((a) => normalizeArch(a.architecture)).filter((a): a is string => a !== undefined))];
  const deviceArch = normalizeArch(device.architecture);
  if (architectures.length > 0 && deviceArch === undefined) {
    rejections.push({ code: 'architecture_unknown', message: `the device reported no architecture; the artifacts need ${architectures.join(', ')}` });
  } else if (deviceArch !== undefined) {
    const wrong = architectures.filter((a) => a !== deviceArch);
    if (wrong.length > 0) rejections.push({ code: 'architecture_mismatch', message: `the device is ${deviceArch}, the artifacts need ${wrong.join(', ')}` });
  }
  const needed = DISK_HEADROOM_FACTOR * artifacts.reduce((sum, a) => sum + a.size, 0);
  if (needed > 0) {
    if (device.freeDiskBytes === undefined || !Number.isFinite(device.freeDiskBytes)) {
      rejections.push({ code: 'disk_unknown', message: `the device reported no free disk; it needs ${needed} bytes` });
    } else if (device.freeDiskBytes < needed) {
      rejections.push({ code: 'insufficient_disk', message: `the device has ${device.freeDiskBytes} bytes free, needs ${needed} (${DISK_HEADROOM_FACTOR}x the artifacts)` });
    }
  }
  return rejections.length === 0 ? { ok: true } : { ok: false, rejections };
}

/** Reads the facts from a device's configData attributes (strings, as DDI sends them). */
export function deviceFactsFrom(attributes: Readonly<Record<string, string>>): DeviceFacts {
  const architecture = attributes['architecture'] ?? attributes['arch'];
  const disk = attributes['disk.free'] ?? attributes['freeDiskBytes'];
  const freeDiskBytes = disk !== undefined && /^\d+$/.test(disk.trim()) ? Number(disk.trim()) : undefined;
  return { architecture, freeDiskBytes };
}

/** Common aliases of the same ABI, so `aarch64` devices take `arm64` artifacts. */
const ARCH_ALIASES: Record<string, string> = { aarch64: 'arm64', x86_64: 'amd64', x64: 'amd64', armhf: 'armv7', arm: 'armv7' };

function normalizeArch(arch: string | undefined): string | undefined {
  if (arch === undefined) return undefined;
  const value = arch.trim().toLowerCase();
  if (value === '' || value === 'any' || value === 'noarch') return undefined;
  return ARCH_ALIASES[value] ?? value;
}
