import type { ArtifactStored } from '@rollgate/contracts';
import { rememberingSource, type ArtifactSource } from './artifact-source';

describe('rememberingSource', () => {
  const artifact = (sha256: string, fileName = 'fw.bin') => ({ sha256, fileName }) as unknown as ArtifactStored;

  /** a catalog of the given artifacts that counts how often it is asked */
  function catalog(known: Record<string, ArtifactStored>): ArtifactSource & { asked: number } {
    const source = {
      asked: 0,
      resolve: (tenant: string, sha256: string) => {
        source.asked += 1;
        return Promise.resolve(known[`${tenant}/${sha256}`]);
      },
    };
    return source;
  }

  it('given a found artifact, when it is asked again within the ttl, then the catalog is not read again', async () => {
    let now = 1_000;
    const inner = catalog({ 't1/aa': artifact('aa') });
    const source = rememberingSource(inner, 5_000, () => now);
    expect(await source.resolve('t1', 'aa')).toEqual(artifact('aa'));
    now += 4_999;
    expect(await source.resolve('t1', 'aa')).toEqual(artifact('aa'));
    expect(inner.asked).toBe(1);
    now += 1;
    await source.resolve('t1', 'aa');
    expect(inner.asked).toBe(2);
  });

  it('never remembers an unknown artifact (a new upload is served at once), and keeps tenants apart', async () => {
    const known: Record<string, ArtifactStored> = {};
    const inner = catalog(known);
    const source = rememberingSource(inner, 5_000, () => 0);
    expect(await source.resolve('t1', 'bb')).toBeUndefined();
    known['t1/bb'] = artifact('bb');
    expect(await source.resolve('t1', 'bb')).toEqual(artifact('bb'));
    expect(await source.resolve('t2', 'bb')).toBeUndefined();
  });

  it('forgets the oldest answer beyond its size', async () => {
    const inner = catalog({ 't/1': artifact('1'), 't/2': artifact('2'), 't/3': artifact('3') });
    const source = rememberingSource(inner, 60_000, () => 0, 2);
    for (const sha of ['1', '2', '3']) await source.resolve('t', sha);
    expect(inner.asked).toBe(3);
    await source.resolve('t', '3');
    await source.resolve('t', '2');
    expect(inner.asked).toBe(3);
    await source.resolve('t', '1');
    expect(inner.asked).toBe(4);
  });
});
