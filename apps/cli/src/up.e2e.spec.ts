import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTestNats, createTestDatabase, deleteTestStreams, NATS_URL, testBusNames } from '@rollgate/testing';
import { REPO_ROOT } from './local-stack';

/** The README's main job, as a user runs it: `rollgate up` brings up all five services and reports them. */
describe('rollgate up', () => {
  it('starts all five services, waits until each is ready, prints where they listen, and stops them cleanly', async () => {
    const db = await createTestDatabase('rg_up');
    const names = testBusNames();
    const portBase = 20_000 + Math.floor(Math.random() * 20_000);
    try {
      const env = {
        ...process.env,
        ROLLGATE_SUBJECT_ROOT: names.subjectRoot,
        ROLLGATE_EVENTS_STREAM: names.eventsStream,
        ROLLGATE_TELEMETRY_STREAM: names.telemetryStream,
      };
      const args = [join(REPO_ROOT, 'apps', 'cli', 'bin', 'rollgate.js'), '--database-url', db.url, 'up', '--nats-url', NATS_URL, '--port-base', String(portBase), '--log-dir', mkdtempSync(join(tmpdir(), 'rollgate-up-')), '--exit-when-ready'];
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, args, { env });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('exit', (exitCode) => resolve({ code: exitCode, output }));
      });

      expect(output).not.toContain('failed');
      expect(code).toBe(0);
      const services = ['rollout-planner', 'device-gateway', 'artifact-distributor', 'group-scheduler', 'health-evaluator'];
      services.forEach((name, i) => expect(output).toMatch(new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:${portBase + i}\\s`)));
      services.forEach((name) => expect(output).toMatch(new RegExp(`${name}\\s+exited 0`)));
    } finally {
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    }
  }, 150_000);
});
