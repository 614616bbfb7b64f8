import { eventType } from '@rollgate/contracts';
import { GatewayMemory, offeredAction, type LogEvent } from '../memory/gateway-memory';
import { actionHistory, chunksOf, deploymentAnswer, etagOf, pollAnswer, pollingSleep, type ArtifactLinks } from './ddi-answers';
import { preDeployCheck } from './pre-deploy-checks';

const T = 'acme';
const AT = 1_764_000_000_000;
const BASE = 'http://gw/acme/controller/v1/d0';
const links: ArtifactLinks = { download: (moduleId, a) => ({ href: `http://dl/${moduleId}/${a.fileName}`, md5sumHref: `http://dl/${moduleId}/${a.fileName}.MD5SUM` }) };
let version = 0;
const ev = (streamId: string, aggregate: string, name: string, data: object): LogEvent => ({ tenant: T, streamId, streamVersion: ++version, type: eventType(aggregate, name), data });

function world(): GatewayMemory {
  version = 0;
  const memory = new GatewayMemory();
  memory.apply(ev('target-d0', 'target', 'target-created', { controllerId: 'd0', securityToken: 't', by: 'a', at: AT }));
  memory.apply(ev('artifact-x', 'artifact', 'artifact-stored', { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 100, fileName: 'fw.bin', architecture: 'arm64', signature: { algorithm: 'ed25519', keyId: 'k1', value: 'c2ln' } }));
  memory.apply(ev('softwaremodule-m1', 'softwaremodule', 'software-module-created', { moduleId: 'm1', name: 'fw', version: '2.0', type: 'os' }));
  memory.apply(ev('softwaremodule-m1', 'softwaremodule', 'software-module-artifact-added', { artifactId: 'a1', fileName: 'fw.bin', sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 100 }));
  memory.apply(ev('distributionset-ds1', 'distributionset', 'distribution-set-created', { distributionSetId: 'ds1', name: 'os', version: '2', modules: [{ id: 'm1', type: 'os' }] }));
  memory.apply(ev('action-3', 'action', 'action-created', { actionId: '3', targetId: 'd0', distributionSetId: 'ds1', actionType: 'soft', weight: 1000, maxAttempts: 1, status: 'SCHEDULED', at: AT }));
  return memory;
}

describe('DDI answers', () => {
  it('poll: deploymentBase of the offered action, configData while no attributes, a stable ETag', () => {
    const memory = world();
    const device = memory.device(T, 'd0')!;
    const answer = pollAnswer(BASE, device, '00:01:00');
    expect(answer.config.polling.sleep).toBe('00:01:00');
    expect(answer._links.deploymentBase?.href).toMatch(/^http:\/\/gw\/acme\/controller\/v1\/d0\/deploymentBase\/3\?c=-?\d+$/);
    expect(answer._links.configData?.href).toBe(`${BASE}/configData`);
    expect(etagOf(JSON.stringify(answer))).toBe(etagOf(JSON.stringify(pollAnswer(BASE, device, '00:01:00'))));
    expect(pollAnswer(BASE, device, '00:01:00', true)._links.deploymentBase).toBeDefined();
  });

  it('poll: a retried action (next attempt after a failure) is offered under a new `c`, so clients see it as new', () => {
    const memory = world();
    memory.apply(ev('action-3', 'action', 'action-created', { actionId: '3', targetId: 'd0', distributionSetId: 'ds1', actionType: 'soft', weight: 1000, maxAttempts: 2, status: 'SCHEDULED', at: AT }));
    const first = pollAnswer(BASE, memory.device(T, 'd0')!, '00:01:00')._links.deploymentBase?.href;
    memory.apply(ev('action-3', 'action', 'action-retrieved', { at: AT + 1 }));
    memory.apply(ev('action-3', 'action', 'action-attempt-failed', { from: 'RETRIEVED', status: 'ERROR', attempt: 1, nextAttempt: 2, finished: 'failure', execution: 'closed', details: ['download failed'], at: AT + 2 }));
    const retry = pollAnswer(BASE, memory.device(T, 'd0')!, '00:01:00')._links.deploymentBase?.href;
    expect(retry).toMatch(/\/deploymentBase\/3\?c=-?\d+$/);
    expect(retry).not.toBe(first);
  });

  it('poll: sleeps less while the offered action waits for its maintenance window, never below minPollingTime', () => {
    const memory = world();
    const settings = { pollingTime: '01:00:00', minPollingTime: '00:00:30', maintenanceWindowPollCount: 3 };
    const windowOpens = Date.UTC(2025, 10, 25, 3);
    expect(pollingSleep(offeredAction(memory.device(T, 'd0')!), settings, windowOpens - 60_000)).toBe('01:00:00');
    const window = { schedule: '0 0 3 * * ?', duration: '01:00:00', timezone: '+00:00' };
    memory.apply(ev('action-4', 'action', 'action-created', { actionId: '4', targetId: 'd0', distributionSetId: 'ds1', actionType: 'forced', weight: 2000, maxAttempts: 1, maintenanceWindow: window, status: 'SCHEDULED', at: AT }));
    const action = offeredAction(memory.device(T, 'd0')!);
    expect(action?.actionId).toBe(4);
    expect(pollingSleep(action, settings, windowOpens - 13 * 3_600_000)).toBe('01:00:00');
    expect(pollingSleep(action, settings, windowOpens - 3_600_000)).toBe('00:20:00');
    expect(pollingSleep(action, settings, windowOpens - 100_000)).toBe('00:00:34');
    expect(pollingSleep(action, settings, windowOpens - 30_000)).toBe('00:00:30');
    expect(pollingSleep(action, settings, windowOpens + 600_000)).toBe('01:00:00');
  });

  it('poll: a pending cancel replaces the update', () => {
    const memory = world();
    memory.apply(ev('action-3', 'action', 'action-cancel-requested', { from: 'SCHEDULED', by: 'ops', at: AT }));
    const answer = pollAnswer(BASE, memory.device(T, 'd0')!, '00:05:00');
    expect(answer._links).toEqual({ cancelAction: { href: `${BASE}/cancelAction/3` }, configData: { href: `${BASE}/configData` } });
  });

  it('deploymentBase: action type handling, chunks with hashes, links and the signature as metadata, newest history first', () => {
    const memory = world();
    const action = offeredAction(memory.device(T, 'd0')!)!;
    const answer = deploymentAnswer(memory.tenant(T)!, action, AT, links, 2);
    expect(answer).toEqual({
      id: '3',
      deployment: {
        download: 'attempt', update: 'attempt',
        chunks: [{
          part: 'os', version: '2.0', name: 'fw',
          artifacts: [{ filename: 'fw.bin', size: 100, hashes: { sha1: 'b'.repeat(40), md5: 'c'.repeat(32), sha256: 'a'.repeat(64) }, _links: { 'download-http': { href: 'http://dl/m1/fw.bin' }, 'md5sum-http': { href: 'http://dl/m1/fw.bin.MD5SUM' } } }],
          metadata: [{ key: 'rollgate.distributionSet', value: 'os:2' }, { key: 'signature.fw.bin', value: 'ed25519:k1:c2ln' }],
        }],
      },
      actionHistory: { status: 'SCHEDULED', messages: ['action-created: SCHEDULED'] },
    });
    expect(actionHistory(action, 0)).toBeUndefined();
    expect(chunksOf(memory.tenant(T)!, 'unknown', links)).toEqual([]);
  });

  it('pre-deploy checks: architecture must match, free disk must be at least twice the update', () => {
    const memory = world();
    const action = offeredAction(memory.device(T, 'd0')!)!;
    const device = memory.device(T, 'd0')!;
    expect(preDeployCheck(memory.tenant(T)!, device, action)).toBeUndefined();
    device.attributes = { architecture: 'arm64', free_disk_bytes: '200' };
    expect(preDeployCheck(memory.tenant(T)!, device, action)).toBeUndefined();
    device.attributes = { architecture: 'arm64', free_disk_bytes: '199' };
    expect(preDeployCheck(memory.tenant(T)!, device, action)).toMatchObject({ check: 'free_disk' });
    device.attributes = { architecture: 'x86_64' };
    expect(preDeployCheck(memory.tenant(T)!, device, action)).toMatchObject({ check: 'architecture' });
  });
});
