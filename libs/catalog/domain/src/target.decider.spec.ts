import { given } from '@rollgate/shared-domain';
import { applyAttributes, targetDecider, type TargetCommand, type TargetEvent } from './target.decider';

const AT = 1_700_000_000_000;
const create: TargetCommand = { type: 'create-target', controllerId: 'dev-1', securityToken: 'abc123', by: 'admin', at: AT };
const created: TargetEvent = { type: 'target-created', data: { controllerId: 'dev-1', name: 'dev-1', description: '', address: null, securityToken: 'abc123', by: 'admin', at: AT } };
const update: TargetCommand = { type: 'update-target', name: 'Device 1', securityToken: 'xyz789', by: 'ops', at: AT + 1 };
const attributes: TargetCommand = { type: 'update-target-attributes', mode: 'merge', data: { hw: 'rev2' }, at: AT + 1 };
const remove: TargetCommand = { type: 'delete-target', by: 'ops', at: AT + 1 };
const deleted: TargetEvent = { type: 'target-deleted', data: { by: 'ops', at: AT + 1 } };
const activate: TargetCommand = { type: 'activate-auto-confirm', initiator: 'ops-bot', remark: 'night shift', by: 'ops', at: AT + 2 };
const activated: TargetEvent = { type: 'target-auto-confirm-activated', data: { initiator: 'ops-bot', remark: 'night shift', by: 'ops', at: AT + 2 } };
const deactivate: TargetCommand = { type: 'deactivate-auto-confirm', by: 'ops', at: AT + 3 };
const deactivated: TargetEvent = { type: 'target-auto-confirm-deactivated', data: { by: 'ops', at: AT + 3 } };

describe('target decider', () => {
  describe('given no target', () => {
    it('creates one, named after its controller id by default', () => {
      given(targetDecider).when(create).then([created]);
    });
    it('refuses a bad controller id or token, naming the field', () => {
      expect(given(targetDecider).when({ ...create, controllerId: 'a b' }).thenThrows('validation_failed')).toMatchObject({ issues: [{ path: '/controllerId' }] });
      expect(given(targetDecider).when({ ...create, securityToken: 'no spaces' }).thenThrows('validation_failed')).toMatchObject({ issues: [{ path: '/securityToken' }] });
    });
    it.each([update, attributes, remove])('refuses $type', (command) => {
      given(targetDecider).when(command).thenThrows('target_not_found');
    });
  });

  describe('given a registered target', () => {
    it('refuses to create it again', () => {
      given(targetDecider, [created]).when(create).thenThrows('target_exists');
    });
    it('updates only the fields given', () => {
      given(targetDecider, [created]).when(update).then([{ type: 'target-updated', data: { name: 'Device 1', securityToken: 'xyz789', by: 'ops', at: AT + 1 } }]);
      given(targetDecider, [created]).when(update).thenState((state) => expect(state).toMatchObject({ name: 'Device 1', description: '', securityToken: 'xyz789' }));
      given(targetDecider, [created]).when({ ...update, securityToken: '' }).thenThrows('validation_failed');
    });
    it('updates attributes', () => {
      given(targetDecider, [created]).when(attributes).thenState((state) => expect(state).toMatchObject({ attributes: { hw: 'rev2' } }));
    });
    it('deletes it', () => {
      given(targetDecider, [created]).when(remove).then([deleted]);
    });
  });

  describe('given a deleted target', () => {
    it('creates it again under the same id', () => {
      given(targetDecider, [created, deleted]).when(create).then([created]);
    });
    it.each([update, attributes, remove])('refuses $type', (command) => {
      given(targetDecider, [created, deleted]).when(command).thenThrows('target_not_found');
    });
  });

  describe('auto-confirmation', () => {
    it.each([activate, deactivate])('refuses $type for a target that does not exist or was deleted', (command) => {
      given(targetDecider).when(command).thenThrows('target_not_found');
      given(targetDecider, [created, deleted]).when(command).thenThrows('target_not_found');
    });

    it('activates on a registered target, remembering initiator, remark, who and when', () => {
      given(targetDecider, [created]).when(activate).then([activated]);
      given(targetDecider, [created]).when(activate).thenState((state) =>
        expect(state).toMatchObject({ autoConfirm: { initiator: 'ops-bot', remark: 'night shift', activatedAt: AT + 2, activatedBy: 'ops' } }));
    });

    it('takes empty or missing initiator and remark as absent (hawkBit: null if empty)', () => {
      given(targetDecider, [created]).when({ type: 'activate-auto-confirm', initiator: '', by: 'device:dev-1', at: AT })
        .then([{ type: 'target-auto-confirm-activated', data: { initiator: null, remark: null, by: 'device:dev-1', at: AT } }]);
    });

    it('refuses an initiator or remark beyond hawkBit\'s sizes, naming the field', () => {
      expect(given(targetDecider, [created]).when({ ...activate, initiator: 'i'.repeat(65) }).thenThrows('validation_failed')).toMatchObject({ issues: [{ path: '/initiator' }] });
      expect(given(targetDecider, [created]).when({ ...activate, remark: 'r'.repeat(256) }).thenThrows('validation_failed')).toMatchObject({ issues: [{ path: '/remark' }] });
    });

    it('refuses a second activation while active (hawkBit answers 409)', () => {
      given(targetDecider, [created, activated]).when(activate).thenThrows('auto_confirm_already_active');
    });

    it('deactivates an active one; deactivating an inactive one changes nothing', () => {
      given(targetDecider, [created, activated]).when(deactivate).then([deactivated]);
      given(targetDecider, [created, activated]).when(deactivate).thenState((state) => expect(state).toMatchObject({ autoConfirm: null }));
      given(targetDecider, [created]).when(deactivate).then([]);
      given(targetDecider, [created, activated, deactivated]).when(deactivate).then([]);
    });

    it('activates again after a deactivation, and a re-created target starts without it', () => {
      given(targetDecider, [created, activated, deactivated]).when(activate).then([activated]);
      given(targetDecider, [created, activated, deleted, created]).when(activate).then([activated]);
    });
  });

  it('merges, replaces and removes attributes as hawkBit does', () => {
    expect(applyAttributes({ a: '1', b: '2' }, 'merge', { b: '3', c: '4' })).toEqual({ a: '1', b: '3', c: '4' });
    expect(applyAttributes({ a: '1', b: '2' }, 'replace', { c: '4' })).toEqual({ c: '4' });
    expect(applyAttributes({ a: '1', b: '2' }, 'remove', { a: '' })).toEqual({ b: '2' });
  });
});
