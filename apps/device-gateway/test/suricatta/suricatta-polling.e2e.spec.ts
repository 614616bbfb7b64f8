import { eventually } from '@rollgate/testing';
import { HARDWARE } from './device-update.flow';
import { useSuricattaSuite } from './suricatta-suite';

/*
 * suricatta (Debian's swupdate 2022.12, a real hawkBit DDI client) polling device-gateway with nothing
 * assigned: device authentication and the configData exchange, judged by the client and the Management API.
 */
jest.setTimeout(300_000);

describe('suricatta polling device-gateway', () => {
  const suite = useSuricattaSuite();

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
