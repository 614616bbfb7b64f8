import { given } from '@rollgate/shared-domain';
import { targetDecider, type TargetEvent } from './target.decider';
import { targetTagDecider, type TargetTagCommand, type TargetTagEvent } from './target-tag.decider';

const AT = 1_700_000_000_000;
const create: TargetTagCommand = { type: 'create-target-tag', tagId: '7', name: 'eu', by: 'admin', at: AT };
const created: TargetTagEvent = { type: 'target-tag-created', data: { tagId: '7', name: 'eu', description: '', colour: '#2c3e50', by: 'admin', at: AT } };
const update: TargetTagCommand = { type: 'update-target-tag', description: 'Europe', colour: '#0a0', by: 'ops', at: AT + 1 };
const remove: TargetTagCommand = { type: 'delete-target-tag', by: 'ops', at: AT + 1 };
const deleted: TargetTagEvent = { type: 'target-tag-deleted', data: { name: 'eu', by: 'ops', at: AT + 1 } };

describe('target tag decider', () => {
  describe('given no tag', () => {
    it('creates one with a default colour, its name trimmed', () => {
      given(targetTagDecider).when({ ...create, name: ' eu ' }).then([created]);
    });
    it('refuses an empty name and a colour that is not #rgb or #rrggbb', () => {
      given(targetTagDecider).when({ ...create, name: '  ' }).thenThrows('validation_failed');
      given(targetTagDecider).when({ ...create, colour: 'red' }).thenThrows('validation_failed');
    });
    it.each([update, remove])('refuses $type', (command) => {
      given(targetTagDecider).when(command).thenThrows('target_tag_not_found');
    });
  });

  describe('given a tag', () => {
    it('refuses to create it again', () => {
      given(targetTagDecider, [created]).when(create).thenThrows('target_tag_exists');
    });
    it('updates description and colour, and keeps its name', () => {
      given(targetTagDecider, [created]).when(update).then([{ type: 'target-tag-updated', data: { description: 'Europe', colour: '#0a0', by: 'ops', at: AT + 1 } }]);
      given(targetTagDecider, [created]).when({ ...update, name: 'eu' }).then([{ type: 'target-tag-updated', data: { description: 'Europe', colour: '#0a0', by: 'ops', at: AT + 1 } }]);
      given(targetTagDecider, [created]).when({ ...update, name: 'europe' }).thenThrows('validation_failed');
    });
    it('deletes it, naming it in the event so targets can drop it', () => {
      given(targetTagDecider, [created]).when(remove).then([deleted]);
    });
  });

  describe('given a deleted tag', () => {
    it.each([create, update, remove])('refuses $type', (command) => {
      given(targetTagDecider, [created, deleted]).when(command).thenThrows(command.type === 'create-target-tag' ? 'target_tag_exists' : 'target_tag_not_found');
    });
  });
});

describe('tagging a target', () => {
  const registered: TargetEvent = { type: 'target-created', data: { controllerId: 'd1', name: 'd1', description: '', address: null, securityToken: 'tok', by: 'admin', at: AT } };
  const tagged: TargetEvent = { type: 'target-tagged', data: { tagId: '7', tagName: 'eu', by: 'ops', at: AT + 1 } };

  it('tags once; tagging again changes nothing', () => {
    given(targetDecider, [registered]).when({ type: 'tag-target', tagId: '7', tagName: 'eu', by: 'ops', at: AT + 1 }).then([tagged]);
    given(targetDecider, [registered, tagged]).when({ type: 'tag-target', tagId: '7', tagName: 'eu', by: 'ops', at: AT + 2 }).then([]);
  });
  it('untags a tag it has, naming it, and refuses one it has not', () => {
    given(targetDecider, [registered, tagged]).when({ type: 'untag-target', tagId: '7', by: 'ops', at: AT + 2 }).then([{ type: 'target-untagged', data: { tagId: '7', tagName: 'eu', by: 'ops', at: AT + 2 } }]);
    given(targetDecider, [registered]).when({ type: 'untag-target', tagId: '7', by: 'ops', at: AT + 2 }).thenThrows('target_tag_assignment_not_found');
  });
  it('refuses tags on a target that is not registered', () => {
    given(targetDecider).when({ type: 'tag-target', tagId: '7', tagName: 'eu', by: 'ops', at: AT }).thenThrows('target_not_found');
    given(targetDecider).when({ type: 'untag-target', tagId: '7', by: 'ops', at: AT }).thenThrows('target_not_found');
  });
});
