import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-context';
import { rolloutBodyFromYaml } from './rollout-config';

/** The seeds' own example (edge-fleet-rolling-strategies.md, "Wave Configuration"), verbatim. */
const SEEDS_EXAMPLE = `
# Example rollout configuration
rollout:
  canary:
    percentage: 3
    min_devices: 1
    max_devices: 10
    soak_minutes: 30
    require_human_approval_after: true

  waves:
    - name: wave-1
      percentage: 15
      soak_minutes: 15
      failure_threshold_percent: 5
      auto_rollback: true

    - name: wave-2
      percentage: 35
      soak_minutes: 10
      failure_threshold_percent: 5
      auto_rollback: true

    - name: wave-3
      percentage: 100    # remaining devices
      soak_minutes: 10
      failure_threshold_percent: 3
      auto_rollback: true

  global:
    max_parallel_deploys: 50
    deploy_timeout_minutes: 10
    health_check_interval_seconds: 30
    health_check_retries: 3
    offline_device_policy: skip_and_queue
`;

describe('rollout YAML → rollout body', () => {
  const flags = { name: 'fw-2.1', distributionSet: 'ds-1', filter: 'name==edge*' };

  it('maps the seeds\' wave configuration onto the Rollgate extensions, naming what the API cannot take', () => {
    const { body, ignored } = rolloutBodyFromYaml(SEEDS_EXAMPLE, flags);
    expect(body).toEqual({
      name: 'fw-2.1', distributionSetId: 'ds-1', targetFilterQuery: 'name==edge*', strategy: 'canary-waves',
      canary: { percentage: 3, minDevices: 1, maxDevices: 10, soakMinutes: 30, requireHumanApprovalAfter: true },
      waves: [
        { name: 'wave-1', percentage: 15, soakMinutes: 15, failureThresholdPercent: 5, autoRollback: true },
        { name: 'wave-2', percentage: 35, soakMinutes: 10, failureThresholdPercent: 5, autoRollback: true },
        { name: 'wave-3', percentage: 100, soakMinutes: 10, failureThresholdPercent: 3, autoRollback: true },
      ],
      global: { maxParallelDeploys: 50, deployTimeoutMinutes: 10, offlineDevicePolicy: 'skip_and_queue' },
    });
    expect(ignored).toEqual(['rollout.global.health_check_interval_seconds', 'rollout.global.health_check_retries']);
  });

  it('takes hawkBit fields from the file, flags overriding them', () => {
    const yaml = 'rollout:\n  name: from-file\n  distribution_set: ds-9\n  target_filter: "attribute.region==eu"\n  amount_groups: 4\n  error_threshold_percent: 10\n  error_action: rollback\n';
    expect(rolloutBodyFromYaml(yaml, { name: 'from-flag' }).body).toEqual({
      name: 'from-flag', distributionSetId: 'ds-9', targetFilterQuery: 'attribute.region==eu', amountGroups: 4,
      errorCondition: { condition: 'THRESHOLD', expression: '10' }, errorAction: { action: 'ROLLBACK' },
    });
  });

  it('implies the rolling strategy from a rolling block', () => {
    const { body } = rolloutBodyFromYaml('rollout:\n  rolling:\n    max_unavailable: "25%"\n    min_ready_seconds: 30\n', flags);
    expect(body).toMatchObject({ strategy: 'rolling', rolling: { maxUnavailable: '25%', minReadySeconds: 30 } });
  });

  it('refuses a file that is not YAML or not a mapping, and a rollout without its required fields, with one clear error', () => {
    const codeOf = (work: () => unknown) => {
      try {
        work();
      } catch (error) {
        return [(error as CliError).code, (error as CliError).message];
      }
      return undefined;
    };
    expect(codeOf(() => rolloutBodyFromYaml('rollout: [unclosed', flags))?.[0]).toBe('rollout_file_invalid');
    expect(codeOf(() => rolloutBodyFromYaml('rollout:\n  waves: 3\n', flags))).toEqual(['rollout_file_invalid', 'rollout.waves must be a list']);
    expect(codeOf(() => rolloutBodyFromYaml('rollout:\n  canary:\n    percentage: 3\n', { name: 'x' }))).toEqual(['rollout_field_missing', 'the rollout needs distributionSetId: give --distribution-set or set it in the file']);
  });

  it('reads the README\'s example file as the README says', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const yaml = /```yaml\n# rollout.yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(rolloutBodyFromYaml(yaml, flags)).toMatchObject({ body: { strategy: 'canary-waves', canary: { percentage: 25 } }, ignored: ['rollout.global.health_check_interval_seconds'] });
  });
});
