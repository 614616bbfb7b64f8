import { EventEmitter } from 'node:events';
import { actionIdOfLink, parsePollingSleep, type PollAnswer } from '../ddi/ddi-types';
import { DEFAULT_PROFILES } from '../profiles/default-profiles';
import { between, chance, deviceSeed, draw } from '../profiles/device-random';
import { ProfileResolver, type FleetProfiles } from '../profiles/device-profile';
import { Scheduler, systemClock, type Clock } from '../scheduling/scheduler';
import { healthSample } from '../telemetry/health-sample';
import { handleCancel, handleConfirmation, recheckWindow, startDeployment } from './deployment-runner';
import { alreadySettled, json, postWithRetry, retryAfterMs, RequestPool, send, type FleetContext, type SimDevice } from './device-session';
import type { DeviceSpec } from './fleet-generator';
import { ACTION_OUTCOMES, DEVICE_STATUSES, RateWindow, emptyCounters, zeroed, type ActionOutcome, type ActionSettled, type DeviceStatus, type FleetStats } from './fleet-stats';

export interface FleetOptions {
  /** device-gateway's base URL, e.g. http://127.0.0.1:8081 */
  gatewayUrl: string;
  tenant: string;
  devices: readonly DeviceSpec[];
  profiles?: FleetProfiles;
  seed?: string | number;
  /** `target-token`: each device's securityToken; `gateway-token`: the tenant's gateway token for all */
  auth: 'target-token' | 'gateway-token';
  gatewayToken?: string;
  /** build running before the simulation, for devices whose spec has none */
  initialVersion?: string;
  /**
   * Sockets (= requests in flight) for the whole fleet, per kind of traffic: reads (polls and other GETs),
   * writes (feedback, configData, health) and downloads each get this many; default 128.
   */
  maxSockets?: number;
  requestTimeoutMs?: number;
  /** first polls spread over this long (a fleet does not boot in one millisecond); default 1 s */
  startSpreadMs?: number;
  /** the server's polling sleep is clamped into [minPollMs, maxPollMs]; defaults 0 and 1 h */
  minPollMs?: number;
  maxPollMs?: number;
  /** health telemetry every this many ms per device; 0 = none (default) */
  telemetryIntervalMs?: number;
  clock?: Clock;
}

export interface DeviceView {
  controllerId: string;
  deviceType: string;
  region: string;
  status: DeviceStatus;
  version: string;
  crashLooping: boolean;
  currentActionId?: string;
  lastSettled?: ActionSettled;
}

export interface FleetHandle {
  stats(): FleetStats;
  device(controllerId: string): DeviceView | undefined;
  /** resolves once `predicate(stats)` holds; rejects after `timeoutMs` with the last stats in the message */
  waitFor(predicate: (stats: FleetStats) => boolean, timeoutMs?: number): Promise<FleetStats>;
  /** resolves with the settlements once `count` actions settled (optionally: only these outcomes count) */
  waitForSettled(count: number, options?: { outcomes?: readonly ActionOutcome[]; timeoutMs?: number }): Promise<ActionSettled[]>;
  on(event: 'action-settled', listener: (settled: ActionSettled) => void): this;
  off(event: 'action-settled', listener: (settled: ActionSettled) => void): this;
  stop(): Promise<void>;
}

const DEFAULT_SLEEP_MS = 5 * 60_000;
const UNAUTHORIZED_RETRY_MS = 60_000;

class Fleet extends EventEmitter implements FleetHandle, FleetContext {
  readonly seed: string | number;
  readonly gatewayOrigin: string;
  readonly scheduler: Scheduler;
  readonly reads: RequestPool;
  readonly writes: RequestPool;
  readonly downloads: RequestPool;
  readonly profiles: ProfileResolver;
  readonly counters = emptyCounters();
  private readonly devices: SimDevice[];
  private readonly byId = new Map<string, SimDevice>();
  private readonly byStatus = zeroed(DEVICE_STATUSES);
  private readonly byVersion = new Map<string, number>();
  private readonly outcomes = zeroed(ACTION_OUTCOMES);
  private readonly httpStatus = new Map<number, number>();
  private readonly lastSettled = new Map<string, ActionSettled>();
  private readonly settledLog: ActionSettled[] = [];
  private readonly pollRate = new RateWindow();
  private readonly waiters = new Set<() => void>();
  private readonly startedAt: number;
  private readonly sampler: NodeJS.Timeout;
  private readonly running = new Set<Promise<void>>();
  private changeQueued = false;
  private stopping = false;

  constructor(private readonly options: FleetOptions) {
    super();
    this.setMaxListeners(0);
    this.seed = options.seed ?? 1;
    const gateway = new URL(options.gatewayUrl);
    this.gatewayOrigin = gateway.origin;
    this.scheduler = new Scheduler(options.clock ?? systemClock);
    const maxSockets = options.maxSockets ?? 128;
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.reads = new RequestPool(maxSockets, timeoutMs);
    this.writes = new RequestPool(maxSockets, timeoutMs);
    this.downloads = new RequestPool(maxSockets, timeoutMs);
    this.profiles = new ProfileResolver(options.profiles ?? DEFAULT_PROFILES);
    if (options.auth === 'gateway-token' && !options.gatewayToken) throw new Error('auth gateway-token needs gatewayToken');
    const root = `${options.gatewayUrl.replace(/\/$/, '')}/${encodeURIComponent(options.tenant)}/controller/v1/`;
    this.startedAt = this.scheduler.clock.now();
    this.devices = options.devices.map((spec, index) => this.createDevice(spec, index, root));
    this.sampler = setInterval(() => this.pollRate.sample(this.scheduler.clock.now(), this.counters.polls), 1_000);
    this.sampler.unref();
    this.pollRate.sample(this.startedAt, 0);
  }

  get stopped(): boolean {
    return this.stopping;
  }

  private createDevice(spec: DeviceSpec, index: number, root: string): SimDevice {
    if (this.byId.has(spec.controllerId)) throw new Error(`controllerId ${spec.controllerId} is listed twice`);
    if (this.options.auth === 'target-token' && !spec.securityToken) throw new Error(`device ${spec.controllerId} has no securityToken (auth target-token)`);
    const version = spec.installedVersion ?? this.options.initialVersion ?? 'unknown';
    const device: SimDevice = {
      index,
      spec,
      rng: deviceSeed(this.seed, spec.controllerId),
      base: `${root}${encodeURIComponent(spec.controllerId)}`,
      authorization: this.options.auth === 'target-token' ? `TargetToken ${spec.securityToken}` : `GatewayToken ${this.options.gatewayToken}`,
      status: 'idle',
      statusBeforeOffline: 'idle',
      version,
      sleepMs: DEFAULT_SLEEP_MS,
      offlineUntil: 0,
      throttledUntil: 0,
      bootedAt: this.startedAt,
      crashLooping: false,
      restartsSinceBoot: 0,
    };
    this.byId.set(spec.controllerId, device);
    this.byStatus.idle++;
    this.byVersion.set(version, (this.byVersion.get(version) ?? 0) + 1);
    return device;
  }

  start(): void {
    const spread = this.options.startSpreadMs ?? 1_000;
    const telemetry = this.options.telemetryIntervalMs ?? 0;
    for (const device of this.devices) {
      this.scheduler.after(draw(device) * spread, (stopped) => this.wake(device, stopped, 'poll'));
      if (telemetry > 0) this.scheduler.after(spread + draw(device) * telemetry, (stopped) => this.wake(device, stopped, 'health'));
    }
  }

  /** Runs one device task and keeps track of it, so stop() can wait for the fleet to go quiet. */
  private wake(device: SimDevice, stopped: boolean, task: 'poll' | 'health'): void {
    if (stopped || this.stopping) return;
    this.track(task === 'poll' ? this.poll(device) : this.sendHealth(device));
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => {
      this.counters.taskErrors++;
    });
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  private async poll(device: SimDevice): Promise<void> {
    const now = this.scheduler.clock.now();
    const profile = this.profiles.profileFor(device.spec.deviceType, device.spec.region, device.version);
    if (device.status === 'offline') this.setStatus(device, device.statusBeforeOffline);
    if (chance(device, profile.offlineShare) && !device.job) {
      device.statusBeforeOffline = device.status;
      this.setStatus(device, 'offline');
      device.offlineUntil = now + between(device, profile.offlinePeriodMs);
      this.scheduler.at(device.offlineUntil, (stopped) => this.wake(device, stopped, 'poll'));
      return;
    }
    let next = this.clampSleep(device.sleepMs);
    try {
      next = await this.pollOnce(device);
    } finally {
      // Even after an unexpected error (counted by track) the device polls again: one bad answer must not end it.
      if (!this.stopping) this.scheduler.after(next, (stopped) => this.wake(device, stopped, 'poll'));
    }
  }

  /** One poll and what its links ask for; returns the delay until the next poll. */
  private async pollOnce(device: SimDevice): Promise<number> {
    const answer = await send(this, device, device.base, { etag: device.etag });
    const jittered = () => this.clampSleep(device.sleepMs) * (0.9 + draw(device) * 0.2);
    if (!answer) return jittered();
    this.counters.polls++;
    if (answer.status === 304) {
      this.counters.pollsNotModified++;
      await this.followLinks(device, device.links, false);
      return jittered();
    }
    if (answer.status === 401 || answer.status === 403) {
      this.setStatus(device, 'unauthorized');
      return Math.max(UNAUTHORIZED_RETRY_MS, this.clampSleep(device.sleepMs));
    }
    if (answer.status === 429) return retryAfterMs(answer, this.scheduler.clock.now()) ?? jittered();
    if (answer.status !== 200) return jittered();
    const body = json<PollAnswer>(this, answer);
    if (!body) return jittered();
    if (device.status === 'unauthorized') this.setStatus(device, 'idle');
    device.sleepMs = parsePollingSleep(body.config?.polling?.sleep) ?? device.sleepMs;
    const etag = answer.headers.etag;
    device.etag = typeof etag === 'string' ? etag : undefined;
    device.links = body._links;
    await this.followLinks(device, body._links, true);
    return jittered();
  }

  private clampSleep(sleepMs: number): number {
    return Math.min(this.options.maxPollMs ?? 3_600_000, Math.max(this.options.minPollMs ?? 0, sleepMs));
  }

  private async followLinks(device: SimDevice, links: PollAnswer['_links'], fresh: boolean): Promise<void> {
    if (!links) return;
    const resolve = (href: string) => new URL(href, this.gatewayOrigin).toString();
    // The server asks for attributes with this link: answer it once per poll answer that carries it, and again
    // after a refusal (e.g. 429) even when the next poll is a 304 of the same answer.
    if (links.configData && (fresh || device.attributesAnsweredFor !== device.etag)) await this.sendAttributes(device);
    if (links.cancelAction && device.cancelHandled !== links.cancelAction.href) {
      device.cancelHandled = links.cancelAction.href;
      await handleCancel(this, device, resolve(links.cancelAction.href));
    }
    if (links.confirmationBase) await handleConfirmation(this, device, resolve(links.confirmationBase.href));
    const deployment = links.deploymentBase;
    if (!deployment) return;
    const job = device.job;
    if (job?.phase === 'waiting-window') {
      this.track(recheckWindow(this, device, job));
      return;
    }
    if (job) return;
    const href = resolve(deployment.href);
    // A settled action whose link lingers (the server has not processed the last feedback yet) is not rerun;
    // the same action offered for another attempt (a new `c`) is.
    if (alreadySettled(device, actionIdOfLink(href), href)) return;
    this.track(startDeployment(this, device, href));
  }

  private async sendAttributes(device: SimDevice): Promise<void> {
    const { spec } = device;
    const body = {
      mode: 'merge',
      // free_disk_bytes is what device-gateway's pre-deploy check reads (docs/event-flow.md); freeDiskMb is for people.
      data: { deviceType: spec.deviceType, region: spec.region, architecture: spec.architecture, freeDiskMb: String(spec.freeDiskMb), free_disk_bytes: String(spec.freeDiskMb * 1024 * 1024), runningVersion: device.version },
    };
    const etag = device.etag;
    const answer = await send(this, device, `${device.base}/configData`, { method: 'PUT', body });
    if (answer && answer.status >= 200 && answer.status < 300) {
      this.counters.configDataSent++;
      device.attributesAnsweredFor = etag;
    } else {
      device.attributesAnsweredFor = undefined;
    }
  }

  private async sendHealth(device: SimDevice): Promise<void> {
    const interval = this.options.telemetryIntervalMs ?? 0;
    try {
      // Telemetry is lossy by design: a sample due while the server throttles this device is dropped, not queued.
      if (device.status !== 'offline' && device.status !== 'unauthorized' && device.throttledUntil <= this.scheduler.clock.now()) {
        const now = this.scheduler.clock.now();
        const profile = this.profiles.profileFor(device.spec.deviceType, device.spec.region, device.version);
        const sample = healthSample(profile, { deviceType: device.spec.deviceType, runningVersion: device.version, uptimeMs: now - device.bootedAt, crashLooping: device.crashLooping }, device, now);
        this.applyRestarts(device, sample.restarts, profile.fallbackAfterRestarts, now);
        const result = await postWithRetry(this, device, `${device.base}/health`, sample);
        if (result === 'ok') this.counters.healthSent++;
      }
    } finally {
      if (!this.stopping) this.scheduler.after(interval, (stopped) => this.wake(device, stopped, 'health'));
    }
  }

  /** A crash-looping device whose build keeps failing boots back into its previous slot (A/B fallback). */
  private applyRestarts(device: SimDevice, restarts: number, fallbackAfter: number, now: number): void {
    if (!device.crashLooping) return;
    device.restartsSinceBoot += restarts;
    if (fallbackAfter > 0 && device.restartsSinceBoot >= fallbackAfter && device.previousVersion !== undefined) {
      const previous = device.previousVersion;
      device.previousVersion = device.version;
      this.setVersion(device, previous);
      device.crashLooping = false;
      device.restartsSinceBoot = 0;
      device.bootedAt = now;
      this.counters.fallbacks++;
      this.changed();
    }
  }

  countStatus(status: number): void {
    this.httpStatus.set(status, (this.httpStatus.get(status) ?? 0) + 1);
  }

  setStatus(device: SimDevice, status: DeviceStatus): void {
    if (device.status === status) return;
    this.byStatus[device.status]--;
    this.byStatus[status]++;
    device.status = status;
    this.changed();
  }

  setVersion(device: SimDevice, version: string): void {
    if (device.version === version) return;
    this.byVersion.set(device.version, (this.byVersion.get(device.version) ?? 1) - 1);
    if (this.byVersion.get(device.version) === 0) this.byVersion.delete(device.version);
    this.byVersion.set(version, (this.byVersion.get(version) ?? 0) + 1);
    device.version = version;
    this.changed();
  }

  settle(device: SimDevice, actionId: string, outcome: ActionOutcome, version: string): void {
    const settled: ActionSettled = { controllerId: device.spec.controllerId, actionId, outcome, version };
    this.outcomes[outcome]++;
    this.lastSettled.set(device.spec.controllerId, settled);
    this.settledLog.push(settled);
    this.emit('action-settled', settled);
    this.changed();
  }

  /** Waiters are re-checked once per turn of the event loop, however many devices changed in it. */
  private changed(): void {
    if (this.changeQueued || this.waiters.size === 0) return;
    this.changeQueued = true;
    setImmediate(() => {
      this.changeQueued = false;
      for (const check of [...this.waiters]) check();
    });
  }

  stats(): FleetStats {
    return {
      ...this.counters,
      devices: this.devices.length,
      byStatus: { ...this.byStatus },
      byVersion: Object.fromEntries(this.byVersion),
      outcomes: { ...this.outcomes },
      httpStatus: Object.fromEntries([...this.httpStatus].map(([status, count]) => [String(status), count])),
      pollsPerSecond: Math.round(this.pollRate.perSecond()),
      inFlight: this.reads.limiter.inFlight + this.writes.limiter.inFlight + this.downloads.limiter.inFlight,
      queued: this.reads.limiter.waiting + this.writes.limiter.waiting + this.downloads.limiter.waiting,
      uptimeMs: this.scheduler.clock.now() - this.startedAt,
    };
  }

  device(controllerId: string): DeviceView | undefined {
    const device = this.byId.get(controllerId);
    if (!device) return undefined;
    const lastSettled = this.lastSettled.get(controllerId);
    return {
      controllerId,
      deviceType: device.spec.deviceType,
      region: device.spec.region,
      status: device.status,
      version: device.version,
      crashLooping: device.crashLooping,
      ...(device.job ? { currentActionId: device.job.actionId } : {}),
      ...(lastSettled ? { lastSettled } : {}),
    };
  }

  waitFor(predicate: (stats: FleetStats) => boolean, timeoutMs = 60_000): Promise<FleetStats> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const stats = this.stats();
        if (!predicate(stats)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        clearInterval(ticker);
        resolve(stats);
      };
      // Counters (polls, bytes) change without a status change: look again every 50 ms as well.
      const ticker = setInterval(check, 50);
      const timer = setTimeout(() => {
        clearInterval(ticker);
        this.waiters.delete(check);
        const { byStatus, outcomes, byVersion, polls, httpStatus } = this.stats();
        reject(new Error(`fleet condition not met within ${timeoutMs} ms: ${JSON.stringify({ byStatus, outcomes, byVersion, polls, httpStatus })}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async waitForSettled(count: number, options: { outcomes?: readonly ActionOutcome[]; timeoutMs?: number } = {}): Promise<ActionSettled[]> {
    const counted = (s: ActionSettled) => !options.outcomes || options.outcomes.includes(s.outcome);
    await this.waitFor(() => this.settledLog.filter(counted).length >= count, options.timeoutMs);
    return this.settledLog.filter(counted);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.sampler);
    this.scheduler.stop();
    for (const device of this.devices) device.job?.abort.abort();
    // Closing the pools first fails queued requests and ends those in flight at once, instead of draining them.
    for (const pool of [this.reads, this.writes, this.downloads]) pool.close();
    await Promise.allSettled([...this.running]);
  }
}

/** Starts a simulated fleet speaking DDI to device-gateway; see FleetOptions and FleetHandle. */
export function startFleet(options: FleetOptions): FleetHandle {
  const fleet = new Fleet(options);
  fleet.start();
  return fleet;
}
