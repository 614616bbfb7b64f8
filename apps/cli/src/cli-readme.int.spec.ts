import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';
import { eventually, testPool } from '@rollgate/testing';
import { SimulatedRun } from '../../../libs/audit/test/scheduler-simulation';
import { startAuditedPlanner, type AuditedPlanner } from '../test/audited-planner';
import { snapshotCli, type CliSnapshot } from '../test/cli-snapshot';

jest.setTimeout(240_000);
const run = promisify(execFile);

const README = join(__dirname, '..', '..', '..', 'README.md');
/** The README's examples talk to the local stack's planner; the test's planner listens elsewhere. */
const README_SERVER = 'http://127.0.0.1:8080';
const PASSWORD = 'readme-admin-password-1';
/** The file the README uploads. */
const IMAGE = randomBytes(300_000);
const IMAGE_SHA256 = createHash('sha256').update(IMAGE).digest('hex');

/** Every `rollgate …` line of the README's sh blocks, in order: exactly what a reader would type. */
function readmeCommands(): string[] {
  const text = cliSection();
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1].split('\n').map((line) => line.trim()).filter((line) => line.startsWith('rollgate ')));
}

/** The README's CLI section: from its heading to the next section. */
function cliSection(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## The `rollgate` CLI');
  const end = text.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README.md has no "The `rollgate` CLI" section');
  return text.slice(start, end < 0 ? undefined : end);
}

/** What each example must print (the rest must at least succeed), by the command's start. */
const EXPECTED: Array<[string, RegExp]> = [
  ['rollgate context set local', /^context local set and in use \(http:\/\/127\.0\.0\.1:\d+, tenant demo, user admin\)$/m],
  ['rollgate login', /^logged in to http:\/\/127\.0\.0\.1:\d+ as demo\\admin: token \S+ stored in context local$/m],
  ['rollgate context show', /^\* local\thttp:\/\/127\.0\.0\.1:\d+\ttenant demo\ttoken rgt\.demo\.\S*…$/m],
  ['rollgate targets list', /^CONTROLLER ID\s+NAME[\s\S]*edge-0001\s+Edge gateway 1[\s\S]*edge-0004/m],
  ['rollgate software-modules create', /^name: edge-os\nversion: 2\.1\.0\ntype: os$/m],
  ['rollgate artifacts upload', new RegExp(`^providedFilename: edge-os-2\\.1\\.0\\.swu$[\\s\\S]*"sha256":"${IMAGE_SHA256}"`, 'm')],
  ['rollgate artifacts list', new RegExp(`^FILE\\s+SIZE\\s+SHA256\\nedge-os-2\\.1\\.0\\.swu\\s+300000\\s+${IMAGE_SHA256}$`, 'm')],
  ['rollgate distribution-sets list', /edge-fw\s+2\.1\.0\s+os/],
  ['rollgate rollouts plan', /^canary-waves plan \(seed \S+\): 4 of 4 targets in 2 groups, 0 excluded\n {2}0 canary\s+1 targets[\s\S]*forecast: done in about \d+ min/m],
  ['rollgate rollouts create', /^name: edge-fw-2\.1\nstatus: ready\n/m],
  ['rollgate rollouts list', /edge-fw-2\.1\s+ready\s+4/],
  ['rollgate rollouts get', /^status: ready$[\s\S]*^GROUP\s+STATUS/m],
  ['rollgate rollouts start', /^rollout edge-fw-2\.1: starting$/m],
  ['rollgate rollouts watch', /rollout edge-fw-2\.1 finished\n$/],
  ['rollgate audit history', /rollout-created[\s\S]*rollout-starting\s+user:admin|rollout-starting[\s\S]*rollout-finished/],
  ['rollgate audit replay', /^rollout edge-fw-2\.1 \(\S+\) as of 2030-01-01T00:00:00\.000Z: finished, \d+ events\n {2}all: 4 targets, running=0 notstarted=0 scheduled=0 cancelled=0 finished=4 error=0$/m],
  ['rollgate audit export', /wrote \S+edge-fw-2\.1\.evidence\.json[\s\S]*signed by key [0-9a-f]{64}/],
  ['rollgate audit verify-bundle', /^bundle verified: signed by key [0-9a-f]{64} .*; report matches$/m],
  ['rollgate audit report', /wrote \S+\.deployment-report\.md/],
  ['rollgate audit verify', /^log verified: \d+ events in \d+ streams/m],
];

describe('the README\'s CLI examples, run as written against a real planner and log', () => {
  let planner: AuditedPlanner;
  let pool: Pool;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cli: CliSnapshot;

  beforeAll(async () => {
    cli = snapshotCli();
    planner = await startAuditedPlanner({ ROLLGATE_BOOTSTRAP_TENANT: 'demo', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: PASSWORD }, { withArtifacts: true });
    pool = testPool(planner.db.url);
    dir = mkdtempSync(join(tmpdir(), 'rg-readme-'));
    const yaml = /```yaml\n# rollout.yaml\n([\s\S]*?)```/.exec(cliSection())?.[1];
    writeFileSync(join(dir, 'rollout.yaml'), yaml ?? '');
    writeFileSync(join(dir, 'edge-os-2.1.0.swu'), IMAGE);
    env = {
      ...process.env, HOME: dir, PATH: `${cli.binDir}:${process.env.PATH}`, ROLLGATE_CONFIG: join(dir, 'config.json'),
      ROLLGATE_PASSWORD: PASSWORD, DATABASE_URL: planner.db.url, ROLLGATE_AUDIT_SIGNING_KEY_FILE: join(dir, 'cli-key.pem'),
    };
  });

  afterAll(async () => {
    await pool?.end();
    await planner?.close();
    cli?.remove();
  });

  it('every example succeeds and prints what the README promises', async () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThanOrEqual(20);
    for (const command of commands) {
      const line = command.replace(README_SERVER, planner.url);
      const result = line.startsWith('rollgate rollouts watch') ? await watchWhileTheRolloutRuns(line) : await shell(line);
      expect({ command, code: result.code, error: /rollgate: .*/.exec(result.stderr)?.[0] }).toEqual({ command, code: 0, error: undefined });
      const expected = EXPECTED.find(([prefix]) => command.startsWith(prefix));
      if (expected) expect({ command, stdout: result.stdout }).toEqual({ command, stdout: expect.stringMatching(expected[1]) });
    }
    // The evidence names the uploaded artifact by its hashes, as the module and the distributor recorded them.
    const evidence = JSON.parse(readFileSync(join(dir, 'evidence', 'edge-fw-2.1.evidence.json'), 'utf8'));
    expect(evidence.bundle.artifacts).toEqual([expect.objectContaining({ fileName: 'edge-os-2.1.0.swu', sha256: IMAGE_SHA256, size: IMAGE.length, storedByDistributor: true })]);
    expect(readFileSync(join(dir, 'evidence', 'edge-fw-2.1.evidence.html'), 'utf8')).toContain(IMAGE_SHA256);
    // The config holds a token (not the password) and only its owner can read it.
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).not.toContain(PASSWORD);
  });

  async function shell(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run('bash', ['-c', line], { cwd: dir, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  /**
   * `rollouts watch` runs while the rollout does. No scheduler, gateway or devices run in this spec, so it
   * plays their parts on the log (libs/audit/test/scheduler-simulation: the events docs/event-flow.md agrees
   * on): the groups start, every device finishes, each group succeeds and the rollout finishes.
   */
  async function watchWhileTheRolloutRuns(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = spawn('bash', ['-c', line], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const { rows } = await pool.query<{ stream_id: string }>(`SELECT stream_id FROM events WHERE tenant = 'demo' AND type = 'io.rollgate.rollout.rollout-created.v1'`);
    const rolloutId = rows[0].stream_id.slice('rollout-'.length);
    await eventually(async () => stdout.includes('status: starting'));
    const simulation = new SimulatedRun(new EventStore(pool), 'demo', rolloutId);
    await simulation.start();
    for (let group = 0; group < 2; group++) {
      await simulation.startGroup(group);
      for (let p = 0; p < simulation.groupSize(group); p++) await simulation.device(group, p, 'FINISHED');
      await simulation.succeedGroup(group);
    }
    return { code: await exited, stdout, stderr };
  }
});
