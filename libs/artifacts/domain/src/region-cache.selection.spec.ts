import { CACHE_HEALTH_TTL_MS, selectDownloadSource, type RegionCache } from './region-cache.selection';

describe('region cache selection', () => {
  const now = 1_800_000_000_000;
  const cache = (id: string, region: string, ageMs = 0, drained = false): RegionCache => ({ id, region, baseUrl: `https://${id}.example`, lastHealthyAt: now - ageMs, drained });

  it('sends a device to a healthy cache of its own region', () => {
    const source = selectDownloadSource([cache('eu-1', 'eu'), cache('us-1', 'us')], 'eu', 'dev-1', now);
    expect(source).toEqual({ kind: 'cache', cache: cache('eu-1', 'eu') });
  });

  it('falls back to the central store when the region has no healthy cache', () => {
    const caches = [cache('eu-stale', 'eu', CACHE_HEALTH_TTL_MS + 1), cache('eu-drained', 'eu', 0, true), cache('us-1', 'us')];
    expect(selectDownloadSource(caches, 'eu', 'dev-1', now)).toEqual({ kind: 'central' });
    expect(selectDownloadSource(caches, undefined, 'dev-1', now)).toEqual({ kind: 'central' });
  });

  it('keeps a device on the same cache and spreads devices across caches', () => {
    const caches = [cache('eu-2', 'eu'), cache('eu-1', 'eu'), cache('eu-3', 'eu')];
    const pick = (device: string) => {
      const source = selectDownloadSource(caches, 'eu', device, now);
      return source.kind === 'cache' ? source.cache.id : 'central';
    };
    expect(pick('dev-42')).toBe(pick('dev-42'));
    expect(selectDownloadSource([...caches].reverse(), 'eu', 'dev-42', now)).toEqual(selectDownloadSource(caches, 'eu', 'dev-42', now));
    const used = new Set(Array.from({ length: 60 }, (_, i) => pick(`dev-${i}`)));
    expect(used).toEqual(new Set(['eu-1', 'eu-2', 'eu-3']));
  });
});
