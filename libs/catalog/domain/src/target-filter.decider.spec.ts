import { given } from '@rollgate/shared-domain';
import { targetFilterDecider, type TargetFilterCommand, type TargetFilterEvent } from './target-filter.decider';

const AT = 1_700_000_000_000;
const create: TargetFilterCommand = { type: 'create-target-filter', filterId: 'f1', name: 'eu', query: 'attribute.region==eu', by: 'admin', at: AT };
const created: TargetFilterEvent = { type: 'target-filter-created', data: { filterId: 'f1', name: 'eu', query: 'attribute.region==eu', by: 'admin', at: AT } };
const update: TargetFilterCommand = { type: 'update-target-filter', query: 'updateStatus==ERROR', by: 'ops', at: AT + 1 };
const remove: TargetFilterCommand = { type: 'delete-target-filter', by: 'ops', at: AT + 1 };
const deleted: TargetFilterEvent = { type: 'target-filter-deleted', data: { by: 'ops', at: AT + 1 } };

describe('target filter decider', () => {
  describe('given no filter', () => {
    it('creates one', () => {
      given(targetFilterDecider).when(create).then([created]);
    });
    it('refuses a query that does not compile, naming the position, and a blank name', () => {
      const error = given(targetFilterDecider).when({ ...create, query: 'name==a;;' }).thenThrows('filter_syntax_error');
      expect(error.message).toMatch(/position \d+/);
      given(targetFilterDecider).when({ ...create, query: 'colour==red' }).thenThrows('filter_unknown_field');
      given(targetFilterDecider).when({ ...create, name: ' ' }).thenThrows('validation_failed');
    });
    it.each([update, remove])('refuses $type', (command) => {
      given(targetFilterDecider).when(command).thenThrows('target_filter_not_found');
    });
  });

  describe('given a filter', () => {
    it('refuses to create it again', () => {
      given(targetFilterDecider, [created]).when(create).thenThrows('target_filter_exists');
    });
    it('updates its query, checking it', () => {
      given(targetFilterDecider, [created]).when(update).thenState((state) => expect(state).toMatchObject({ name: 'eu', query: 'updateStatus==ERROR' }));
      given(targetFilterDecider, [created]).when({ ...update, query: 'updateStatus==MAYBE' }).thenThrows('filter_invalid_value');
    });
    it('deletes it', () => {
      given(targetFilterDecider, [created]).when(remove).then([deleted]);
    });
  });

  describe('given a deleted filter', () => {
    it('refuses every command', () => {
      given(targetFilterDecider, [created, deleted]).when(create).thenThrows('target_filter_exists');
      given(targetFilterDecider, [created, deleted]).when(update).thenThrows('target_filter_not_found');
      given(targetFilterDecider, [created, deleted]).when(remove).thenThrows('target_filter_not_found');
    });
  });
});
