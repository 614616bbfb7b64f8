import { given } from '@rollgate/shared-domain';
import { applyAttributes, targetDecider, type TargetCommand, type TargetEvent } from './target.decider';

const AT = 1_700_000_000_000;
const create: TargetCommand = { type: 'create-target', controllerId: 'dev-1', securityToken: 'abc123', by: 'admin', at: AT };
const created: TargetEvent = { type: 'target-created', data: { controllerId: 'dev-1', name: 'dev-1', description: '', address: null, securityToken: 'abc123', by: 'admin', at: AT } };
const update: TargetCommand = { type: 'update-target', name: 'Device 1', securityToken: 'xyz789', by: 'ops', at: AT + 1 };
const attributes: TargetCommand = { type: 'update-target-attributes', mode: 'merge', data: { hw: 'rev2' }, at: AT + 1 };
const remove: TargetCommand = { type: 'delete-target', by: 'ops', at: AT + 1 };
const deleted: TargetEvent = { type: 'target-deleted', data: { by: 'ops', at: AT + 1 } };

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

  it('merges, replaces and removes attributes as hawkBit does', () => {
    expect(applyAttributes({ a: '1', b: '2' }, 'merge', { b: '3', c: '4' })).toEqual({ a: '1', b: '3', c: '4' });
    expect(applyAttributes({ a: '1', b: '2' }, 'replace', { c: '4' })).toEqual({ c: '4' });
    expect(applyAttributes({ a: '1', b: '2' }, 'remove', { a: '' })).toEqual({ b: '2' });
  });
});
