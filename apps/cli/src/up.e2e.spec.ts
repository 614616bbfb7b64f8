import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, NATS_URL, testBusNames, serviceBusEnv } from '@rollgate/testing';
import { LOCAL_ADMIN_FILE, localAdmin } from './local-admin';
import { REPO_ROOT } from './local-stack';

/** The demo with 300 devices takes about four minutes on a quiet two-core machine; a stuck gate must not hang CI. */
const DEMO_BUDGET_MS = 9 * 60_000;
const SERVICES = ['rollout-planner', 'device-gateway', 'artifact-distributor', 'group-scheduler', 'health-evaluator'];

/** The README's main job, as a user runs it: `rollgate up`, use it, then Ctrl-C. */
describe('rollgate up', () => {
  it('starts all five services, prints where they listen and how to log in, and stops cleanly on Ctrl-C', async () => {
    const db = await createTestDatabase('rg_up');
    const names = testBusNames();
    const portBase = freePortBase();
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, ...serviceBusEnv(names) };
      for (const key of ['ROLLGATE_BOOTSTRAP_TENANT', 'ROLLGATE_BOOTSTRAP_ADMIN_USER', 'ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD']) delete env[key];
      const logDir = mkdtempSync(join(tmpdir(), 'rollgate-up-'));
      const child = spawn(process.execPath, [join(REPO_ROOT, 'apps', 'cli', 'bin', 'rollgate.js'), '--database-url', db.url, 'up', '--scenario', 'none', '--nats-url', NATS_URL, '--port-base', String(portBase), '--log-dir', logDir], { env });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

      await eventually(async () => output.includes('all services ready') || child.exitCode !== null, 120_000, 200);
      expect(output).toContain('all services ready');
      SERVICES.forEach((name, i) => expect(output).toMatch(new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:${portBase + i}\\s`)));
      expect(output).toContain(`Management API: http://127.0.0.1:${portBase}/rest/v1 as demo\\admin (HTTP Basic); the password is in ${LOCAL_ADMIN_FILE}`);

      // The printed login works against the Management API.
      const admin = localAdmin();
      const basic = Buffer.from(`${admin.tenant}\\${admin.user}:${admin.password}`).toString('base64');
      const userinfo = await fetch(`http://127.0.0.1:${portBase}/rest/v1/userinfo`, { headers: { authorization: `Basic ${basic}` } });
      expect(userinfo.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${portBase}/rest/v1/targets`)).status).toBe(401);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      SERVICES.forEach((name) => expect(output).toMatch(new RegExp(`${name}\\s+exited 0`)));
      // A clean start and stop logs no error or warning (a provider lookup once logged an error at every start).
      const complaints = SERVICES.flatMap((name) => readFileSync(join(logDir, `${name}.log`), 'utf8').split('\n').filter((line) => /"level":"(error|warn|fatal)"/.test(line)));
      expect(complaints).toEqual([]);
    } finally {
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    }
  }, 180_000);

  it('runs the demo scenario end to end: a good build passes its gates, a bad build is stopped at the canary and rolled back, reports written', async () => {
    const db = await createTestDatabase('rg_demo');
    const names = testBusNames();
    const portBase = freePortBase();
    const logDir = mkdtempSync(join(tmpdir(), 'rollgate-demo-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, ...serviceBusEnv(names) };
      for (const key of ['ROLLGATE_BOOTSTRAP_TENANT', 'ROLLGATE_BOOTSTRAP_ADMIN_USER', 'ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD']) delete env[key];
      const args = [join(REPO_ROOT, 'apps', 'cli', 'bin', 'rollgate.js'), '--database-url', db.url, 'up', '--devices', '300', '--exit-when-done', '--nats-url', NATS_URL, '--port-base', String(portBase), '--log-dir', logDir];
      const child = spawn(process.execPath, args, { env });
      let output = '';
      const transcript = createWriteStream(join(logDir, 'up.out'));
      for (const stream of [child.stdout, child.stderr]) {
        stream.on('data', (chunk) => (output += chunk));
        stream.pipe(transcript);
      }
      // Ctrl-C before Jest's own timeout, so that a scenario that hangs fails with its transcript, not a bare timeout.
      const interrupt = setTimeout(() => child.kill('SIGINT'), DEMO_BUDGET_MS);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(interrupt);

      expect({ code, tail: output.slice(-3000) }).toEqual({ code: 0, tail: expect.stringContaining('good build completed, bad build stopped and rolled back') });
      expect(output).toMatch(/== \[\d+:\d{2}\] automatic rollback/);
      // The live view drew the groups with their bars while the rollouts ran.
      expect(output).toMatch(/canary\s+\S+\s+\[[#x~.]{24}\]/);
      const reports = readdirSync(join(logDir, 'demo', 'reports'));
      expect(reports.filter((f) => f.endsWith('.html')).length).toBeGreaterThanOrEqual(3);
      expect(reports.some((f) => /incident/.test(f))).toBe(true);
    } finally {
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    }
  }, DEMO_BUDGET_MS + 60_000);
});

/** Below Linux's ephemeral range (32768+), so outgoing connections of other tests never hold our ports. */
function freePortBase(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}
