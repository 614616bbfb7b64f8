import { actionIdOfLink, ddiTime, feedbackBody, parsePollingSleep, versionOfDeployment } from './ddi-types';

describe('DDI wire helpers', () => {
  it('reads the polling sleep, keeping the previous one when it is absent or malformed', () => {
    expect(parsePollingSleep('00:05:00')).toBe(300_000);
    expect(parsePollingSleep('01:00:30')).toBe(3_630_000);
    expect(parsePollingSleep('00:00:01')).toBe(1_000);
    expect(parsePollingSleep('5 minutes')).toBeUndefined();
    expect(parsePollingSleep('00:61:00')).toBeUndefined();
    expect(parsePollingSleep(undefined)).toBeUndefined();
  });

  it('finds the action id in every DDI link form', () => {
    expect(actionIdOfLink('http://gw/acme/controller/v1/dev-1/deploymentBase/5?c=-2127183556')).toBe('5');
    expect(actionIdOfLink('http://gw/acme/controller/v1/dev-1/cancelAction/9')).toBe('9');
    expect(actionIdOfLink('/acme/controller/v1/dev-1/confirmationBase/12?c=1')).toBe('12');
    expect(actionIdOfLink('http://gw/acme/controller/v1/dev-1/confirmationBase')).toBeUndefined();
    expect(actionIdOfLink('http://gw/acme/controller/v1/dev-1/configData')).toBeUndefined();
  });

  it('writes feedback as hawkBit clients do: basic ISO time, execution, result, details', () => {
    expect(ddiTime(Date.UTC(2026, 10, 22, 2, 52, 57))).toBe('20261122T025257');
    expect(feedbackBody('5', { execution: 'proceeding', finished: 'none', progress: { cnt: 2, of: 5 }, details: ['Installing'] }, Date.UTC(2026, 10, 22, 2, 52, 57))).toEqual({
      id: '5',
      time: '20261122T025257',
      status: { execution: 'proceeding', result: { finished: 'none', progress: { cnt: 2, of: 5 } }, details: ['Installing'] },
    });
    expect(feedbackBody('5', { execution: 'closed', finished: 'failure', code: 2, details: ['x'] }, 0).status).toEqual({ execution: 'closed', result: { finished: 'failure' }, code: 2, details: ['x'] });
  });

  it('names the installed version after the distribution set when a chunk carries it', () => {
    expect(versionOfDeployment([
      { part: 'os', name: 'firmware', version: '2.0.0', metadata: [{ key: 'signature.image.swu', value: 'ed25519:k:sig' }] },
      { part: 'application', name: 'app', version: '1.1', metadata: [{ key: 'rollgate.distributionSet', value: 'os:2.0.0' }] },
    ])).toBe('os:2.0.0');
  });

  it('names the installed version after the chunks', () => {
    expect(versionOfDeployment([{ part: 'os', name: 'firmware', version: '2.0.0' }])).toBe('2.0.0');
    expect(versionOfDeployment([{ part: 'os', name: 'firmware', version: '2.0.0' }, { part: 'application', name: 'app', version: '1.1' }])).toBe('firmware:2.0.0+app:1.1');
  });
});
