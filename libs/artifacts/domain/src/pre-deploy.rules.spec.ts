import { checkPreDeploy, deviceFactsFrom } from './pre-deploy.rules';

describe('pre-deploy checks', () => {
  const image = { size: 100_000_000, architecture: 'arm64' };

  it('accepts a device of the same architecture (aliases included) with twice the size free', () => {
    expect(checkPreDeploy({ architecture: 'aarch64', freeDiskBytes: 200_000_000 }, [image])).toEqual({ ok: true });
    expect(checkPreDeploy({ freeDiskBytes: 20 }, [{ size: 10, architecture: 'any' }])).toEqual({ ok: true });
  });

  it('rejects another architecture and too little disk, naming both', () => {
    const verdict = checkPreDeploy({ architecture: 'x86_64', freeDiskBytes: 199_999_999 }, [image]);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? [] : verdict.rejections.map((r) => r.code)).toEqual(['architecture_mismatch', 'insufficient_disk']);
  });

  it('counts every artifact of the action towards the disk needed', () => {
    const verdict = checkPreDeploy({ architecture: 'arm64', freeDiskBytes: 250 }, [{ size: 100 }, { size: 50, architecture: 'arm64' }]);
    expect(verdict).toEqual({ ok: false, rejections: [{ code: 'insufficient_disk', message: 'the device has 250 bytes free, needs 300 (2x the artifacts)' }] });
  });

  it('rejects a device that reported neither architecture nor free disk', () => {
    const verdict = checkPreDeploy({}, [image]);
    expect(verdict.ok ? [] : verdict.rejections.map((r) => r.code)).toEqual(['architecture_unknown', 'disk_unknown']);
  });

  it('reads the facts from configData attributes', () => {
    expect(deviceFactsFrom({ architecture: 'arm64', 'disk.free': '1024' })).toEqual({ architecture: 'arm64', freeDiskBytes: 1024 });
    expect(deviceFactsFrom({ arch: 'amd64', 'disk.free': 'lots' })).toEqual({ architecture: 'amd64', freeDiskBytes: undefined });
  });
});
