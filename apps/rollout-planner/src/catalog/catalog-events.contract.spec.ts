import Ajv from 'ajv';
import { CATALOG_EVENT_TYPES } from '@rollgate/contracts';
import { distributionSetDecider, softwareModuleDecider, targetDecider, targetFilterDecider, targetTagDecider, tenantConfigDecider } from '@rollgate/catalog-domain';
import { apiTokenDecider, userDecider } from '@rollgate/identity-domain';
import { fold, type Decider, type DomainEvent } from '@rollgate/shared-domain';

const AT = 1_700_000_000_000;
const by = { by: 'admin', at: AT };

/** Runs commands one after another through a decider and collects every event they produce. */
function run<C, S, E extends DomainEvent>(aggregate: string, decider: Decider<C, S, E>, commands: C[]): Array<{ aggregate: string; event: E }> {
  const events: E[] = [];
  for (const command of commands) events.push(...decider.decide(command, fold(decider, events)));
  return events.map((event) => ({ aggregate, event }));
}

const produced = [
  ...run('user', userDecider, [
    { type: 'create-user', tenant: 'acme', username: 'ops', passwordHash: 'h', permissions: ['READ_TARGET'], ...by },
    { type: 'change-password', passwordHash: 'h2', ...by },
    { type: 'change-permissions', permissions: [], ...by },
    { type: 'disable-user', ...by },
  ]),
  ...run('token', apiTokenDecider, [
    { type: 'issue-api-token', tenant: 'acme', tokenId: 't', name: 'ci', owner: 'ops', ownerPermissions: ['READ_TARGET'], secretHash: 'h', permissions: ['READ_TARGET'], expiresAt: null, at: AT },
    { type: 'revoke-api-token', ...by },
  ]),
  ...run('tenantconfig', tenantConfigDecider, [{ type: 'set-config-value', key: 'pollingTime', value: '00:01:00', ...by }, { type: 'delete-config-value', key: 'pollingTime', ...by }]),
  ...run('target', targetDecider, [
    { type: 'create-target', controllerId: 'd1', securityToken: 't', ...by },
    { type: 'update-target', name: 'n', address: null, ...by },
    { type: 'update-target-attributes', mode: 'merge', data: { a: 'b' }, at: AT },
    { type: 'tag-target', tagId: '7', tagName: 'eu', ...by },
    { type: 'untag-target', tagId: '7', ...by },
    { type: 'activate-auto-confirm', initiator: 'ops-bot', remark: null, ...by },
    { type: 'deactivate-auto-confirm', ...by },
    { type: 'delete-target', ...by },
  ]),
  ...run('targettag', targetTagDecider, [
    { type: 'create-target-tag', tagId: '7', name: 'eu', ...by },
    { type: 'update-target-tag', colour: '#fff', ...by },
    { type: 'delete-target-tag', ...by },
  ]),
  ...run('softwaremodule', softwareModuleDecider, [
    { type: 'create-software-module', moduleId: 'm', name: 'n', version: '1', moduleType: 'os', ...by },
    { type: 'update-software-module', vendor: 'v', ...by },
    { type: 'add-artifact', artifactId: 'a', fileName: 'f.bin', sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 3, signature: { algorithm: 'ed25519', keyId: 'k', value: 'c2ln' }, ...by },
    { type: 'remove-artifact', artifactId: 'a', ...by },
    { type: 'delete-software-module', ...by },
  ]),
  ...run('distributionset', distributionSetDecider, [
    { type: 'create-distribution-set', distributionSetId: 'd', name: 'n', version: '1', setType: 'os', modules: [{ id: 'm', type: 'os' }], requireSignedArtifacts: true, ...by },
    { type: 'update-distribution-set', description: 'x', requireSignedArtifacts: false, ...by },
    { type: 'delete-distribution-set', ...by },
  ]),
  ...run('targetfilter', targetFilterDecider, [
    { type: 'create-target-filter', filterId: 'f', name: 'n', query: 'name==x', ...by },
    { type: 'update-target-filter', name: 'm', ...by },
    { type: 'delete-target-filter', ...by },
  ]),
];

describe('catalog and identity events against their published contracts', () => {
  const ajv = new Ajv({ strict: false });

  it('has a contract for every event the deciders produce, and every contract is produced', () => {
    const producedTypes = new Set(produced.map(({ aggregate, event }) => `${aggregate}/${event.type}`));
    expect([...producedTypes].sort()).toEqual(CATALOG_EVENT_TYPES.map((c) => `${c.aggregate}/${c.event}`).sort());
  });

  it.each(produced.map(({ aggregate, event }) => [`${aggregate}/${event.type}`, aggregate, event] as const))('%s matches its schema', (_name, aggregate, event) => {
    const contract = CATALOG_EVENT_TYPES.find((c) => c.aggregate === aggregate && c.event === event.type);
    expect(contract?.type).toBe(`io.rollgate.${aggregate}.${event.type}.v1`);
    const validate = ajv.compile(contract!.schema);
    expect({ valid: validate(event.data), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });
});
