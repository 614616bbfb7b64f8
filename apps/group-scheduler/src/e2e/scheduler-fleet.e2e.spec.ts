import { createAndStart, eventsOf, groupsOf, installedSetOf, membersOf, publishBuild, startE2eStack, until, waitForRollout, type E2eStack } from './e2e-stack';
import { configureTenant, registerDevices, simulator, steadyProfile, type DeviceSpec, type FleetHandle, type FleetProfiles } from './simulated-fleet';

// Issue 7's proof: the scheduler runs rollouts of 2,000 simulated devices, everything driven through the
// Management API, with the planner, gateway, distributor and scheduler running on real PostgreSQL and NATS.
// Three rollouts, one after the other, on the same fleet:
//   A (1.0.0 → 2.0.0): five groups cascade on success; group 3's success action PAUSEs; resumed, it finishes.
//   B (2.1.0): the cameras cannot download it; the error condition STOPs the rollout (emergency), and every
//     device whose action was open (downloaded, waiting for its maintenance window) sees cancelAction.
//   C (2.2.0): the cameras' installs fail; the error condition ROLLs BACK group 1 to 2.0.0.
// The cameras run as a fleet of their own so that the spec decides when they fail (after every other member
// of the group has taken its action): without that, which actions are open at the stop would be a race.
jest.setTimeout(300_000);

const DEVICES = 2_000;
const POLL_SECONDS = 3;
const CAMERA = 'camera';
/** hawkBit's group percentages are of the targets not yet assigned: five groups of 400. */
/** What a device reports running: the gateway names the distribution set `<name>:<version>`. */
const v = (version: string) => `firmware:${version}`;
const FIVE_GROUPS = [20, 25, 100 / 3, 50, 100];

describe('the scheduler with 2,000 simulated devices: cascade, pause and resume, emergency stop, rollback', () => {
  let stack: E2eStack;
  let devices: DeviceSpec[];
  let others: DeviceSpec[];
  let cameras: DeviceSpec[];
  let mainFleet: FleetHandle | undefined;
  let cameraFleet: FleetHandle | undefined;
  const sets: Record<string, string> = {};

  const camerasProfiles = (): FleetProfiles => ({
    base: steadyProfile(stack),
    builds: [
      { version: v('2.1.0'), overrides: { downloadFailureProbability: 1 } },
      { version: v('2.2.0'), overrides: { installSuccessProbability: 0 } },
    ],
  });
  const startCameras = () => {
    cameraFleet = simulator(stack).startFleet({
      // A restarted camera runs what rollout A installed (a spec's installedVersion wins over the option).
      gatewayUrl: stack.gatewayUrl, tenant: 'acme', devices: cameras.map((c) => ({ ...c, installedVersion: v('2.0.0') })), seed: 'scheduler-e2e-cameras', auth: 'target-token',
      startSpreadMs: 1_000, profiles: camerasProfiles(), telemetryIntervalMs: 600_000,
    });
  };
  const stopCameras = async () => {
    await cameraFleet?.stop();
    cameraFleet = undefined;
  };
  const deviceView = (id: string) => mainFleet!.device(id) ?? cameraFleet?.device(id);
  const isCamera = (id: string) => cameras.some((c) => c.controllerId === id);
  const groupStream = (groupId: string) => `rolloutgroup-${groupId}`;

  beforeAll(async () => {
    stack = await startE2eStack({ prefix: 'rg_sched_e2e', withHealthEvaluator: false });
    await configureTenant(stack, POLL_SECONDS);
    devices = simulator(stack).generateFleet({ count: DEVICES, seed: 'scheduler-e2e', prefix: 'sch', initialVersion: v('1.0.0') });
    cameras = devices.filter((d) => d.deviceType === CAMERA);
    others = devices.filter((d) => d.deviceType !== CAMERA);
    await registerDevices(stack, devices);
    for (const version of ['2.0.0', '2.1.0', '2.2.0']) sets[version] = await publishBuild(stack, 'firmware', version);
    mainFleet = simulator(stack).startFleet({
      gatewayUrl: stack.gatewayUrl, tenant: 'acme', devices: others, seed: 'scheduler-e2e', auth: 'target-token',
      startSpreadMs: POLL_SECONDS * 1_000, profiles: { base: steadyProfile(stack) }, telemetryIntervalMs: 600_000,
    });
    cameraFleet = simulator(stack).startFleet({
      gatewayUrl: stack.gatewayUrl, tenant: 'acme', devices: cameras, seed: 'scheduler-e2e-cameras', auth: 'target-token',
      startSpreadMs: POLL_SECONDS * 1_000, profiles: camerasProfiles(), telemetryIntervalMs: 600_000,
    });
  }, 300_000);

  afterAll(async () => {
    await mainFleet?.stop();
    await cameraFleet?.stop();
    await stack?.close();
  }, 120_000);

  const fleetVersions = () => {
    const counts: Record<string, number> = {};
    for (const d of devices) {
      const version = deviceView(d.controllerId)?.version ?? 'unknown';
      counts[version] = (counts[version] ?? 0) + 1;
    }
    return counts;
  };

  it('A: five groups cascade on success, group 3 pauses the rollout, resume runs groups 4 and 5 and the rollout finishes', async () => {
    expect(cameras.length).toBeGreaterThan(100);
    const rolloutId = await createAndStart(stack, {
      name: 'cascade', targetFilterQuery: 'controllerId==sch-*', distributionSetId: sets['2.0.0'], type: 'forced',
      successCondition: { condition: 'THRESHOLD', expression: '100' }, successAction: { action: 'NEXTGROUP', expression: '' },
      errorCondition: { condition: 'THRESHOLD', expression: '50' }, errorAction: { action: 'PAUSE', expression: '' },
      groups: FIVE_GROUPS.map((targetPercentage, i) => ({
        name: `group-${i + 1}`, targetPercentage, ...(i === 2 ? { successAction: { action: 'PAUSE', expression: '' } } : {}),
      })),
    });
    const groups = await groupsOf(stack, rolloutId);
    expect(groups.map((g) => [g.name, g.totalTargets])).toEqual([1, 2, 3, 4, 5].map((n) => [`group-${n}`, 400]));

    // Paused after group 3 succeeded: groups 1-3 finished and their 1,200 devices updated, 4 and 5 untouched.
    await waitForRollout(stack, rolloutId, ['paused'], 240_000).catch(async (error: Error) => {
      throw new Error(`${error.message.slice(0, 200)}; groups ${JSON.stringify(await groupsOf(stack, rolloutId))}; fleet ${JSON.stringify(fleetVersions())}`);
    });
    const paused = await groupsOf(stack, rolloutId);
    expect(paused.map((g) => g.status)).toEqual(['finished', 'finished', 'finished', 'scheduled', 'scheduled']);
    const firstThree = (await Promise.all(paused.slice(0, 3).map((g) => membersOf(stack, rolloutId, g.id)))).flat();
    expect(firstThree).toHaveLength(1_200);
    expect(firstThree.every((id) => deviceView(id)?.version === v('2.0.0'))).toBe(true);
    expect(fleetVersions()).toEqual({ [v('2.0.0')]: 1_200, [v('1.0.0')]: 800 });
    // Nothing of groups 4 and 5 moves while paused.
    await new Promise((r) => setTimeout(r, POLL_SECONDS * 2_000));
    expect(fleetVersions()).toEqual({ [v('2.0.0')]: 1_200, [v('1.0.0')]: 800 });

    expect((await stack.rest('POST', `/rollouts/${rolloutId}/resume`)).status).toBe(200);
    await waitForRollout(stack, rolloutId, ['finished'], 240_000);
    expect((await groupsOf(stack, rolloutId)).map((g) => g.status)).toEqual(['finished', 'finished', 'finished', 'finished', 'finished']);
    expect(fleetVersions()).toEqual({ [v('2.0.0')]: 2_000 });

    // The log, as the scheduler wrote it: one trigger per group, in order, the pause between 3 and 4.
    const log = (await eventsOf(stack, [`rollout-${rolloutId}`])).filter((e) => ['rollout-group-triggered', 'rollout-paused', 'rollout-resumed', 'rollout-finished'].includes(e.type));
    expect(log.map((e) => (e.type === 'rollout-group-triggered' ? `triggered:${String(e.data.reason)}:${groups.findIndex((g) => g.id === String(e.data.groupId)) + 1}` : e.type))).toEqual([
      'triggered:first:1', 'triggered:success-condition:2', 'triggered:success-condition:3',
      'rollout-paused', 'rollout-resumed', 'triggered:resume:4', 'triggered:success-condition:5', 'rollout-finished',
    ]);
    expect(log.find((e) => e.type === 'rollout-paused')?.data).toMatchObject({ reason: 'success-action', groupId: groups[2].id });
    // installedDS per target through the API (a sample across every group; the fleet view above covers all).
    for (const d of devices.filter((_, i) => i % 40 === 0)) {
      await until(`installedDS of ${d.controllerId}`, async () => (await installedSetOf(stack, d.controllerId)) === sets['2.0.0'] || 'other', 30_000);
    }
  });

  it('B: cameras failing the download cross the error threshold; STOP cancels every open action and each of those devices sees cancelAction', async () => {
    await stopCameras();
    const hour = (new Date().getUTCHours() + 12) % 24;
    const rolloutId = await createAndStart(stack, {
      name: 'emergency-stop', targetFilterQuery: 'controllerId==sch-*', distributionSetId: sets['2.1.0'], type: 'forced',
      amountGroups: 5,
      successCondition: { condition: 'THRESHOLD', expression: '100' }, successAction: { action: 'NEXTGROUP', expression: '' },
      errorCondition: { condition: 'COUNT', expression: '10' }, errorAction: { action: 'STOP', expression: '' },
      // Installs wait for a window twelve hours away: every device that took its action keeps it open.
      maintenanceWindow: { schedule: `0 0 ${hour} * * ?`, duration: '01:00:00', timezone: '+00:00' },
    });
    const groups = await groupsOf(stack, rolloutId);
    const members = await membersOf(stack, rolloutId, groups[0].id);
    const waiting = members.filter((id) => !isCamera(id));
    const failing = members.filter(isCamera);
    expect(failing.length).toBeGreaterThan(10);
    await until('every non-camera member of group 1 downloaded and waits for its window', async () => {
      const notYet = waiting.filter((id) => deviceView(id)?.status !== 'waiting-window');
      return notYet.length === 0 || `${notYet.length} of ${waiting.length} not waiting`;
    }, 120_000);
    expect((await stack.rest('GET', `/rollouts/${rolloutId}`)).body.status).toBe('running');

    startCameras();
    await waitForRollout(stack, rolloutId, ['stopped'], 120_000);
    // Each device that had its action open answers the cancelAction of its next poll (accepted: not installing).
    await until('every waiting device saw cancelAction', async () => {
      const notYet = waiting.filter((id) => deviceView(id)?.lastSettled?.outcome !== 'canceled');
      return notYet.length === 0 || `${notYet.length} of ${waiting.length}: ${JSON.stringify(notYet.slice(0, 3).map(deviceView))}`;
    }, 60_000);
    expect(waiting.filter((id) => deviceView(id)?.version !== v('2.0.0'))).toEqual([]);
    expect(mainFleet!.stats().cancelFeedbackSent).toBeGreaterThanOrEqual(waiting.length);

    const rolloutLog = await eventsOf(stack, [`rollout-${rolloutId}`]);
    const stopping = rolloutLog.filter((e) => e.type === 'rollout-stopping');
    expect(stopping).toHaveLength(1);
    expect(stopping[0].data).toMatchObject({ reason: 'emergency', groupId: groups[0].id });
    expect(rolloutLog.some((e) => e.type === 'rollout-stopped')).toBe(true);
    // Groups 2-5 never started: no device outside group 1 was offered 2.1.0.
    const groupLogs = await eventsOf(stack, groups.map((g) => groupStream(g.id)));
    expect(groups.map((g) => groupLogs.some((e) => e.streamId === groupStream(g.id) && e.type === 'group-started'))).toEqual([true, false, false, false, false]);
    // The action streams: the device's own cancel feedback closed every waiting action (not a forced close).
    const actionIds = waiting.map((id) => deviceView(id)!.lastSettled!.actionId);
    const actionLogs = await eventsOf(stack, actionIds.map((a) => `action-${a}`));
    for (const actionId of actionIds) {
      const own = actionLogs.filter((e) => e.streamId === `action-${actionId}`).map((e) => e.type);
      expect(own).toEqual(expect.arrayContaining(['action-retrieved', 'action-canceled']));
      expect(own[own.length - 1]).toBe('action-canceled');
    }
    // The cameras failed (their download), or were cancelled, or (mid-download when the stop closed their
    // action) were told by the gateway that the action is gone; one never offered the action settled nothing.
    for (const id of failing) expect(['failure', 'canceled', 'gone', undefined]).toContain(deviceView(id)?.lastSettled?.outcome);
    expect(failing.filter((id) => deviceView(id)?.lastSettled?.outcome === 'failure').length).toBeGreaterThan(10);
    expect(fleetVersions()).toEqual({ [v('2.0.0')]: 2_000 });
  });

  it('C: cameras failing the install cross the error threshold; ROLLBACK returns group 1 to the previous distribution set', async () => {
    await stopCameras();
    const rolloutId = await createAndStart(stack, {
      name: 'bad-install', targetFilterQuery: 'controllerId==sch-*', distributionSetId: sets['2.2.0'], type: 'forced',
      amountGroups: 5,
      successCondition: { condition: 'THRESHOLD', expression: '100' }, successAction: { action: 'NEXTGROUP', expression: '' },
      errorCondition: { condition: 'COUNT', expression: '10' }, errorAction: { action: 'ROLLBACK', expression: '' },
    });
    const groups = await groupsOf(stack, rolloutId);
    const members = await membersOf(stack, rolloutId, groups[0].id);
    const installing = members.filter((id) => !isCamera(id));
    await until('every non-camera member of group 1 installed 2.2.0', async () => {
      const notYet = installing.filter((id) => deviceView(id)?.version !== v('2.2.0'));
      return notYet.length === 0 || `${notYet.length} of ${installing.length} not on 2.2.0`;
    }, 120_000);
    expect(fleetVersions()[v('2.2.0')]).toBe(installing.length);

    startCameras();
    await waitForRollout(stack, rolloutId, ['stopped'], 120_000);
    const rolloutLog = await eventsOf(stack, [`rollout-${rolloutId}`]);
    expect(rolloutLog.find((e) => e.type === 'rollout-stopping')?.data).toMatchObject({ reason: 'rollback', groupId: groups[0].id });
    expect(rolloutLog.find((e) => e.type === 'rollout-rollback-requested')?.data).toMatchObject({ groupId: groups[0].id, distributionSetId: sets['2.2.0'] });

    // The rollback rollout (created by the scheduler, its cause recorded) runs to the end.
    let rollbackId = '';
    await until('the rollback rollout exists', async () => {
      const page = await stack.rest<{ content: Array<{ id: string | number; name: string; description?: string }> }>('GET', '/rollouts?limit=100');
      const found = page.body.content.find((r) => String(r.id).startsWith(`${rolloutId}-rb-`));
      rollbackId = found ? String(found.id) : '';
      return found !== undefined || 'none yet';
    }, 60_000);
    const rollback = await waitForRollout(stack, rollbackId, ['finished'], 180_000);
    expect(rollback).toMatchObject({ name: 'bad-install_rollback', distributionSetId: expect.anything() });
    expect(String(rollback.distributionSetId)).toBe(sets['2.0.0']);
    expect(String(rollback.description)).toContain(rolloutId);
    const incident = (await eventsOf(stack, [`rollout-${rolloutId}`])).find((e) => e.type === 'rollout-incident-recorded');
    expect(incident?.data).toMatchObject({ groupId: groups[0].id, rollbackRollouts: [{ rolloutId: rollbackId, distributionSetId: sets['2.0.0'] }] });

    // Every member of the failed group is back on 2.0.0: the devices themselves and installedDS in the API.
    await until('every member of group 1 runs 2.0.0 again', async () => {
      const notYet = members.filter((id) => deviceView(id)?.version !== v('2.0.0'));
      return notYet.length === 0 || `${notYet.length} not back, e.g. ${JSON.stringify(notYet.slice(0, 3).map(deviceView))}; rollback ${JSON.stringify(await groupsOf(stack, rollbackId))}`;
    }, 120_000);
    expect(fleetVersions()).toEqual({ [v('2.0.0')]: 2_000 });
    for (const id of members) {
      await until(`installedDS of ${id}`, async () => {
        const installed = await installedSetOf(stack, id);
        return installed === sets['2.0.0'] || `installed ${String(installed)}`;
      }, 30_000);
    }
    // Groups 2-5 never started.
    const groupLogs = await eventsOf(stack, groups.map((g) => groupStream(g.id)));
    expect(groups.map((g) => groupLogs.some((e) => e.streamId === groupStream(g.id) && e.type === 'group-started'))).toEqual([true, false, false, false, false]);
  });
});
