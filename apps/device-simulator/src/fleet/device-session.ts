import { hashSeed } from '@rollgate/shared-domain';
import type { PollAnswer } from '../ddi/ddi-types';
import type { HttpAnswer, HttpClient } from '../ddi/http-client';
import { between, type RandomState } from '../profiles/device-random';
import type { ProfileResolver } from '../profiles/device-profile';
import { HttpClient as Client } from '../ddi/http-client';
import { Limiter, type Scheduler } from '../scheduling/scheduler';
import type { DeploymentPlan } from '../deployment/deployment-plan';
import type { DeviceSpec } from './fleet-generator';
import type { DeviceStatus, FleetCounters } from './fleet-stats';

/** An action a device is working on. */
export interface DeploymentJob {
  actionId: string;
  version: string;
  plan: DeploymentPlan;
  phase: 'downloading' | 'downloaded' | 'waiting-window' | 'installing' | 'done';
  abort: AbortController;
  canceled: boolean;
  /** the deploymentBase link, re-read while waiting for the maintenance window */
  href: string;
}

/**
 * Everything one simulated device keeps between requests: a flat record (plus its spec), no timers, sockets or
 * emitters of its own. The fleet's scheduler wakes it; the fleet's agent carries its requests.
 */
export interface SimDevice extends RandomState {
  index: number;
  spec: DeviceSpec;
  /** `<gateway>/<tenant>/controller/v1/<controllerId>` */
  base: string;
  authorization: string;
  status: DeviceStatus;
  /** status to return to when an offline spell ends */
  statusBeforeOffline: DeviceStatus;
  version: string;
  previousVersion?: string;
  etag?: string;
  links?: PollAnswer['_links'];
  sleepMs: number;
  offlineUntil: number;
  bootedAt: number;
  crashLooping: boolean;
  restartsSinceBoot: number;
  job?: DeploymentJob;
  /** the last action this device settled (so a lingering link does not start it again) */
  settledActionId?: string;
  /**
   * the deploymentBase link (with hawkBit's `c`) it ran to the end; undefined after a cancel (final). The server
   * changes `c` when it offers the same action again for another attempt, and that is run.
   */
  settledHref?: string;
  /** how often it has run its current action (a retry is the same action offered again) */
  actionRun?: number;
  confirmedActionId?: string;
  /** after a 429, the device sends nothing before this time (Retry-After applies to the device, not one request) */
  throttledUntil: number;
  /** the poll answer (ETag) whose configData request this device has answered with a 2xx */
  attributesAnsweredFor?: string;
  cancelHandled?: string;
}

/**
 * One kind of traffic with its own keep-alive sockets and its own bound. Polls, writes and downloads are kept
 * apart so that slow writes (a storm of first-contact configData) or long transfers never starve the polling,
 * as on a real fleet where every device has its own connection.
 */
export class RequestPool {
  readonly http: HttpClient;
  readonly limiter: Limiter;

  constructor(maxSockets: number, timeoutMs: number) {
    this.http = new Client({ maxSockets, timeoutMs });
    this.limiter = new Limiter(maxSockets);
  }

  run<T>(work: (http: HttpClient) => Promise<T>): Promise<T> {
    return this.limiter.run(() => work(this.http));
  }

  /** Fails queued requests at once and closes the sockets (requests in flight end with an error). */
  close(): void {
    this.limiter.close();
    this.http.close();
  }
}

/** What the device-side code needs from the fleet: time, sockets, profiles, counters and reporting. */
export interface FleetContext {
  seed: string | number;
  gatewayOrigin: string;
  scheduler: Scheduler;
  /** GETs: polls, deploymentBase, cancelAction, confirmationBase */
  reads: RequestPool;
  /** feedback, configData, health */
  writes: RequestPool;
  downloads: RequestPool;
  profiles: ProfileResolver;
  counters: FleetCounters;
  countStatus(status: number): void;
  setStatus(device: SimDevice, status: DeviceStatus): void;
  setVersion(device: SimDevice, version: string): void;
  settle(device: SimDevice, actionId: string, outcome: import('./fleet-stats').ActionOutcome, version: string): void;
  readonly stopped: boolean;
}

/**
 * A random state for one decision about one action: derived from (seed, device, purpose, action) rather than
 * drawn from the device's running state, so an action's outcome is the same whatever number of polls, offline
 * spells or telemetry samples came before it.
 */
export function decisionRandom(seed: string | number, controllerId: string, purpose: string, actionId: string): RandomState {
  return { rng: hashSeed(`${seed}\u0000${controllerId}\u0000${purpose}\u0000${actionId}`) };
}

export interface SendOptions {
  method?: string;
  body?: unknown;
  etag?: string;
}

/**
 * One DDI request from a device: its own latency first (think time, not holding a socket), then a slot in the
 * fleet's limiter, then the request with the device's credentials. Network errors count and yield undefined.
 */
export async function send(context: FleetContext, device: SimDevice, url: string, options: SendOptions = {}): Promise<HttpAnswer | undefined> {
  const profile = context.profiles.profileFor(device.spec.deviceType, device.spec.region, device.version);
  const latency = between(device, profile.latencyMs);
  if (latency >= 1 && !(await context.scheduler.sleep(latency))) return undefined;
  const throttled = device.throttledUntil - context.scheduler.clock.now();
  if (throttled > 0 && !(await context.scheduler.sleep(throttled))) return undefined;
  if (context.stopped) return undefined;
  const headers: Record<string, string> = { authorization: device.authorization, accept: 'application/hal+json, application/json' };
  if (options.etag !== undefined) headers['if-none-match'] = options.etag;
  try {
    const method = options.method ?? 'GET';
    const pool = method === 'GET' ? context.reads : context.writes;
    const answer = await pool.run((http) => http.request(url, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) }));
    context.countStatus(answer.status);
    if (answer.status === 429) {
      context.counters.throttled++;
      const now = context.scheduler.clock.now();
      device.throttledUntil = Math.max(device.throttledUntil, now + (retryAfterMs(answer, now) ?? 1_000));
    }
    return answer;
  } catch {
    if (!context.stopped) context.counters.networkErrors++;
    return undefined;
  }
}

/** Parses a JSON answer; a malformed one is counted, never thrown at the device loop. */
export function json<T>(context: FleetContext, answer: HttpAnswer): T | undefined {
  try {
    return JSON.parse(answer.body.toString('utf8')) as T;
  } catch {
    context.counters.malformedAnswers++;
    return undefined;
  }
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(answer: HttpAnswer, now: number): number | undefined {
  const value = answer.headers['retry-after'];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type PostResult = 'ok' | 'gone' | 'refused' | 'unreachable';

/**
 * Feedback must arrive: 429, 5xx and network errors are retried (Retry-After honoured, else backoff), up to
 * five attempts; 404/410 mean the server no longer has the action active.
 */
export async function postWithRetry(context: FleetContext, device: SimDevice, url: string, body: unknown): Promise<PostResult> {
  let delayMs = 500;
  for (let attempt = 1; attempt <= 5; attempt++) {
    const answer = await send(context, device, url, { method: 'POST', body });
    if (context.stopped) return 'unreachable';
    if (answer && answer.status >= 200 && answer.status < 300) return 'ok';
    if (answer && (answer.status === 404 || answer.status === 410)) return 'gone';
    if (answer && answer.status !== 429 && answer.status < 500) return 'refused';
    // After a 429 the device's own throttle (in send) already waits Retry-After; otherwise back off.
    const wait = answer?.status === 429 ? 0 : delayMs;
    delayMs *= 2;
    if (!(await context.scheduler.sleep(wait))) return 'unreachable';
  }
  return 'unreachable';
}

/** The action behind this link was run to its end already, and the link does not offer another attempt. */
export function alreadySettled(device: Pick<SimDevice, 'settledActionId' | 'settledHref'>, actionId: string | undefined, href: string): boolean {
  return actionId !== undefined && device.settledActionId === actionId && (device.settledHref === undefined || device.settledHref === href);
}
