import { given } from '@rollgate/shared-domain';
import { softwareModuleDecider, type SoftwareModuleCommand, type SoftwareModuleEvent } from './software-module.decider';

const AT = 1_700_000_000_000;
const create: SoftwareModuleCommand = { type: 'create-software-module', moduleId: 'm1', name: 'image', version: '1.0', moduleType: 'os', by: 'admin', at: AT };
const created: SoftwareModuleEvent = { type: 'software-module-created', data: { moduleId: 'm1', name: 'image', version: '1.0', type: 'os', description: '', vendor: '', by: 'admin', at: AT } };
const update: SoftwareModuleCommand = { type: 'update-software-module', description: 'base image', by: 'ops', at: AT + 1 };
const remove: SoftwareModuleCommand = { type: 'delete-software-module', by: 'ops', at: AT + 1 };
const deleted: SoftwareModuleEvent = { type: 'software-module-deleted', data: { by: 'ops', at: AT + 1 } };

describe('software module decider', () => {
  describe('given no module', () => {
    it('creates one', () => {
      given(softwareModuleDecider).when(create).then([created]);
    });
    it('refuses an unknown type', () => {
      given(softwareModuleDecider).when({ ...create, moduleType: 'firmware' }).thenThrows('software_module_type_invalid');
    });
    it.each([update, remove])('refuses $type', (command) => {
      given(softwareModuleDecider).when(command).thenThrows('software_module_not_found');
    });
  });

  describe('given a module', () => {
    it('refuses a duplicate', () => {
      given(softwareModuleDecider, [created]).when(create).thenThrows('software_module_exists');
    });
    it('updates description and vendor only', () => {
      given(softwareModuleDecider, [created]).when(update).then([{ type: 'software-module-updated', data: { description: 'base image', by: 'ops', at: AT + 1 } }]);
    });
    it('deletes it', () => {
      given(softwareModuleDecider, [created]).when(remove).then([deleted]);
    });
  });

  describe('given a deleted module', () => {
    it('creates it again', () => {
      given(softwareModuleDecider, [created, deleted]).when(create).then([created]);
    });
    it.each([update, remove])('refuses $type', (command) => {
      given(softwareModuleDecider, [created, deleted]).when(command).thenThrows('software_module_not_found');
    });
  });

  describe('artifacts', () => {
    const artifact = { artifactId: 'a1', fileName: 'image.swu', sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 42, by: 'ops', at: AT + 2 };
    const add: SoftwareModuleCommand = { type: 'add-artifact', ...artifact };
    const added: SoftwareModuleEvent = { type: 'software-module-artifact-added', data: artifact };
    const removeArtifact: SoftwareModuleCommand = { type: 'remove-artifact', artifactId: 'a1', by: 'ops', at: AT + 3 };
    const removed: SoftwareModuleEvent = { type: 'software-module-artifact-removed', data: { artifactId: 'a1', by: 'ops', at: AT + 3 } };

    it('adds an artifact to a module, with its signature when it has one', () => {
      given(softwareModuleDecider, [created]).when(add).then([added]);
      const signature = { algorithm: 'ed25519' as const, keyId: 'k1', value: 'c2ln' };
      given(softwareModuleDecider, [created]).when({ ...add, signature }).then([{ type: 'software-module-artifact-added', data: { ...artifact, signature } }]);
    });
    it('refuses a second artifact of the same file name or id', () => {
      given(softwareModuleDecider, [created, added]).when({ ...add, artifactId: 'a2' }).thenThrows('artifact_exists');
      given(softwareModuleDecider, [created, added]).when({ ...add, fileName: 'other.swu' }).thenThrows('artifact_exists');
    });
    it('removes an artifact, after which its name is free again', () => {
      given(softwareModuleDecider, [created, added]).when(removeArtifact).then([removed]);
      given(softwareModuleDecider, [created, added, removed]).when(add).then([added]);
    });
    it('refuses to remove an artifact the module does not have', () => {
      given(softwareModuleDecider, [created]).when(removeArtifact).thenThrows('artifact_not_found');
      given(softwareModuleDecider, [created, added, removed]).when(removeArtifact).thenThrows('artifact_not_found');
    });
    it.each([add, removeArtifact])('refuses $type on a missing or deleted module', (command) => {
      given(softwareModuleDecider).when(command).thenThrows('software_module_not_found');
      given(softwareModuleDecider, [created, deleted]).when(command).thenThrows('software_module_not_found');
    });
  });
});
