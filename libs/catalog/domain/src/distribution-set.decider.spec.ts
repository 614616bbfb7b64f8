import { given } from '@rollgate/shared-domain';
import { distributionSetDecider, type DistributionSetCommand, type DistributionSetEvent, type ModuleRef } from './distribution-set.decider';

const AT = 1_700_000_000_000;
const os: ModuleRef = { id: 'm-os', type: 'os' };
const app: ModuleRef = { id: 'm-app', type: 'application' };
const create = (setType: string, modules: ModuleRef[]): DistributionSetCommand =>
  ({ type: 'create-distribution-set', distributionSetId: 'ds1', name: 'fw', version: '2.0', setType, modules, by: 'admin', at: AT });
const created: DistributionSetEvent = {
  type: 'distribution-set-created',
  data: { distributionSetId: 'ds1', name: 'fw', version: '2.0', type: 'os_app', description: '', requiredMigrationStep: false, modules: [os, app], by: 'admin', at: AT },
};
const update: DistributionSetCommand = { type: 'update-distribution-set', requiredMigrationStep: true, by: 'ops', at: AT + 1 };
const remove: DistributionSetCommand = { type: 'delete-distribution-set', by: 'ops', at: AT + 1 };
const deleted: DistributionSetEvent = { type: 'distribution-set-deleted', data: { by: 'ops', at: AT + 1 } };

describe('distribution set decider', () => {
  describe('given no set', () => {
    it('creates one whose modules fit its type', () => {
      given(distributionSetDecider).when(create('os_app', [os, app])).then([created]);
      given(distributionSetDecider).when(create('os', [os])).thenState((state) => expect(state).toMatchObject({ status: 'active', type: 'os' }));
      given(distributionSetDecider).when(create('app', [app])).thenState((state) => expect(state).toMatchObject({ status: 'active', type: 'app' }));
    });
    it('refuses modules that do not fit, duplicates and unknown types', () => {
      const error = given(distributionSetDecider).when(create('os', [os, app])).thenThrows('distribution_set_modules_invalid');
      expect(error.message).toContain('exactly 0 application');
      given(distributionSetDecider).when(create('app', [])).thenThrows('distribution_set_modules_invalid');
      given(distributionSetDecider).when(create('os_app', [app])).thenThrows('distribution_set_modules_invalid');
      given(distributionSetDecider).when(create('os_app', [os, os])).thenThrows('distribution_set_modules_invalid');
      given(distributionSetDecider).when(create('bundle', [os])).thenThrows('distribution_set_type_invalid');
    });
    it.each([update, remove])('refuses $type', (command) => {
      given(distributionSetDecider).when(command).thenThrows('distribution_set_not_found');
    });
  });

  describe('given a set', () => {
    it('refuses a duplicate', () => {
      given(distributionSetDecider, [created]).when(create('os_app', [os, app])).thenThrows('distribution_set_exists');
    });
    it('updates its description and migration flag', () => {
      given(distributionSetDecider, [created]).when(update).then([{ type: 'distribution-set-updated', data: { requiredMigrationStep: true, by: 'ops', at: AT + 1 } }]);
    });
    it('deletes it', () => {
      given(distributionSetDecider, [created]).when(remove).then([deleted]);
    });
    it('turns the signed-artifacts requirement on and off', () => {
      given(distributionSetDecider, [created]).when({ type: 'update-distribution-set', requireSignedArtifacts: true, by: 'ops', at: AT + 1 })
        .then([{ type: 'distribution-set-updated', data: { requireSignedArtifacts: true, by: 'ops', at: AT + 1 } }]);
      given(distributionSetDecider, [created]).when({ type: 'update-distribution-set', requireSignedArtifacts: false, by: 'ops', at: AT + 1 })
        .then([{ type: 'distribution-set-updated', data: { requireSignedArtifacts: false, by: 'ops', at: AT + 1 } }]);
    });
  });

  describe('requiring signed artifacts at creation', () => {
    it('records the requirement only when asked for', () => {
      given(distributionSetDecider).when({ ...create('os_app', [os, app]), requireSignedArtifacts: true } as DistributionSetCommand)
        .then([{ ...created, data: { ...created.data, requireSignedArtifacts: true } } as DistributionSetEvent]);
      given(distributionSetDecider).when({ ...create('os_app', [os, app]), requireSignedArtifacts: false } as DistributionSetCommand).then([created]);
    });
  });

  describe('given a deleted set', () => {
    it('creates it again', () => {
      given(distributionSetDecider, [created, deleted]).when(create('os_app', [os, app])).then([created]);
    });
    it.each([update, remove])('refuses $type', (command) => {
      given(distributionSetDecider, [created, deleted]).when(command).thenThrows('distribution_set_not_found');
    });
  });
});
