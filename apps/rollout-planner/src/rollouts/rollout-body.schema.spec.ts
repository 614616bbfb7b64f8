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

describe('Rollgate extensions of the body', () => {
  it('reads a COUNT error condition as a number of failed devices and passes the success mode through', () => {
    expect(conditionsOf({ errorCondition: { condition: 'COUNT', expression: ' 3 ' } }, {}, 'forced', 'verified')).toMatchObject({
      error: { kind: 'count', threshold: 3 }, success: { threshold: 100, mode: 'verified' },
    });
  });

  it('keeps each strategy’s block to its strategy and each setting to one place', () => {
    const problems = (body: Record<string, unknown>) => {
      try {
        checkCreateRules({ ...base, ...body } as Parameters<typeof checkCreateRules>[0]);
        return [];
      } catch (error) {
        return (error as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
      }
    };
    expect(problems({ strategy: 'rolling', rolling: { maxUnavailable: 1 }, waves: [{ name: 'w', percentage: 10 }] })).toEqual(['/waves']);
    expect(problems({ strategy: 'canary-waves', waves: [{ name: 'canary', percentage: 10 }] })).toEqual(['/waves/0/name']);
    expect(problems({ deployTimeoutMinutes: 5, global: { deployTimeoutMinutes: 10 } })).toEqual(['/deployTimeoutMinutes']);
    expect(problems({ maintenanceWindow: { schedule: '0 0 2 * * ?', duration: '25:61:00', timezone: '+00:00' } })).toEqual(['/maintenanceWindow']);
    expect(problems({ strategy: 'canary-waves', waves: [{ name: 'w', percentage: 100 }], canary: { minDevices: 1, maxDevices: 3 }, maxParallel: 5, maximumPerMinute: 10 })).toEqual([]);
  });
});
