import { BASE_PROFILE, DEFAULT_PROFILES, badBuild } from './default-profiles';
import { ProfileError, ProfileResolver, resolveProfile, validateProfile, type FleetProfiles } from './device-profile';

describe('device profiles', () => {
  const profiles: FleetProfiles = {
    base: BASE_PROFILE,
    deviceTypes: { camera: { installSuccessProbability: 0.9, telemetry: { memoryMb: 96 } } },
    regions: { apac: { offlineShare: 0.2, installSuccessProbability: 0.8 } },
    builds: [
      ...(badBuild('2.0.0', 'camera') ?? []),
      { version: '2.0.0', region: 'apac', overrides: { installSuccessProbability: 0.5 } },
    ],
  };

  it('applies base, then device type, then region, then matching builds in order', () => {
    expect(resolveProfile(profiles, { deviceType: 'kiosk', region: 'eu', version: '1.0.0' })).toEqual(BASE_PROFILE);
    const camera = resolveProfile(profiles, { deviceType: 'camera', region: 'eu', version: '1.0.0' });
    expect(camera.installSuccessProbability).toBe(0.9);
    expect(camera.telemetry).toEqual({ ...BASE_PROFILE.telemetry, memoryMb: 96 });
    const cameraInApac = resolveProfile(profiles, { deviceType: 'camera', region: 'apac', version: '1.0.0' });
    expect(cameraInApac).toMatchObject({ installSuccessProbability: 0.8, offlineShare: 0.2 });
    const badOnCameraInApac = resolveProfile(profiles, { deviceType: 'camera', region: 'apac', version: '2.0.0' });
    expect(badOnCameraInApac).toMatchObject({ crashLoopProbability: 0.6, memoryLeakMbPerHour: 400, installSuccessProbability: 0.5 });
    expect(badOnCameraInApac.telemetry).toMatchObject({ errorRate: 0.12, memoryMb: 96 });
  });

  it('keeps a bad build to the device type it names', () => {
    expect(resolveProfile(profiles, { deviceType: 'kiosk', region: 'eu', version: '2.0.0' }).crashLoopProbability).toBe(0);
    expect(resolveProfile(profiles, { deviceType: 'camera', region: 'eu', version: '2.0.0' }).crashLoopProbability).toBe(0.6);
    // Devices run distribution sets (`name:version`); a rule naming the bare version matches them too.
    expect(resolveProfile(profiles, { deviceType: 'camera', region: 'eu', version: 'firmware:2.0.0' }).crashLoopProbability).toBe(0.6);
    expect(resolveProfile(profiles, { deviceType: 'camera', region: 'eu', version: 'firmware:12.0.0' }).crashLoopProbability).toBe(0);
  });

  it('names the first field out of bounds', () => {
    expect(() => validateProfile({ ...BASE_PROFILE, offlineShare: 1.5 })).toThrow(new ProfileError('base.offlineShare', 'must be a probability in [0, 1], got 1.5'));
    expect(() => validateProfile({ ...BASE_PROFILE, installDurationMs: { min: 10, max: 5 } })).toThrow(/base\.installDurationMs/);
    expect(() => validateProfile({ ...BASE_PROFILE, installSteps: 0 })).toThrow(/installSteps/);
    expect(() => validateProfile({ ...BASE_PROFILE, telemetry: { ...BASE_PROFILE.telemetry, cpuPct: 120 } })).toThrow(/telemetry\.cpuPct/);
    expect(() => new ProfileResolver({ base: BASE_PROFILE, regions: { eu: { confirmProbability: -1 } } })).toThrow(/regions\.eu\.confirmProbability/);
  });

  it('resolves each (type, region, version) once and hands the same object to every device', () => {
    const resolver = new ProfileResolver(DEFAULT_PROFILES);
    const first = resolver.profileFor('camera', 'eu', '1.0.0');
    expect(resolver.profileFor('camera', 'eu', '1.0.0')).toBe(first);
    expect(resolver.profileFor('camera', 'us', '1.0.0')).not.toBe(first);
  });

  it('ships defaults that validate for every device type and region', () => {
    const resolver = new ProfileResolver(DEFAULT_PROFILES);
    for (const type of Object.keys(DEFAULT_PROFILES.deviceTypes ?? {})) {
      for (const region of Object.keys(DEFAULT_PROFILES.regions ?? {})) expect(() => resolver.profileFor(type, region, 'any')).not.toThrow();
    }
  });
});
