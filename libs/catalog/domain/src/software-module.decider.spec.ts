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
});
