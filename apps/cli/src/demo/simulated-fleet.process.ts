import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../local-stack';

/** The simulator's stats line (apps/device-simulator prints one JSON object per line). */
export interface FleetStatsLine {
  event: string;
  byVersion?: Record<string, number>;
  [key: string]: unknown;
}

export interface FleetProcessOptions {
  gatewayUrl: string;
  plannerUrl: string;
  tenant: string;
  user: string;
  password: string;
  devices: number;
  prefix: string;
  seed: string;
  /** `<version>[:<deviceType>]` builds that misbehave after install */
  badBuilds: string[];
  /** each device's health sample interval */
  telemetryIntervalMs: number;
  logFile: string;
  fleetFile: string;
  /** a JSON file of FleetProfiles overrides (the simulator's `--profiles`); the simulator's defaults without it */
  profilesFile?: string;
}

/**
 * The simulated fleet as its own process (the simulator's CLI): apps meet only through HTTP, so the main job
 * runs the simulator the way an operator would, registering the devices through the Management API first.
 */
export class SimulatedFleetProcess {
  private latest: FleetStatsLine | undefined;
  private readonly started: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.started = new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const parsed = parseLine(line);
        if (!parsed) return;
        if (parsed.event === 'started') resolve();
        if (parsed.event === 'stats' || parsed.event === 'stopped') this.latest = parsed;
      });
      child.once('exit', (code) => reject(new Error(`the device simulator exited with code ${code} before its fleet started`)));
    });
  }

  static start(o: FleetProcessOptions): SimulatedFleetProcess {
    const args = [
      join(REPO_ROOT, 'dist', 'apps', 'device-simulator', 'src', 'main.js'),
      '--gateway', o.gatewayUrl, '--tenant', o.tenant, '--devices', String(o.devices), '--prefix', o.prefix, '--seed', o.seed,
      '--register', o.plannerUrl, '--fleet-file', o.fleetFile,
      '--telemetry-interval', String(o.telemetryIntervalMs), '--min-poll', '1000', '--stats-interval', '1', '--max-sockets', '128',
      ...o.badBuilds.flatMap((b) => ['--bad-build', b]),
      ...(o.profilesFile !== undefined ? ['--profiles', o.profilesFile] : []),
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ROLLGATE_PLANNER_USER: o.user, ROLLGATE_PLANNER_PASSWORD: o.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(o.logFile, { flags: 'w' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new SimulatedFleetProcess(child);
  }

  /** Resolves once every device is registered and polling. */
  ready(): Promise<void> {
    return this.started;
  }

  /** Devices per running build, as the devices themselves report it. */
  versions(): Record<string, number> {
    return this.latest?.byVersion ?? {};
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** SIGTERM (the simulator stops its devices cleanly), SIGKILL after the grace period. */
  stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}

function parseLine(line: string): FleetStatsLine | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as FleetStatsLine).event === 'string' ? (value as FleetStatsLine) : undefined;
  } catch {
    return undefined;
  }
}
