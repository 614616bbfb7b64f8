import { given } from '@rollgate/shared-domain';
import { durationSeconds } from './tenant-config.rules';
import { tenantConfigDecider, type TenantConfigEvent } from './tenant-config.decider';

const AT = 1_700_000_000_000;
const set = (key: string, value: unknown) => ({ type: 'set-config-value' as const, key, value, by: 'admin', at: AT });
const setEvent = (key: string, value: string | number | boolean): TenantConfigEvent => ({ type: 'config-value-set', data: { key, value, by: 'admin', at: AT } });
const del = (key: string) => ({ type: 'delete-config-value' as const, key, by: 'admin', at: AT });

describe('tenant config decider', () => {
  describe('given nothing set', () => {
    it('sets a value of the key\'s kind', () => {
      given(tenantConfigDecider).when(set('pollingTime', '00:10:00')).then([setEvent('pollingTime', '00:10:00')]);
      given(tenantConfigDecider).when(set('rollout.approval.enabled', true)).then([setEvent('rollout.approval.enabled', true)]);
      given(tenantConfigDecider).when(set('maintenanceWindowPollCount', 5)).then([setEvent('maintenanceWindowPollCount', 5)]);
    });
    it('refuses unknown keys and values of the wrong kind, naming the field', () => {
      given(tenantConfigDecider).when(set('nope', 1)).thenThrows('config_key_unknown');
      const error = given(tenantConfigDecider).when(set('pollingTime', '5 minutes')).thenThrows('validation_failed');
      expect(error).toMatchObject({ issues: [{ path: '/value', message: 'must be a duration HH:mm:ss' }] });
      given(tenantConfigDecider).when(set('rollout.approval.enabled', 'yes')).thenThrows('validation_failed');
      given(tenantConfigDecider).when(set('maintenanceWindowPollCount', -1)).thenThrows('validation_failed');
    });
    it('refuses to delete a value that has its default', () => {
      given(tenantConfigDecider).when(del('pollingTime')).thenThrows('config_value_not_found');
      given(tenantConfigDecider).when(del('nope')).thenThrows('config_key_unknown');
    });
  });

  describe('given values set', () => {
    const history = [setEvent('pollingTime', '00:10:00'), setEvent('minPollingTime', '00:01:00')];
    it('answers no event when the value does not change', () => {
      given(tenantConfigDecider, history).when(set('pollingTime', '00:10:00')).then([]);
    });
    it('refuses a polling time below the minimum', () => {
      given(tenantConfigDecider, history).when(set('pollingTime', '00:00:30')).thenThrows('validation_failed');
    });
    it('deletes a value, which falls back to its default', () => {
      given(tenantConfigDecider, history).when(del('pollingTime')).thenState((state, events) => {
        expect(events).toEqual([{ type: 'config-value-deleted', data: { key: 'pollingTime', by: 'admin', at: AT } }]);
        expect(state.values).toEqual({ minPollingTime: '00:01:00' });
      });
    });
  });

  it('reads durations', () => {
    expect(durationSeconds('01:02:03')).toBe(3723);
  });
});
