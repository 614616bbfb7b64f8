import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@rollgate/testing';
import { HARDWARE } from './device-update.flow';
import { SlowLinkProxy } from './slow-link.proxy';
import { GATEWAY_TOKEN, useSuricattaSuite } from './suricatta-suite';

/*
 * A real hawkBit DDI client as the judge of device-gateway's wire compatibility: Debian's swupdate 2022.12,
 * whose suricatta mode polls the gateway, downloads the .swu from the link it is given, verifies and
 * installs it, and reports through feedback, exactly as it would against Eclipse hawkBit. Everything an
 * operator does goes through the Management API; the evidence is the action resource, the files on the
 * "device", and the action's stream in the log. One set of services for the whole file (each test has its
 * own target), because one set of services per file is what the shared PostgreSQL can afford.
 */
jest.setTimeout(600_000);

describe('suricatta against device-gateway', () => {
  const suite = useSuricattaSuite();

  describe('polling with nothing assigned', () => {
    it('polls with its TargetToken, answers the request for configData with its identity, and finds nothing to do', async () => {
      const token = await suite.flow.registerTarget('dev-idle');

      const device = suite.flow.startDevice('dev-idle', { kind: 'target-token', token }, { identify: { hwRevision: HARDWARE.revision, board: HARDWARE.board } });
      const attributes = await eventually(async () => {
        const answer = await suite.flow.api.request('GET', '/rest/v1/targets/dev-idle/attributes');
        return answer.status === 200 && Object.keys(answer.body as object).length > 0 ? answer.body : undefined;
      }, 60_000, 250);

      expect(attributes).toEqual({ hwRevision: HARDWARE.revision, board: HARDWARE.board });
      await device.waitForOutput('No pending action on server');
      expect(device.output()).not.toContain('HTTP error code');
    });

    it('is refused with a wrong TargetToken and changes nothing about the target', async () => {
      await suite.flow.registerTarget('dev-wrong-token');

      const device = suite.flow.startDevice('dev-wrong-token', { kind: 'target-token', token: 'not-the-token-of-this-device' }, { identify: { board: HARDWARE.board } });
      await device.waitForOutput('Channel operation returned HTTP error code 401');

      expect(device.output()).not.toContain('No pending action on server');
      expect(await suite.flow.api.request('GET', '/rest/v1/targets/dev-wrong-token/attributes')).toEqual({ status: 200, body: {} });
    });

    it('is refused with a wrong GatewayToken', async () => {
      await suite.flow.registerTarget('dev-wrong-gateway-token');

      const device = suite.flow.startDevice('dev-wrong-gateway-token', { kind: 'gateway-token', token: 'not-the-gateway-token-of-this-tenant' });
      await device.waitForOutput('Channel operation returned HTTP error code 401');

      expect(device.output()).not.toContain('No pending action on server');
    });
  });

  describe('updates', () => {
    it('installs an assigned update with a TargetToken, and after a restart with -c 2 the action is finished', async () => {
      const { flow } = suite;
      const token = await flow.registerTarget('dev-success');
      const update = await flow.assignUpdate({ controllerId: 'dev-success', installPath: `${suite.rootfs('success')}/firmware.bin` });

      const device = flow.startDevice('dev-success', { kind: 'target-token', token });
      await device.waitForOutput('Update successful, executing post-update actions');
      expect(flow.installed(update)).toEqual(update.payload);
      // Installed but not confirmed: suricatta reports "proceeding" until it runs again after the reboot.
      await flow.actionReaches(update, 'running', device);
      await device.stop();

      const rebooted = flow.startDevice('dev-success', { kind: 'target-token', token }, { confirm: 2 });
      const action = await flow.actionReaches(update, 'finished', rebooted);

      expect(action).toMatchObject({ type: 'update', status: 'finished', detailStatus: 'finished' });
      expect(await flow.installedSet('dev-success')).toBe(update.distributionSetId);
      // The closed action is no longer offered: the device finds nothing more to do.
      await rebooted.waitForOutput('No pending action on server');
      const history = await flow.api.actionStatusHistory('dev-success', update.actionId);
      expect(history[0]).toMatchObject({ type: 'finished', messages: ['Update Installed.'] });
      expect(history.map((entry) => entry.messages).flat()).toContain('All Chunks Installed.');
      const events = await flow.actionEvents(update);
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(['action-created', 'action-retrieved']);
      expect(events).toContainEqual(expect.objectContaining({ type: 'action-feedback-received', execution: 'proceeding', status: 'RUNNING', details: ['All Chunks Installed.'] }));
      expect(events[events.length - 1]).toMatchObject({ type: 'action-feedback-received', execution: 'closed', finished: 'success', status: 'FINISHED', details: ['Update Installed.'] });
    });

    it('reports failure after the restart with -c 3 (the new image did not come up): the action ends in error', async () => {
      const { flow } = suite;
      const token = await flow.registerTarget('dev-bad-boot');
      const update = await flow.assignUpdate({ controllerId: 'dev-bad-boot', installPath: `${suite.rootfs('bad-boot')}/firmware.bin` });

      const device = flow.startDevice('dev-bad-boot', { kind: 'target-token', token });
      await device.waitForOutput('Update successful, executing post-update actions');
      await flow.actionReaches(update, 'running', device);
      await device.stop();
      const rebooted = flow.startDevice('dev-bad-boot', { kind: 'target-token', token }, { confirm: 3 });
      const action = await flow.actionReaches(update, 'error', rebooted);

      expect(action).toMatchObject({ type: 'update', status: 'finished', detailStatus: 'error' });
      const events = await flow.actionEvents(update);
      expect(events[events.length - 1]).toMatchObject({ type: 'action-feedback-received', execution: 'closed', finished: 'failure', status: 'ERROR', details: ['Update Failed.'] });
    });

    it('reports a failed install (closed + failure) and the action ends in error', async () => {
      const { flow } = suite;
      const token = await flow.registerTarget('dev-failure');
      // The rawfile handler cannot create a file in a missing directory: the install fails on the device.
      const update = await flow.assignUpdate({ controllerId: 'dev-failure', installPath: suite.missingPath('failure') });

      const device = flow.startDevice('dev-failure', { kind: 'target-token', token });
      const action = await flow.actionReaches(update, 'error', device);

      expect(action).toMatchObject({ type: 'update', status: 'finished', detailStatus: 'error' });
      expect(flow.installed(update)).toBeUndefined();
      const events = await flow.actionEvents(update);
      const last = events[events.length - 1];
      expect(last).toMatchObject({ type: 'action-feedback-received', execution: 'closed', finished: 'failure', status: 'ERROR' });
      // The installer's own error reaches the server in the feedback history; which message carries it (the
      // final "closed" one or the log suricatta streams while installing) depends on suricatta's threads.
      expect(events.flatMap((e) => e.details ?? []).join('\n')).toContain(`I cannot open ${update.installPath}`);
    });

    it('acknowledges a cancel issued through the Management API while it downloads, and installs nothing', async () => {
      const { flow } = suite;
      const token = await flow.registerTarget('dev-cancel');
      const update = await flow.assignUpdate({ controllerId: 'dev-cancel', installPath: `${suite.rootfs('cancel')}/firmware.bin`, payloadBytes: 256 * 1024 });
      // 8 KiB/s: the 256 KiB image would take half a minute, as on a slow device link.
      const link = new SlowLinkProxy(8 * 1024);
      const proxyUrl = await link.start();
      try {
        const device = flow.startDevice('dev-cancel', { kind: 'target-token', token }, { proxyUrl });
        await flow.actionReaches(update, 'running', device);
        await flow.api.cancelAction('dev-cancel', update.actionId);
        const action = await flow.actionReaches(update, 'canceled', device);

        expect(action).toMatchObject({ type: 'cancel', status: 'finished', detailStatus: 'canceled' });
        // suricatta noticed the cancel in its in-download poll and stopped the download part-way.
        expect(device.output()).toContain('Acknowledging cancelled update');
        expect(link.artifactBytesForwarded).toBeGreaterThan(0);
        expect(link.artifactBytesForwarded).toBeLessThan(update.imageBytes);
        expect(flow.installed(update)).toBeUndefined();
        const events = await flow.actionEvents(update);
        expect(events.map((e) => e.type)).toContain('action-cancel-requested');
        expect(events[events.length - 1]).toMatchObject({ type: 'action-canceled' });
      } finally {
        await flow.stopDevices();
        await link.stop();
      }
    });

    it('acknowledges a cancel that was issued before it ever saw the update', async () => {
      const { flow } = suite;
      const token = await flow.registerTarget('dev-cancel-early');
      const update = await flow.assignUpdate({ controllerId: 'dev-cancel-early', installPath: `${suite.rootfs('cancel-early')}/firmware.bin` });
      await flow.api.cancelAction('dev-cancel-early', update.actionId);
      expect(await flow.api.action('dev-cancel-early', update.actionId)).toMatchObject({ type: 'cancel', status: 'pending', detailStatus: 'canceling' });

      const device = flow.startDevice('dev-cancel-early', { kind: 'target-token', token });
      const action = await flow.actionReaches(update, 'canceled', device);

      expect(action).toMatchObject({ type: 'cancel', status: 'finished', detailStatus: 'canceled' });
      expect(device.output()).toContain(`cancelAction/${update.actionId}/feedback`);
      expect(device.output()).not.toContain('deploymentBase');
      expect(flow.installed(update)).toBeUndefined();
      expect((await flow.actionEvents(update)).map((e) => e.type)).toEqual(['action-created', 'action-cancel-requested', 'action-canceled']);
    });

    it('reports failure for a distribution set without a .swu artifact', async () => {
      const { flow } = suite;
      const token = await flow.registerTarget('dev-no-image');
      const update = await flow.assignWithoutArtifacts('dev-no-image');

      const device = flow.startDevice('dev-no-image', { kind: 'target-token', token });
      const action = await flow.actionReaches(update, 'error', device);

      expect(action).toMatchObject({ status: 'finished', detailStatus: 'error' });
      const events = await flow.actionEvents(update);
      expect(events[events.length - 1]).toMatchObject({ execution: 'closed', finished: 'failure', status: 'ERROR', details: ['No suitable .swu image found'] });
    });

    it('runs the whole update with the tenant GatewayToken instead of the target token', async () => {
      const { flow } = suite;
      await flow.registerTarget('dev-gateway-token');
      const update = await flow.assignUpdate({ controllerId: 'dev-gateway-token', installPath: `${suite.rootfs('gateway-token')}/firmware.bin` });
      const credential = { kind: 'gateway-token', token: GATEWAY_TOKEN } as const;

      const device = flow.startDevice('dev-gateway-token', credential);
      await device.waitForOutput('Update successful, executing post-update actions');
      expect(flow.installed(update)).toEqual(update.payload);
      await device.stop();
      const rebooted = flow.startDevice('dev-gateway-token', credential, { confirm: 2 });
      const action = await flow.actionReaches(update, 'finished', rebooted);

      expect(action).toMatchObject({ status: 'finished', detailStatus: 'finished' });
      const events = await flow.actionEvents(update);
      expect(events[events.length - 1]).toMatchObject({ execution: 'closed', finished: 'success', status: 'FINISHED', details: ['Update Installed.'] });
    });
  });

  describe('rollouts', () => {
    it('rolls a set out in two groups: the second device is offered the update only after the first confirmed it', async () => {
      const { flow } = suite;
      const tokens = { 'fleet-a': await flow.registerTarget('fleet-a'), 'fleet-b': await flow.registerTarget('fleet-b') };
      // One image for the fleet; a relative path lands in each device's own directory.
      const release = await flow.prepareRelease('fleet', 'rootfs/firmware.bin');
      for (const id of Object.keys(tokens)) mkdirSync(join(flow.deviceDir(id), 'rootfs'), { recursive: true });
      const created = await flow.api.request('POST', '/rest/v1/rollouts', {
        name: 'fleet-rollout', distributionSetId: release.distributionSetId, targetFilterQuery: 'controllerId==fleet-*', amountGroups: 2,
        successCondition: { condition: 'THRESHOLD', expression: '100' }, successAction: { action: 'NEXTGROUP' },
      });
      expect(created).toMatchObject({ status: 201, body: { totalTargets: 2, totalGroups: 2 } });
      const rolloutId = (created.body as { id: string }).id;
      await eventually(async () => ((await flow.api.request('GET', `/rest/v1/rollouts/${rolloutId}`)).body as { status: string }).status === 'ready', 30_000, 250);
      expect((await flow.api.request('POST', `/rest/v1/rollouts/${rolloutId}/start`)).status).toBe(200);

      const devices = { 'fleet-a': flow.startDevice('fleet-a', { kind: 'target-token', token: tokens['fleet-a'] }), 'fleet-b': flow.startDevice('fleet-b', { kind: 'target-token', token: tokens['fleet-b'] }) };
      const first = await eventually(async () => (Object.keys(devices) as Array<keyof typeof devices>).find((id) => flow.fileOnDevice(id, 'rootfs/firmware.bin') !== undefined), 90_000, 250);
      const second = first === 'fleet-a' ? 'fleet-b' : 'fleet-a';
      // The file appears as soon as swupdate starts writing it: compare once it reports the install done.
      await devices[first].waitForOutput('Update successful, executing post-update actions');
      expect(flow.fileOnDevice(first, 'rootfs/firmware.bin')).toEqual(release.payload);
      // Installed but unconfirmed: the first group is not done, so the second device keeps finding nothing.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(flow.fileOnDevice(second, 'rootfs/firmware.bin')).toBeUndefined();
      expect(devices[second].output()).toContain('No pending action on server');
      expect(devices[second].output()).not.toContain('deploymentBase');

      await devices[first].stop();
      const firstAction = await flow.onlyActionOf(first);
      await flow.actionReaches(firstAction, 'finished', flow.startDevice(first, { kind: 'target-token', token: tokens[first] }, { confirm: 2 }));

      await devices[second].waitForOutput('Update successful, executing post-update actions', 90_000);
      expect(flow.fileOnDevice(second, 'rootfs/firmware.bin')).toEqual(release.payload);
      await devices[second].stop();
      const secondAction = await flow.onlyActionOf(second);
      await flow.actionReaches(secondAction, 'finished', flow.startDevice(second, { kind: 'target-token', token: tokens[second] }, { confirm: 2 }));

      const rollout = await eventually(async () => {
        const answer = (await flow.api.request('GET', `/rest/v1/rollouts/${rolloutId}`)).body as { status: string };
        return answer.status === 'finished' ? answer : undefined;
      }, 60_000, 250);
      expect(rollout).toMatchObject({ status: 'finished', totalTargets: 2 });
      const groups = (await flow.api.request('GET', `/rest/v1/rollouts/${rolloutId}/deploygroups`)).body as { content: Array<{ status: string; totalTargets: number }> };
      expect(groups.content.map((g) => [g.status, g.totalTargets])).toEqual([['finished', 1], ['finished', 1]]);
      expect([firstAction, secondAction].map((a) => a.resource.rollout)).toEqual([rolloutId, rolloutId]);
    });
  });
});
