import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { AttributesMode, AutoConfirmation, TargetCommand } from '@rollgate/catalog-domain';
import { installHttpTracing, toHttpError } from '@rollgate/service-kit';
import { DEVICE_ATTRIBUTE_REGION, type RegionalLinks } from '../artifacts/regional-links';
import type { GatewayConfig } from '../config';
import { normalizeAddress } from '../config';
import { authenticateDevice, type AuthMethod } from '../auth/device-auth';
import {
  cancelAnswer, confirmationAnswer, DEFAULT_POLLING, deploymentAnswer, etagOf, installedAnswer, mayDownload, pollAnswer, pollingSleep, type ArtifactLinks, type PollingSettings,
} from '../ddi/ddi-answers';
import { AutoConfirmer, autoConfirmSource } from '../ddi/auto-confirmer';
import { readActivateAutoConfirm, readConfigData, readConfirmation, readFeedback } from '../ddi/ddi-bodies';
import { preDeployCheck } from '../ddi/pre-deploy-checks';
import { actionSettings, cancelPending, isOpen, offeredAction, statusOf, type ActionEntry, type DeviceEntry, type GatewayMemory, type TenantMemory } from '../memory/gateway-memory';
import type { LastSeenRecorder } from '../memory/last-seen.recorder';
import { readSamples, type TelemetryPublisher } from '../telemetry/telemetry.publisher';
import type { ActionCommands } from '../writes/action-commands';
import type { TargetWrites } from '../writes/target-writes';
import type { RateLimiter } from './rate-limiter';

export interface DdiDependencies {
  memory: GatewayMemory;
  actions: ActionCommands;
  targets: TargetWrites;
  telemetry: TelemetryPublisher;
  lastSeen: LastSeenRecorder;
  limiter: RateLimiter;
  config: GatewayConfig;
  /** download links for one device (`base`: its DDI URL) */
  links(tenant: string, base: string): ArtifactLinks;
  /** links to the device's region, from artifact-distributor */
  regional: RegionalLinks;
  clock(): number;
  log(message: string): void;
}

/** Rollgate's tenant keys besides hawkBit's: unknown devices register themselves on first contact. */
export const AUTO_REGISTRATION_KEY = 'target.autoregistration.enabled';
const CONFIRMATION_FLOW_KEY = 'user.confirmation.flow.enabled';
const ACTION_ID = /^[1-9][0-9]{0,15}$/;

/** An answer other than 200 with a stable code, as every Rollgate API error. */
export class DdiHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface DeviceContext {
  tenant: string;
  controllerId: string;
  memory: TenantMemory;
  device: DeviceEntry;
  method: AuthMethod;
  base: string;
}

type Params = { tenant: string; controllerId: string; actionId?: string; moduleId?: string; fileName?: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Record<string, string | undefined> }>;

/** The authenticated device, on the request itself (a WeakMap entry per request is extra work for the GC). */
const DEVICE_CONTEXT = Symbol('rollgate.ddi-device');
type AuthenticatedReq = Req & { [DEVICE_CONTEXT]?: DeviceContext };

/**
 * hawkBit's Direct Device Integration API under `/{tenant}/controller/v1/{controllerId}`, answered from
 * memory. Plain Fastify routes in their own encapsulated context (own JSON parsers, body limit, error
 * answers): a poll is the hot path, and Nest's per-request pipeline would cost more than the answer itself.
 */
export function ddiRoutes(deps: DdiDependencies) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.config.maxBodyBytes }, (_req, body, done) => {
      const text = body as string;
      if (text.trim().length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(new ValidationError(`malformed JSON: ${(error as Error).message}`, [], 'malformed_json'), undefined);
      }
    });
    app.setErrorHandler((error, _request, reply) => sendError(reply, error, deps));
    app.setNotFoundHandler((_request, reply) => sendError(reply, new DdiHttpError(404, 'not_found', 'no such DDI resource'), deps));

    const h = new DdiHandlers(deps);
    // hawkBit's auto-confirmation: waiting actions of auto-confirming targets are confirmed as the log says so.
    const autoConfirmer = new AutoConfirmer(deps.memory, deps.actions, deps.log);
    autoConfirmer.start();
    app.addHook('onClose', async () => autoConfirmer.stop());
    // Before the body is read: an unauthenticated or throttled request costs no parsing at all.
    app.addHook('onRequest', (req, _reply, done) => h.authenticate(req as Req, done));
    // What a fleet sends most runs without a span: the poll (answered from memory, a span was a third of its
    // CPU) and progress feedback (a span was a twelfth of its CPU, and the traceparent goes no further: the
    // gateway's events do not carry one).
    app.get('/', (req: Req, reply) => h.poll(req, reply));
    app.post('/deploymentBase/:actionId/feedback', (req: Req, reply) => h.deploymentFeedback(req, reply));
    // Every other request runs in a SERVER span of its own, as the service kit's routes do.
    await app.register(async (traced) => {
      installHttpTracing(traced);
      traced.get('/deploymentBase/:actionId', (req: Req, reply) => h.deploymentBase(req, reply));
      traced.get('/cancelAction/:actionId', (req: Req, reply) => h.cancelAction(req, reply));
      traced.post('/cancelAction/:actionId/feedback', (req: Req, reply) => h.cancelFeedback(req, reply));
      traced.get('/installedBase/:actionId', (req: Req, reply) => h.installedBase(req, reply));
      traced.put('/configData', (req: Req, reply) => h.configData(req, reply));
      traced.get('/confirmationBase', (req: Req, reply) => h.confirmationBase(req, reply));
      // Registered before `confirmationBase/:actionId`'s feedback route; Fastify prefers the static segments.
      traced.post('/confirmationBase/activateAutoConfirm', (req: Req, reply) => h.activateAutoConfirm(req, reply));
      traced.post('/confirmationBase/deactivateAutoConfirm', (req: Req, reply) => h.deactivateAutoConfirm(req, reply));
      traced.get('/confirmationBase/:actionId', (req: Req, reply) => h.confirmationAction(req, reply));
      traced.post('/confirmationBase/:actionId/feedback', (req: Req, reply) => h.confirmationFeedback(req, reply));
      traced.get('/softwaremodules/:moduleId/artifacts', (req: Req, reply) => h.artifacts(req, reply));
      traced.get('/softwaremodules/:moduleId/artifacts/:fileName', (req: Req, reply) => h.download(req, reply));
      traced.post('/health', (req: Req, reply) => h.health(req, reply));
    });
  };
}

class DdiHandlers {
  constructor(private readonly deps: DdiDependencies) {}

  async poll(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const sleep = pollingSleep(offeredAction(ctx.device), pollingSettings(ctx.memory), this.deps.clock());
    const body = JSON.stringify(pollAnswer(ctx.base, ctx.device, sleep, this.asksConsent(ctx)));
    const etag = etagOf(body);
    reply.header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(contentType(req)).send(body);
  }

  async deploymentBase(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    if (!isOpen(action)) throw closed(action);
    if (action.state.status === 'INITIAL' || action.state.status === 'SCHEDULED') {
      const failure = preDeployCheck(ctx.memory, ctx.device, action);
      if (failure) {
        await this.deps.actions.run(action, (at) => ({ type: 'reject-action', check: failure.check, reason: failure.reason, at }), this.options(ctx));
        throw new DdiHttpError(410, 'action_rejected', `the update cannot go to this device: ${failure.reason}`);
      }
      const autoConfirm = ctx.device.autoConfirm;
      if (action.state.status === 'INITIAL' && this.confirmationFlow(ctx) && autoConfirm) {
        // hawkBit at assignment: created waiting for consent and confirmed at once, in one append.
        await this.deps.actions.run(action, (at) => ({ type: 'auto-confirm-action', autoConfirm: autoConfirmSource(autoConfirm), at }), this.options(ctx));
      } else if (!this.awaitsConfirmation(ctx, action)) {
        await this.deps.actions.run(action, (at) => ({ type: 'retrieve-action', at }), this.options(ctx));
      }
    }
    const answer = deploymentAnswer(ctx.memory, action, this.deps.clock(), await this.linksFor(ctx, settingsModules(ctx, action)), historyCount(req));
    return reply.type(contentType(req)).send(answer);
  }

  async deploymentFeedback(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    const feedback = readFeedback(req.body);
    await this.deps.actions.run(action, (at) => ({ type: 'report-action-feedback', feedback, at }), this.options(ctx));
    return reply.code(200).send();
  }

  async cancelAction(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    if (!cancelPending(action) && statusOf(action) !== 'CANCELED') throw new DdiHttpError(404, 'cancel_not_found', `action ${action.actionId} has no cancellation`);
    return reply.type(contentType(req)).send(cancelAnswer(action));
  }

  async cancelFeedback(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    const feedback = readFeedback(req.body);
    await this.deps.actions.run(action, (at) => ({ type: 'report-cancel-feedback', feedback, at }), this.options(ctx));
    return reply.code(200).send();
  }

  async installedBase(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    if (statusOf(action) !== 'FINISHED') throw new DdiHttpError(404, 'installed_action_not_found', `action ${action.actionId} did not install anything`);
    return reply.type(contentType(req)).send(installedAnswer(ctx.memory, action, this.deps.clock(), await this.linksFor(ctx, settingsModules(ctx, action)), historyCount(req)));
  }

  async configData(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const { mode, data } = readConfigData(req.body);
    await this.deps.targets.updateAttributes(ctx.tenant, ctx.controllerId, mode as AttributesMode, data);
    return reply.code(200).send();
  }

  async confirmationBase(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = offeredAction(ctx.device);
    const waiting = action !== undefined && this.awaitsConfirmation(ctx, action) ? action : undefined;
    return reply.type(contentType(req)).send(confirmationBaseAnswer(ctx.base, ctx.device.autoConfirm, waiting?.actionId));
  }

  /** The device switches its own auto-confirmation on (hawkBit: 200; 409 while already active). */
  async activateAutoConfirm(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const { initiator, remark } = readActivateAutoConfirm(req.body);
    await this.targetCommand(ctx, (at) => ({ type: 'activate-auto-confirm', initiator, remark, by: `device:${ctx.controllerId}`, at }));
    return reply.code(200).send();
  }

  /** ... and off: actions already confirmed stay so; the next ones wait for consent again. */
  async deactivateAutoConfirm(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    // Not active: hawkBit answers 200 and changes nothing (the decider would decide no event, and TargetWrites
    // does not take an empty append). Memory may lag an operator's activation by a poll interval of the log.
    if (ctx.device.autoConfirm) await this.targetCommand(ctx, (at) => ({ type: 'deactivate-auto-confirm', by: `device:${ctx.controllerId}`, at }));
    return reply.code(200).send();
  }

  async confirmationAction(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    if (!isOpen(action)) throw closed(action);
    return reply.type(contentType(req)).send(confirmationAnswer(ctx.memory, action, this.deps.clock(), await this.linksFor(ctx, settingsModules(ctx, action))));
  }

  async confirmationFeedback(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const action = this.ownAction(ctx, req.params.actionId);
    const answer = readConfirmation(req.body);
    await this.deps.actions.run(action, (at) => ({ type: 'confirm-action', ...answer, at }), { confirmationRequired: true });
    return reply.code(200).send();
  }

  async artifacts(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const moduleId = req.params.moduleId ?? '';
    const module = ctx.memory.modules.get(moduleId);
    if (!module || !mayDownload(ctx.memory, ctx.device, moduleId)) throw new DdiHttpError(404, 'artifact_not_found', 'no such software module among your open actions');
    const links = await this.linksFor(ctx, [moduleId]);
    const list = [...module.artifacts].flatMap(([fileName, sha256]) => {
      const stored = ctx.memory.artifacts.get(sha256);
      if (!stored) return [];
      const link = links.download(moduleId, { ...stored, fileName });
      return [{ filename: fileName, size: stored.size, hashes: { sha1: stored.sha1, md5: stored.md5, sha256: stored.sha256 }, _links: { 'download-http': { href: link.href }, 'md5sum-http': { href: link.md5sumHref } } }];
    });
    return reply.type(contentType(req)).send(list);
  }

  /** Downloads are delegated to artifact-distributor: a redirect to a signed link, only for the device's own open actions. */
  async download(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const moduleId = req.params.moduleId ?? '';
    const requested = req.params.fileName ?? '';
    const md5 = requested.endsWith('.MD5SUM');
    const fileName = md5 ? requested.slice(0, -'.MD5SUM'.length) : requested;
    const sha256 = ctx.memory.modules.get(moduleId)?.artifacts.get(fileName);
    const stored = sha256 ? ctx.memory.artifacts.get(sha256) : undefined;
    // Another device's artifact and a missing one answer alike: nothing about other devices leaks.
    if (!stored || !mayDownload(ctx.memory, ctx.device, moduleId)) throw new DdiHttpError(404, 'artifact_not_found', 'no such artifact among your open actions');
    if (!this.deps.config.linkSecret || !this.deps.config.artifactsUrl) throw new DdiHttpError(503, 'downloads_not_configured', 'artifact downloads are not configured');
    const link = (await this.linksFor(ctx, [moduleId])).download(moduleId, { ...stored, fileName });
    return reply.redirect(md5 ? link.md5sumHref : link.href, 302);
  }

  async health(req: Req, reply: FastifyReply): Promise<unknown> {
    const ctx = this.context(req);
    const samples = readSamples(req.body, ctx.tenant, ctx.controllerId);
    await this.deps.telemetry.publish(samples);
    return reply.code(202).send({ accepted: samples.length });
  }

  /**
   * A callback hook, not an async one: a known device (nearly every request) is authenticated synchronously,
   * and an async hook cost every poll and feedback a promise and its turns through the microtask queue.
   */
  authenticate(req: Req, done: (error?: Error) => void): void {
    let found: DeviceContext | Promise<DeviceContext>;
    try {
      found = this.device(req);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (!(found instanceof Promise)) {
      (req as AuthenticatedReq)[DEVICE_CONTEXT] = found;
      done();
      return;
    }
    found.then((ctx) => {
      (req as AuthenticatedReq)[DEVICE_CONTEXT] = ctx;
      done();
    }, done);
  }

  private context(req: Req): DeviceContext {
    const ctx = (req as AuthenticatedReq)[DEVICE_CONTEXT];
    if (!ctx) throw new DdiHttpError(401, 'credentials_missing', 'authentication required');
    return ctx;
  }

  /** Authentication, (auto-)registration and the device's rate limit, in that order: see RateLimiter. */
  private device(req: Req): DeviceContext | Promise<DeviceContext> {
    const { tenant, controllerId } = req.params;
    const now = this.deps.clock();
    const { memory } = this.deps;
    const device = memory.device(tenant, controllerId);
    const cn = req.headers['x-ssl-client-cn'];
    const certificateCn = typeof cn === 'string' ? cn : undefined;
    const outcome = authenticateDevice(
      {
        authorization: req.headers.authorization,
        certificateCn,
        // Only a client certificate has issuers to check: most devices send a token, and a poll skips this.
        certificateIssuerHashes: certificateCn === undefined ? [] : issuerHashes(req),
        remoteAddress: normalizeAddress(req.socket.remoteAddress ?? ''),
      },
      { controllerId, device, config: (key) => memory.config(tenant, key), trustedProxies: this.deps.config.trustedProxies },
    );
    if (!outcome.ok) throw new DdiHttpError(401, outcome.code, outcome.message, { 'www-authenticate': 'TargetToken, GatewayToken' });
    const tenantMemory = memory.tenant(tenant);
    const method = outcome.method;
    if (device) return this.admitted(req, tenantMemory as TenantMemory, device, method, now);
    if (!tenantMemory || memory.config(tenant, AUTO_REGISTRATION_KEY) !== true) throw new DdiHttpError(404, 'target_not_found', `no target ${controllerId}`);
    return this.deps.targets.register(tenant, controllerId).then((registered) => {
      if (!registered) throw new DdiHttpError(404, 'target_not_found', `no target ${controllerId}`);
      return this.admitted(req, tenantMemory, registered, method, now);
    });
  }

  /** The rate limit, then the device is seen and may go ahead. */
  private admitted(req: Req, tenantMemory: TenantMemory, device: DeviceEntry, method: AuthMethod, now: number): DeviceContext {
    const { tenant, controllerId } = req.params;
    const wait = this.deps.limiter.take(`${tenant}/${controllerId}`, now);
    if (wait > 0) throw new DdiHttpError(429, 'too_many_requests', `slow down: at most ${this.deps.config.rateLimitPerSecond} requests per second`, { 'retry-after': String(wait) });
    this.deps.lastSeen.touch(tenant, controllerId, now);
    const base = `${req.protocol}://${req.headers.host ?? 'localhost'}/${tenant}/controller/v1/${controllerId}`;
    return { tenant, controllerId, memory: tenantMemory, device, method, base };
  }

  /** Only the device's own actions exist for it: someone else's answers exactly like a missing one. */
  private ownAction(ctx: DeviceContext, id: string | undefined): ActionEntry {
    const action = id !== undefined && ACTION_ID.test(id) ? ctx.memory.actions.get(Number(id)) : undefined;
    if (!action || action.controllerId !== ctx.controllerId || (action.version === 0 && !ctx.device.open.has(action.actionId) && !action.droppedByStop)) {
      throw new DdiHttpError(404, 'action_not_found', `no action ${id ?? ''} for this device`);
    }
    return action;
  }

  /** Download links for the artifacts of these modules: the device's region cache where there is one. */
  private linksFor(ctx: DeviceContext, moduleIds: readonly string[]): Promise<ArtifactLinks> {
    const sha256s = moduleIds.flatMap((id) => [...(ctx.memory.modules.get(id)?.artifacts.values() ?? [])]);
    return this.deps.regional.forDevice(ctx.tenant, ctx.controllerId, ctx.device.attributes[DEVICE_ATTRIBUTE_REGION], sha256s, this.deps.links(ctx.tenant, ctx.base));
  }

  /**
   * A target command the device causes, through the gateway's target write path (the decider on the stream as
   * read from the log, appended with the devices' group commit, applied to memory on commit).
   */
  private targetCommand(ctx: DeviceContext, command: (at: number) => TargetCommand): Promise<void> {
    return this.deps.targets.run(ctx.tenant, ctx.controllerId, command);
  }

  private confirmationFlow(ctx: DeviceContext): boolean {
    return ctx.memory.config.get(CONFIRMATION_FLOW_KEY) === true;
  }

  /** A new action asks the device's user first: the tenant runs the consent flow and the target does not confirm automatically. */
  private asksConsent(ctx: DeviceContext): boolean {
    return this.confirmationFlow(ctx) && !ctx.device.autoConfirm;
  }

  private awaitsConfirmation(ctx: DeviceContext, action: ActionEntry): boolean {
    return action.state.status === 'WAIT_FOR_CONFIRMATION' || (action.state.status === 'INITIAL' && this.asksConsent(ctx));
  }

  private options(ctx: DeviceContext): { confirmationRequired: boolean } {
    return { confirmationRequired: this.confirmationFlow(ctx) };
  }
}

/**
 * hawkBit's DdiConfirmationBase: the auto-confirmation state (initiator, remark and activatedAt while
 * active), the link that switches it, and `confirmationBase/{actionId}` while an action waits for consent.
 */
export function confirmationBaseAnswer(base: string, autoConfirm: AutoConfirmation | undefined, waitingActionId: number | undefined): Record<string, unknown> {
  const state = autoConfirm
    ? { active: true, ...(autoConfirm.initiator !== null ? { initiator: autoConfirm.initiator } : {}), ...(autoConfirm.remark !== null ? { remark: autoConfirm.remark } : {}), activatedAt: autoConfirm.activatedAt }
    : { active: false };
  const links: Record<string, { href: string }> = autoConfirm
    ? { deactivateAutoConfirm: { href: `${base}/confirmationBase/deactivateAutoConfirm` } }
    : { activateAutoConfirm: { href: `${base}/confirmationBase/activateAutoConfirm` } };
  if (waitingActionId !== undefined) links.confirmationBase = { href: `${base}/confirmationBase/${waitingActionId}` };
  return { autoConfirm: state, _links: links };
}

/** The tenant's hawkBit polling keys, each defaulted on its own. */
function pollingSettings(memory: TenantMemory): PollingSettings {
  const count = Number(memory.config.get('maintenanceWindowPollCount') ?? DEFAULT_POLLING.maintenanceWindowPollCount);
  return {
    pollingTime: String(memory.config.get('pollingTime') ?? DEFAULT_POLLING.pollingTime),
    minPollingTime: String(memory.config.get('minPollingTime') ?? DEFAULT_POLLING.minPollingTime),
    maintenanceWindowPollCount: Number.isInteger(count) && count > 0 ? count : DEFAULT_POLLING.maintenanceWindowPollCount,
  };
}

function settingsModules(ctx: DeviceContext, action: ActionEntry): string[] {
  return ctx.memory.distributionSets.get(actionSettings(action).distributionSetId)?.modules ?? [];
}

function closed(action: ActionEntry): DdiHttpError {
  return new DdiHttpError(410, 'action_closed', `action ${action.actionId} is ${statusOf(action).toLowerCase()} and no longer active`);
}

function historyCount(req: Req): number {
  const raw = req.query.actionHistory;
  if (raw === undefined) return 0;
  const n = Number(raw);
  return Number.isInteger(n) ? n : 0;
}

const ISSUER_HASH_HEADERS = [1, 2, 3, 4].map((i) => `x-ssl-issuer-hash-${i}`);

function issuerHashes(req: Req): string[] {
  const hashes: string[] = [];
  for (const header of ISSUER_HASH_HEADERS) {
    const value = req.headers[header];
    if (typeof value === 'string') hashes.push(value);
  }
  return hashes;
}

function contentType(req: Req): string {
  return (req.headers.accept ?? '').includes('application/hal+json') ? 'application/hal+json' : 'application/json';
}

/** Errors as `{ code, message }`; a closed action is 410 as in hawkBit; internals are logged, never sent. */
function sendError(reply: FastifyReply, error: unknown, deps: DdiDependencies): FastifyReply {
  if (error instanceof DdiHttpError) {
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    return reply.code(error.status).send({ code: error.code, message: error.message });
  }
  if (error instanceof DomainError && error.code === 'action_closed') return reply.code(410).send({ code: error.code, message: error.message });
  if (error instanceof DomainError && error.code === 'invalid_feedback') return reply.code(400).send({ code: error.code, message: error.message });
  if (error instanceof ValidationError && error.code === 'too_many_samples') return reply.code(413).send({ code: error.code, message: error.message });
  const { status, body } = toHttpError(error);
  if (status >= 500) deps.log(`DDI request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return reply.code(status).send(body);
}
