import { checkCreateRules, conditionsOf } from './rollout-body.schema';

const base = { name: 'r', distributionSetId: 'ds', targetFilterQuery: 'name==*' };

describe('rollout body rules', () => {
  it('gives a group its own conditions, else the rollout’s, else hawkBit’s defaults', () => {
    const rollout = { successCondition: { condition: 'THRESHOLD' as const, expression: '80%' }, errorAction: { action: 'STOP' as const } };
    expect(conditionsOf({ errorCondition: { condition: 'THRESHOLD', expression: '5' } }, rollout, 'soft')).toEqual({
      success: { threshold: 80, mode: 'finished' }, successAction: 'NEXTGROUP', error: { kind: 'percentage', threshold: 5 }, errorAction: 'STOP', actionType: 'soft',
    });
    expect(conditionsOf({}, {}, 'forced')).toMatchObject({ success: { threshold: 100 }, error: { threshold: 100 }, successAction: 'NEXTGROUP', errorAction: 'PAUSE' });
  });

  it('names every cross-field problem by its pointer', () => {
    expect(() => checkCreateRules({ ...base, amountGroups: 2, groups: [{ name: 'a' }] })).toThrow('/groups give either amountGroups or groups');
    expect(() => checkCreateRules({ ...base, type: 'timeforced' })).toThrow('/forcetime is required');
    expect(() => checkCreateRules({ ...base, groups: [{ name: 'a', errorCondition: { condition: 'THRESHOLD', expression: '101' } }] })).toThrow('/groups/0/errorCondition/expression');
    expect(() => checkCreateRules({ ...base, type: 'timeforced', forcetime: 1, amountGroups: 3 })).not.toThrow();
  });
});
