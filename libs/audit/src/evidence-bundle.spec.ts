import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RolloutLogFixture } from '../test/rollout-log.fixture';
import { loadOrCreateSigningKey, signBundle, signingKeyFromPem, verifyBundle } from './bundle-signature';
import { buildEvidenceBundle } from './evidence-bundle';
import { bundleHtml, deploymentReport, incidentReport } from './rollout-reports';
import { formatHistory, rolloutHistory } from './rollout-history';

function failedCanary(): RolloutLogFixture {
  return RolloutLogFixture.twoGroups().approveAndStart().device(100, 'd1', 'g0', 'FINISHED').device(101, 'd2', 'g0', 'FINISHED')
    .append('rolloutgroup-g0', 'rollout', 'group-gate-requested', { gate: 'canary_gate', counters: { total: 2, scheduled: 0, running: 0, downloaded: 0, finished: 2, error: 0, canceled: 0, verified: 0 } })
    .append('health-r1', 'health', 'gate-evaluated', { rolloutId: 'r1', groupId: 'g0', gate: 'canary_gate', verdictId: 'v1', verdict: 'FAIL', reason: 'error_rate 4.1% > 1%', evidence: { samples: 240, errorRate: 0.041, threshold: 0.01 } }, 'service:health-evaluator')
    .append('rolloutgroup-g0', 'rollout', 'group-gate-failed', { verdictId: 'v1', reason: 'error_rate 4.1% > 1%' })
    .append('rolloutgroup-g0', 'rollout', 'group-error-condition-met', { errorAction: 'ROLLBACK', cause: 'health-gate', counters: { total: 2, scheduled: 0, running: 0, downloaded: 0, finished: 2, error: 0, canceled: 0, verified: 0 } })
    .append('rollout-r1', 'rollout', 'rollout-stopping', { reason: 'rollback', groupId: 'g0' })
    .append('rollout-r1', 'rollout', 'rollout-rollback-requested', { groupId: 'g0', distributionSetId: 'ds0' })
    .append('rollout-r1', 'rollout', 'rollout-stopped', {})
    .append('rollout-r1', 'rollout', 'rollout-incident-recorded', {
      incidentId: 'inc-1', cause: 'canary_gate failed', groupId: 'g0', rollbackRollouts: [{ rolloutId: 'r1-rollback', distributionSetId: 'ds0', devices: 2 }], devicesWithoutPrevious: 0,
    });
}

const SHA = 'a'.repeat(64);
function catalog(): RolloutLogFixture {
  return new RolloutLogFixture()
    .append('distributionset-ds1', 'distributionset', 'distribution-set-created', { distributionSetId: 'ds1', name: 'fw', version: '2.1', modules: [{ id: 'm1', type: 'os' }] }, 'user:alice')
    .append('softwaremodule-m1', 'softwaremodule', 'software-module-artifact-added', { artifactId: 'a1', fileName: 'fw.swu', sha256: SHA, sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 42 }, 'user:alice')
    .append('softwaremodule-m1', 'softwaremodule', 'software-module-artifact-added', { artifactId: 'a2', fileName: 'old.swu', sha256: 'd'.repeat(64), sha1: 'e'.repeat(40), md5: 'f'.repeat(32), size: 7 }, 'user:alice')
    .append('softwaremodule-m1', 'softwaremodule', 'software-module-artifact-removed', { artifactId: 'a2' }, 'user:alice')
    .append(`artifact-${SHA}`, 'artifact', 'artifact-stored', { sha256: SHA, sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 42, fileName: 'fw.swu' }, 'service:artifact-distributor');
}
const record = (log: RolloutLogFixture) => ({ tenant: 'acme', rolloutId: 'r1', events: log.events, catalog: catalog().events });
const key = () => signingKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);

describe('evidence bundle', () => {
  const log = failedCanary();
  const bundle = buildEvidenceBundle(record(log), new Date('2026-12-01T12:00:00Z'));

  it('holds the plan with its seed, inclusion reasons, approvals, gate verdicts with inputs and final device states', () => {
    expect(bundle.plan).toMatchObject({ hash: 'h1', seed: 'seed-1', createdBy: 'alice', groups: [{ id: 'g0', size: 2, firstActionId: 100 }, { id: 'g1', size: 3, firstActionId: 102 }] });
    expect(bundle.inclusion).toContainEqual({ targetId: 'd4', group: 'wave-1', position: 1, actionId: 103, code: 'plan', message: 'in wave-1 at position 1 by the plan (seeded shuffle, seed "seed-1")' });
    expect(bundle.approvals.map((a) => [a.event, a.approver ?? a.actor, a.remark])).toEqual([
      ['rollout-approval-requested', 'user:alice', undefined], ['rollout-approval-given', 'bob', 'ok for canary'], ['rollout-approved', 'user:bob', undefined],
    ]);
    expect(bundle.gates.map((g) => [g.step, g.verdict])).toEqual([['requested', undefined], ['evaluated', 'FAIL'], ['failed', 'FAIL']]);
    expect(bundle.gates[1].inputs).toEqual({ samples: 240, errorRate: 0.041, threshold: 0.01 });
    expect(bundle.healthEvents).toHaveLength(1);
    expect(bundle.artifacts).toEqual([{ sha256: SHA, sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 42, fileName: 'fw.swu', signature: undefined, storedByDistributor: true }]);
    expect(bundle.distributionSet.events.map((e) => e.name)).toEqual(['distribution-set-created']);
    expect(bundle.devices.filter((d) => d.groupId === 'g0').map((d) => d.status)).toEqual(['FINISHED', 'FINISHED']);
    expect(bundle.rollout).toMatchObject({ status: 'stopped', stopReason: 'rollback' });
    // One incident: the scheduler's record completes the rollback stop it follows.
    expect(bundle.incidents).toEqual([expect.objectContaining({ kind: 'rollback', groupId: 'g0', cause: 'health gate canary_gate FAIL: error_rate 4.1% > 1%', record: expect.objectContaining({ incidentId: 'inc-1' }) })]);
  });

  it('verifies offline when untouched, and names what broke when the bundle or its report was changed', () => {
    const signingKey = key();
    const html = bundleHtml(bundle, log.events);
    const signed = JSON.parse(JSON.stringify(signBundle(bundle, html, signingKey)));
    expect(verifyBundle(signed, { report: html, trustedKeyId: signingKey.keyId })).toEqual({ ok: true, keyId: signingKey.keyId });

    const tampered = JSON.parse(JSON.stringify(signed));
    tampered.bundle.devices[0].status = 'FINISHED';
    tampered.bundle.gates[1].verdict = 'PASS';
    expect(verifyBundle(tampered)).toMatchObject({ ok: false, problem: 'the signature does not match the bundle: its contents were changed after signing' });
    expect(verifyBundle(signed, { report: html.replace('FAIL', 'PASS') })).toMatchObject({ ok: false, problem: 'the HTML report does not match the hash recorded in the signed bundle' });
    expect(verifyBundle(signed, { trustedKeyId: key().keyId }).problem).toMatch(/^signed by key [0-9a-f]{64}, not by the trusted key/);

    // Re-signing with another key and claiming the server's key id is caught by the fingerprint check.
    const forged = JSON.parse(JSON.stringify(signBundle(tampered.bundle, html, key())));
    forged.signature.keyId = signingKey.keyId;
    expect(verifyBundle(forged).problem).toMatch(/is not the fingerprint of the key in the bundle/);
    expect(verifyBundle({ hello: 'world' })).toEqual({ ok: false, problem: 'not a rollgate-evidence-bundle/1 file' });
  });

  it('keeps the server key in an owner-only file and reuses it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rg-audit-key-')), 'keys', 'audit.pem');
    const first = loadOrCreateSigningKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSigningKey(file).keyId).toBe(first.keyId);
  });

  it('renders a readable HTML report with an inline SVG timeline of the groups', () => {
    const html = bundleHtml(bundle, log.events);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).toMatch(/<rect [^>]*fill="#dc2626"><title>canary: error/);
    expect(html).toContain('<td>ok for canary</td>');
  });

  it('writes a deployment report and one incident report per automatic stop', () => {
    const report = deploymentReport(bundle, log.events);
    expect(report).toContain('- status: **stopped** (stop reason: rollback)');
    expect(report).toContain('| 0: canary | error | 2 | 0 | 0 | 0 | 2 | 0 | 0 |');
    expect(report).toContain('| rollout-approval-given | bob | ok for canary | h1 |');
    const incident = incidentReport(bundle, bundle.incidents[0]);
    expect(incident).toContain('- cause: health gate canary_gate FAIL: error_rate 4.1% > 1%');
    expect(incident).toContain('rollout-rollback-requested: {"groupId":"g0","distributionSetId":"ds0"');
    expect(incident).toContain('- rollback rollout r1-rollback: 2 device(s) back to distribution set ds0');
  });

  it('tells every event with its actor and cause in the history', () => {
    const history = rolloutHistory(log.events);
    expect(history.find((h) => h.event === 'rollout-approval-given')).toMatchObject({ actor: 'user:bob', summary: 'approved by bob: "ok for canary"' });
    expect(history.find((h) => h.event === 'rollout-stopping')).toMatchObject({ cause: 'reason: rollback', summary: 'stopping (rollback, group g0)' });
    expect(history.find((h) => h.event === 'gate-evaluated')).toMatchObject({ actor: 'service:health-evaluator', cause: 'reason: error_rate 4.1% > 1%' });
    expect(formatHistory(history).split('\n')).toHaveLength(log.events.length);
  });
});
