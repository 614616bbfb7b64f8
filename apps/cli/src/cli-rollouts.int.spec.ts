import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';
import { testPool } from '@rollgate/testing';
import { SimulatedRun } from '../../../libs/audit/test/scheduler-simulation';
import { ADMIN_PASSWORD, startAuditedPlanner, type AuditedPlanner } from '../test/audited-planner';
import { snapshotCli, type CliSnapshot } from '../test/cli-snapshot';

jest.setTimeout(240_000);
const exec = promisify(execFile);
const APPROVER_PASSWORD = 'approver-password-1234';

describe('rollgate rollouts and audit against a real planner', () => {
  let planner: AuditedPlanner;
  let pool: Pool;
  let cli: CliSnapshot;
  let dir: string;
  let rolloutId: string;

  /** The CLI as the operator (context `ops`, user admin) or another context; never throws. */
  async function rollgate(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, HOME: dir, ROLLGATE_CONFIG: join(dir, 'config.json'), ROLLGATE_PASSWORD: ADMIN_PASSWORD, DATABASE_URL: planner.db.url, ROLLGATE_AUDIT_SIGNING_KEY_FILE: join(dir, 'key.pem'), ...extraEnv };
    try {
      const { stdout, stderr } = await exec(join(cli.binDir, 'rollgate'), args, { cwd: dir, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  /** With `input` on stdin (a token piped in, as scripts do). */
  async function rollgateWithInput(args: string[], input: string): Promise<{ code: number; stdout: string }> {
    const env = { ...process.env, HOME: dir, ROLLGATE_CONFIG: join(dir, 'config.json'), ROLLGATE_PASSWORD: '' };
    const child = spawn(join(cli.binDir, 'rollgate'), args, { cwd: dir, env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end(input);
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    return { code, stdout };
  }

  async function ok(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    const result = await rollgate(args, extraEnv);
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    return result.stdout;
  }

  beforeAll(async () => {
    cli = snapshotCli();
    planner = await startAuditedPlanner();
    pool = testPool(planner.db.url);
    dir = mkdtempSync(join(tmpdir(), 'rg-cli-rollouts-'));
    await planner.createUser('acme', 'approver', APPROVER_PASSWORD, ['READ_ROLLOUT', 'APPROVE_ROLLOUT']);
    const admin = { tenant: 'acme', user: 'admin', password: ADMIN_PASSWORD };
    expect((await planner.request('PUT', '/rest/v1/system/configs/rollout.approval.enabled', admin, { value: true })).status).toBe(200);
    await ok(['context', 'set', 'ops', '--server', planner.url, '--tenant', 'acme', '--user', 'admin']);
    for (let i = 0; i < 4; i++) await ok(['targets', 'create', `cam-${i}`]);
    await ok(['modules', 'create', '--name', 'cam-os', '--version', '1.0', '--type', 'os']);
    await ok(['ds', 'create', '--name', 'cam-fw', '--version', '1.0', '--module', 'cam-os:1.0']);
  });

  afterAll(async () => {
    await pool?.end();
    await planner?.close();
    cli?.remove();
  });

  it('keeps contexts in an owner-only file and never stores a password', async () => {
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).not.toContain(ADMIN_PASSWORD);
    expect(await ok(['context', 'show'])).toBe(`* ops\t${planner.url}\ttenant acme\tuser admin\n`);
  });

  it('takes a token on stdin for a CI context, and keeps tenants apart when reading the log', async () => {
    const issued = await planner.request('POST', '/rest/v1/system/tokens', { tenant: 'acme', user: 'admin', password: ADMIN_PASSWORD }, { name: 'ci', permissions: ['READ_TARGET'] });
    const token = (issued.body as { token: string }).token;
    expect(await rollgateWithInput(['context', 'set', 'ci', '--server', planner.url, '--tenant', 'acme', '--token-stdin'], `${token}\n`)).toEqual({ code: 0, stdout: `context ci set and in use (${planner.url}, tenant acme, token)\n` });
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toContain(token);
    expect(await ok(['targets', 'list'], { ROLLGATE_PASSWORD: '' })).toMatch(/^CONTROLLER ID[\s\S]*cam-3/);
    expect((await rollgate(['rollouts', 'list'], { ROLLGATE_PASSWORD: '' })).stderr).toMatch(/^rollgate: missing permission READ_ROLLOUT \[HTTP 403\] \(forbidden\)\n$/);
    await ok(['context', 'use', 'ops']);
  });

  it('creates from flags, waits for approval, is refused to its creator and approved by another user', async () => {
    const created = await ok(['rollouts', 'create', '--name', 'cam-1.0', '--distribution-set', 'cam-fw:1.0', '--filter', 'controllerId==cam-*', '--groups', '2', '--error-threshold', '20', '--error-action', 'rollback']);
    expect(created).toMatch(/^id: \S+\nname: cam-1\.0\nstatus: waiting_for_approval\n/);
    rolloutId = /^id: (\S+)$/m.exec(created)![1];
    const own = await rollgate(['rollouts', 'approve', 'cam-1.0']);
    expect(own).toMatchObject({ code: 1, stdout: '' });
    expect(own.stderr).toMatch(/^rollgate: .+ \(approver_is_creator\)\n$/);
    await ok(['context', 'set', 'approver', '--server', planner.url, '--tenant', 'acme', '--user', 'approver']);
    expect(await ok(['rollouts', 'approve', 'cam-1.0', '--remark', 'canary looks fine'], { ROLLGATE_PASSWORD: APPROVER_PASSWORD })).toBe('rollout cam-1.0: ready\n');
    await ok(['context', 'use', 'ops']);
    const got = await ok(['-o', 'json', 'rollouts', 'get', rolloutId]);
    expect(JSON.parse(got)).toMatchObject({ status: 'ready', approveDecidedBy: 'approver', approvalRemark: 'canary looks fine', deploygroups: [{ totalTargets: 2 }, { totalTargets: 2 }] });
  });

  it('answers refusals in one line with the API\'s code', async () => {
    const notRunning = await rollgate(['rollouts', 'pause', 'cam-1.0']);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toMatch(/^rollgate: .+ \(rollout is ready\) \[HTTP 409\] \(rollout_not_running\)\n$/);
    expect((await rollgate(['rollouts', 'get', 'no-such-rollout'])).stderr).toBe('rollgate: no rollout named no-such-rollout (rollout_not_found)\n');
    expect((await rollgate(['targets', 'list'], { ROLLGATE_PASSWORD: 'wrong' })).stderr).toMatch(/^rollgate: invalid credentials \[HTTP 401\] \(unauthorized\)\n$/);
    expect((await rollgate(['--context', 'nope', 'targets', 'list'])).stderr).toBe('rollgate: no context named "nope"; known: ops, ci, approver (context_not_found)\n');
    expect((await rollgate(['audit', 'history', 'cam-1.0', '--tenant', 'globex'])).stderr).toBe('rollgate: no rollout cam-1.0 in tenant globex (rollout_not_found)\n');
    expect((await rollgate(['rollouts', 'create', '--name', 'x'])).stderr).toBe('rollgate: the rollout needs distributionSetId: give --distribution-set or set it in the file (rollout_field_missing)\n');
    writeFileSync(join(dir, 'bad.yaml'), 'rollout:\n  waves: 3\n');
    expect((await rollgate(['rollouts', 'create', '-f', join(dir, 'bad.yaml')])).stderr).toBe('rollgate: rollout.waves must be a list (rollout_file_invalid)\n');
    expect((await rollgate(['--context', 'ops', 'audit', 'replay', 'cam-1.0', '--as-of', 'noon'])).stderr).toBe('rollgate: --as-of must be an ISO 8601 time, not "noon" (invalid_instant)\n');
  });

  it('starts, pauses and resumes; watch shows the gate verdict and exits 1 when the rollout is rolled back', async () => {
    expect(await ok(['rollouts', 'start', 'cam-1.0'])).toBe('rollout cam-1.0: starting\n');
    const run = new SimulatedRun(new EventStore(pool), 'acme', rolloutId);
    await run.start();
    await run.startGroup(0);
    expect(await ok(['rollouts', 'pause', 'cam-1.0'])).toBe('rollout cam-1.0: paused\n');
    expect(await ok(['rollouts', 'resume', 'cam-1.0'])).toBe('rollout cam-1.0: running\n');
    await run.device(0, 0, 'FINISHED');
    await run.device(0, 1, 'FINISHED');
    await run.failGateAndRollBack(0, 'error_rate 8% > 1%');
    const watched = await rollgate(['rollouts', 'watch', 'cam-1.0', '--interval', '100', '--timeout', '60']);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/^Rollout cam-1\.0 \(\S+\) {3}status: stopped \(rollback\)/);
    expect(watched.stdout).toMatch(/ {2}0 \S+\s+error\s+\[#{24}\] 100%\s+2\s+0\s+0\s+0\s+0\s+0 {2}canary_gate FAIL: error_rate 8% > 1%\n/);
    expect(watched.stdout).toMatch(/rollout cam-1\.0 was rolled back \(rollback\)\n$/);
  });

  it('denies, stops, triggers the next group and retries a finished rollout\'s failed targets', async () => {
    const asApprover = { ROLLGATE_PASSWORD: APPROVER_PASSWORD };
    const create = async (name: string) => {
      const out = await ok(['rollouts', 'create', '--name', name, '--distribution-set', 'cam-fw:1.0', '--filter', 'controllerId==cam-*', '--groups', '2']);
      return /^id: (\S+)$/m.exec(out)![1];
    };
    await create('cam-deny');
    expect(await ok(['--context', 'approver', 'rollouts', 'deny', 'cam-deny', '--remark', 'not this week'], asApprover)).toBe('rollout cam-deny: approval_denied\n');

    const stopId = await create('cam-stop');
    await ok(['--context', 'approver', 'rollouts', 'approve', 'cam-stop'], asApprover);
    await ok(['rollouts', 'start', 'cam-stop']);
    const stopRun = new SimulatedRun(new EventStore(pool), 'acme', stopId);
    await stopRun.start();
    await stopRun.startGroup(0);
    expect(await ok(['rollouts', 'trigger-next', 'cam-stop'])).toBe('rollout cam-stop: running\n');
    expect(await ok(['rollouts', 'stop', 'cam-stop'])).toBe('rollout cam-stop: stopping\n');
    expect((await rollgate(['rollouts', 'trigger-next', 'cam-stop'])).stderr).toMatch(/^rollgate: .+ \(rollout is stopping\) \[HTTP 409\] \(rollout_not_running\)\n$/);
    expect(await ok(['audit', 'history', 'cam-stop'])).toMatch(/rollout-group-triggered\s+user:admin\s+group \S+ triggered \(manual\)[\s\S]*rollout-stopping\s+user:admin\s+stopping \(manual by admin\)/);

    const retryId = await create('cam-retry');
    await ok(['--context', 'approver', 'rollouts', 'approve', 'cam-retry'], asApprover);
    await ok(['rollouts', 'start', 'cam-retry']);
    const retryRun = new SimulatedRun(new EventStore(pool), 'acme', retryId);
    await retryRun.start();
    for (let group = 0; group < 2; group++) {
      await retryRun.startGroup(group);
      await retryRun.device(group, 0, group === 0 ? 'ERROR' : 'FINISHED');
      await retryRun.device(group, 1, 'FINISHED');
      await retryRun.succeedGroup(group);
    }
    const retried = await ok(['rollouts', 'retry', 'cam-retry']);
    expect(retried).toBe('rollout cam-retry_retry: waiting_for_approval\n');
    expect(JSON.parse(await ok(['-o', 'json', 'rollouts', 'get', 'cam-retry_retry']))).toMatchObject({ totalTargets: 1 });
    expect(await ok(['targets', 'get', 'cam-0'])).toMatch(/^controllerId: cam-0$/m);
  });

  it('exports a bundle that verify-bundle accepts, and refuses once it was edited', async () => {
    const exported = await ok(['audit', 'export', 'cam-1.0', '--out', join(dir, 'evidence')]);
    const keyId = /signed by key ([0-9a-f]{64})/.exec(exported)![1];
    const file = join(dir, 'evidence', 'cam-1.0.evidence.json');
    expect(await ok(['audit', 'verify-bundle', file, '--key-id', keyId])).toBe(`bundle verified: signed by key ${keyId} (the trusted key); report matches\n`);
    expect(readFileSync(join(dir, 'evidence', 'cam-1.0.incident-1.md'), 'utf8')).toContain('- cause: health gate canary_gate FAIL: error_rate 8% > 1%');

    const bundle = JSON.parse(readFileSync(file, 'utf8'));
    bundle.bundle.approvals[1].approver = 'someone-else';
    writeFileSync(join(dir, 'edited.evidence.json'), JSON.stringify(bundle));
    const edited = await rollgate(['audit', 'verify-bundle', join(dir, 'edited.evidence.json')]);
    expect(edited).toMatchObject({ code: 1, stdout: 'bundle INVALID: the signature does not match the bundle: its contents were changed after signing\n' });
    writeFileSync(join(dir, 'evidence', 'cam-1.0.evidence.html'), '<html>nothing happened</html>');
    expect((await rollgate(['audit', 'verify-bundle', file])).stdout).toBe('bundle INVALID: the HTML report does not match the hash recorded in the signed bundle\n');
  });

  it('reads the same history and state through the Management API as from the database', async () => {
    const fromLog = await ok(['-o', 'json', 'audit', 'history', 'cam-1.0', '--tenant', 'acme']);
    const fromApi = await ok(['-o', 'json', 'audit', 'history', 'cam-1.0', '--api']);
    expect(JSON.parse(fromApi)).toEqual(JSON.parse(fromLog));
    expect(await ok(['audit', 'history', 'cam-1.0'])).toMatch(/rollout-approval-given\s+\S*approver\s+approved by approver: "canary looks fine"/);
    const withoutDevices = JSON.parse(await ok(['-o', 'json', 'audit', 'history', 'cam-1.0', '--no-devices'])) as { entries: Array<{ stream: string }> };
    expect(withoutDevices.entries.length).toBe(JSON.parse(fromLog).entries.filter((e: { stream: string }) => !e.stream.startsWith('action-')).length);
    expect(withoutDevices.entries.length).toBeLessThan(JSON.parse(fromLog).entries.length);
    const instant = new Date().toISOString();
    const stateFromLog = JSON.parse(await ok(['-o', 'json', 'audit', 'replay', 'cam-1.0', '--as-of', instant]));
    expect(JSON.parse(await ok(['-o', 'json', 'audit', 'replay', 'cam-1.0', '--as-of', instant, '--api']))).toEqual(stateFromLog);
    expect(stateFromLog).toMatchObject({ status: 'stopped', stopReason: 'rollback', groups: [{ status: 'error' }, { status: 'scheduled', totalTargetsPerStatus: { notstarted: 2 } }] });
  });
});
