/** A satellite mirror of the central store, serving the devices of one region. */
export interface RegionCache {
  id: string;
  region: string;
  /** base URL the device downloads from */
  baseUrl: string;
  /** when the cache last reported itself healthy (epoch ms) */
  lastHealthyAt: number;
  /** set by an operator to take a cache out of rotation without forgetting it */
  drained?: boolean;
}

export type DownloadSource = { kind: 'cache'; cache: RegionCache } | { kind: 'central' };

/** A cache that has not reported within this window is treated as down. */
export const CACHE_HEALTH_TTL_MS = 60_000;

/**
 * Where a device in `region` downloads from: a healthy cache of its own region, else the central store.
 * Among several healthy caches the choice is stable per device (hash of its id), so one device keeps
 * resuming from the same cache while the region's load spreads across them.
 */
export function selectDownloadSource(caches: ReadonlyArray<RegionCache>, region: string | undefined, deviceId: string, now: number): DownloadSource {
  if (region === undefined) return { kind: 'central' };
  const healthy = caches
    .filter((c) => c.region === region && !c.drained && now - c.lastHealthyAt <= CACHE_HEALTH_TTL_MS)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (healthy.length === 0) return { kind: 'central' };
  return { kind: 'cache', cache: healthy[stableHash(deviceId) % healthy.length] };
}

/** FNV-1a, 32 bit: enough spread for choosing among a handful of caches, and pure. */
function stableHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i += 1) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
