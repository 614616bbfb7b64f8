import { actionIdOfStream, parseEventType, type ArtifactStored, type EventTypeParts } from '@rollgate/contracts';
import { applyAttributes, type AttributesMode, type AutoConfirmation } from '@rollgate/catalog-domain';
import {
  evolveAction, TERMINAL_ACTION_STATUSES, type ActionEvent, type ActionState, type ActionStatus, type ActionType, type MaintenanceWindowSpec, type RolloutExecution,
} from '@rollgate/rollout-domain';

/** What the gateway needs of a log event (a StoredEvent, or one it just appended itself). */
export interface LogEvent {
  tenant: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: unknown;
}

export type ConfigValue = string | number | boolean;

/** The settings a lazily created rollout action is created with (its `create-action` command, minus time). */
export interface ActionTemplate {
  targetId: string;
  distributionSetId: string;
  rolloutId: string;
  groupId: string;
  actionType: ActionType;
  forceTime?: number;
  weight: number;
  maintenanceWindow?: MaintenanceWindowSpec;
  maxAttempts: number;
  progressTimeoutMs?: number;
}

export interface ActionEntry {
  tenant: string;
  actionId: number;
  controllerId: string;
  /** version of `action-<id>` in the log; 0 while a rollout action has no stream yet (the device never touched it) */
  version: number;
  state: ActionState;
  /** how to create the stream of a rollout action on the device's first contact */
  template?: ActionTemplate;
  /** its rollout is stopping and the device had already retrieved it: the next poll offers a cancel */
  stopRequested: boolean;
  /** its rollout stopped before the device ever retrieved it: dropped without an event (docs/event-flow.md) */
  droppedByStop: boolean;
  /** the latest status messages, newest last, for deploymentBase's actionHistory (the log keeps them all) */
  messages: string[];
}

export interface DeviceEntry {
  controllerId: string;
  securityToken: string;
  attributes: Record<string, string>;
  version: number;
  deleted: boolean;
  /** open actions by id: what polls answer from */
  open: Map<number, ActionEntry>;
  /** the last action that finished: installedBase */
  installed?: ActionEntry;
  /** hawkBit's auto-confirmation, while active: actions that need consent are confirmed on the user's behalf */
  autoConfirm?: AutoConfirmation;
}

/** Told of an action that waits for consent while its target confirms automatically (see AutoConfirmer). */
export type AutoConfirmListener = (entry: ActionEntry) => void;

export interface ModuleEntry {
  moduleId: string;
  name: string;
  version: string;
  type: string;
  deleted: boolean;
  /** file name → sha256 of the module's artifacts */
  artifacts: Map<string, string>;
  /** the planner's artifact id → file name */
  artifactIds: Map<string, string>;
}

export interface DistributionSetEntry {
  distributionSetId: string;
  name: string;
  version: string;
  modules: string[];
  deleted: boolean;
}

export interface RolloutEntry {
  rolloutId: string;
  distributionSetId: string;
  actionType: ActionType;
  forceTime?: number;
  weight: number;
  execution?: RolloutExecution;
  stopping: boolean;
  groups: string[];
}

export interface GroupEntry {
  groupId: string;
  rolloutId: string;
  /** membership chunks by number; flattened into `members` when the group is ready */
  chunks: string[][];
  members: string[];
  firstActionId: number;
  ready: boolean;
  started: boolean;
  /** members at positions below this have open actions */
  released: number;
}

export interface TenantMemory {
  tenant: string;
  config: Map<string, ConfigValue>;
  devices: Map<string, DeviceEntry>;
  modules: Map<string, ModuleEntry>;
  distributionSets: Map<string, DistributionSetEntry>;
  artifacts: Map<string, ArtifactStored>;
  rollouts: Map<string, RolloutEntry>;
  groups: Map<string, GroupEntry>;
  actions: Map<number, ActionEntry>;
  /** the newest version applied per stream */
  streamVersions: Map<string, number>;
}

/** How many status messages per action the gateway keeps at hand (the log keeps them all). */
const MESSAGES_KEPT = 20;
/** ... and once the action is closed: memory grows with every action ever run, so closed ones are kept small. */
const MESSAGES_KEPT_CLOSED = 5;

/**
 * Everything the gateway answers devices from, kept current by applying log events in log order. Pure: no
 * I/O; the log follower feeds it, and the gateway's own appends are applied as soon as they commit. Stream
 * versions make applying idempotent, so an event applied early (our own append) and again from the log
 * counts once.
 */
export class GatewayMemory {
  private readonly tenants = new Map<string, TenantMemory>();
  private readonly autoConfirmListeners = new Set<AutoConfirmListener>();

  /**
   * Calls `listener` whenever an applied event leaves an action waiting for consent on a target whose
   * auto-confirmation is active: the activation (for each waiting action) and a waiting action's own events.
   * Answers the function that removes it.
   */
  onAutoConfirmDue(listener: AutoConfirmListener): () => void {
    this.autoConfirmListeners.add(listener);
    return () => this.autoConfirmListeners.delete(listener);
  }

  /** Every action waiting for consent on an auto-confirming target now (what a listener registered late missed). */
  dueForAutoConfirm(): ActionEntry[] {
    const due: ActionEntry[] = [];
    for (const memory of this.tenants.values()) {
      for (const device of memory.devices.values()) if (!device.deleted && device.autoConfirm) due.push(...waitingActions(device));
    }
    return due;
  }

  tenant(name: string): TenantMemory | undefined {
    return this.tenants.get(name);
  }

  device(tenant: string, controllerId: string): DeviceEntry | undefined {
    const entry = this.tenants.get(tenant)?.devices.get(controllerId);
    return entry && !entry.deleted ? entry : undefined;
  }

  config(tenant: string, key: string): ConfigValue | undefined {
    return this.tenants.get(tenant)?.config.get(key);
  }

  apply(event: LogEvent): void {
    const memory = this.tenantMemory(event.tenant);
    // Each stream's events apply once, in version order: the gateway's own appends are applied when they
    // commit and arrive again from the log; a conflict's catch-up reads some a second time. Checked before
    // anything else is read of the event: the log follower's own appends are most of what it tails.
    if (this.applied(event)) return;
    const { aggregate, event: name } = typeParts(event.type);
    memory.streamVersions.set(event.streamId, event.streamVersion);
    const data = event.data as Record<string, unknown>;
    switch (aggregate) {
      case 'tenantconfig':
        return applyConfig(memory, name, data);
      case 'target':
        applyTarget(memory, event, name, data);
        if (name === 'target-auto-confirm-activated') this.autoConfirmDue(waitingActions(memory.devices.get(event.streamId.slice('target-'.length))));
        return;
      case 'softwaremodule':
        return applyModule(memory, event.streamId, name, data);
      case 'distributionset':
        return applyDistributionSet(memory, event.streamId, name, data);
      case 'artifact':
        if (name === 'artifact-stored') memory.artifacts.set(String(data.sha256), data as unknown as ArtifactStored);
        return;
      case 'rollout':
        return applyRollout(memory, event.streamId, name, data);
      case 'action': {
        const entry = applyAction(memory, event, name);
        if (entry?.state.status === 'WAIT_FOR_CONFIRMATION' && this.device(entry.tenant, entry.controllerId)?.autoConfirm) this.autoConfirmDue([entry]);
        return;
      }
      default:
        return;
    }
  }

  /** The event is in memory already (applied when appended, or earlier from the log). */
  applied(event: Pick<LogEvent, 'tenant' | 'streamId' | 'streamVersion'>): boolean {
    const known = this.tenants.get(event.tenant)?.streamVersions.get(event.streamId);
    return known !== undefined && event.streamVersion <= known;
  }

  private autoConfirmDue(entries: readonly ActionEntry[]): void {
    if (entries.length === 0) return;
    for (const listener of this.autoConfirmListeners) for (const entry of entries) listener(entry);
  }

  private tenantMemory(tenant: string): TenantMemory {
    let memory = this.tenants.get(tenant);
    if (!memory) {
      memory = {
        tenant, config: new Map(), devices: new Map(), modules: new Map(), distributionSets: new Map(), artifacts: new Map(),
        rollouts: new Map(), groups: new Map(), actions: new Map(), streamVersions: new Map(),
      };
      this.tenants.set(tenant, memory);
    }
    return memory;
  }
}

/**
 * parseEventType, remembered: the log holds a few dozen types, and parsing one (a regular expression and two
 * objects) for every event applied showed in the gateway's feedback profile.
 */
function typeParts(type: string): EventTypeParts {
  let parts = TYPE_PARTS.get(type);
  if (parts === undefined) {
    parts = parseEventType(type);
    if (TYPE_PARTS.size >= TYPE_PARTS_KEPT) TYPE_PARTS.clear();
    TYPE_PARTS.set(type, parts);
  }
  return parts;
}

const TYPE_PARTS = new Map<string, EventTypeParts>();
const TYPE_PARTS_KEPT = 1_000;

function waitingActions(device: DeviceEntry | undefined): ActionEntry[] {
  if (!device || device.deleted) return [];
  return [...device.open.values()].filter((entry) => entry.state.status === 'WAIT_FOR_CONFIRMATION');
}

export function isOpen(entry: ActionEntry): boolean {
  return !entry.droppedByStop && (entry.state.status === 'INITIAL' || !TERMINAL_ACTION_STATUSES.includes(entry.state.status));
}

/** The status a device and an operator see: a rollout action without a stream is SCHEDULED. */
export function statusOf(entry: ActionEntry): ActionStatus {
  if (entry.droppedByStop) return 'CANCELED';
  return entry.state.status === 'INITIAL' ? 'SCHEDULED' : entry.state.status;
}

/** The action's settings, from its stream once it has one, else from its rollout's template. */
export function actionSettings(entry: ActionEntry): Omit<ActionTemplate, 'rolloutId' | 'groupId'> & { rolloutId?: string; groupId?: string } {
  if (entry.state.status !== 'INITIAL') {
    const s = entry.state;
    return {
      targetId: s.targetId, distributionSetId: s.distributionSetId, rolloutId: s.rolloutId, groupId: s.groupId, actionType: s.actionType, forceTime: s.forceTime,
      weight: s.weight, maintenanceWindow: s.maintenanceWindow, maxAttempts: s.maxAttempts, progressTimeoutMs: s.progressTimeoutMs,
    };
  }
  if (!entry.template) throw new Error(`action ${entry.actionId} has neither a stream nor a template`);
  return entry.template;
}

/** hawkBit offers one action at a time: the open one of highest weight, then the oldest (lowest id). */
export function offeredAction(device: DeviceEntry): ActionEntry | undefined {
  let best: ActionEntry | undefined;
  let bestWeight = -1;
  for (const entry of device.open.values()) {
    const weight = actionSettings(entry).weight;
    if (!best || weight > bestWeight || (weight === bestWeight && entry.actionId < best.actionId)) {
      best = entry;
      bestWeight = weight;
    }
  }
  return best;
}

/** The cancel is pending for the device: asked for explicitly, or by its rollout's stop. */
export function cancelPending(entry: ActionEntry): boolean {
  return entry.state.status === 'CANCELING' || (entry.stopRequested && entry.state.status !== 'CANCEL_REJECTED');
}

function applyConfig(memory: TenantMemory, name: string, data: Record<string, unknown>): void {
  if (name === 'config-value-set') memory.config.set(String(data.key), data.value as ConfigValue);
  else if (name === 'config-value-deleted') memory.config.delete(String(data.key));
}

function applyTarget(memory: TenantMemory, event: LogEvent, name: string, data: Record<string, unknown>): void {
  const controllerId = event.streamId.slice('target-'.length);
  const existing = memory.devices.get(controllerId);
  if (existing && event.streamVersion <= existing.version) return;
  switch (name) {
    case 'target-created': {
      const device: DeviceEntry = existing ?? { controllerId, securityToken: '', attributes: {}, version: 0, deleted: false, open: new Map() };
      // A target created again under the same id starts over, auto-confirmation included.
      Object.assign(device, { securityToken: String(data.securityToken), attributes: {}, deleted: false, autoConfirm: undefined, version: event.streamVersion });
      memory.devices.set(controllerId, device);
      return;
    }
    case 'target-updated':
      if (!existing) return;
      if (typeof data.securityToken === 'string') existing.securityToken = data.securityToken;
      break;
    case 'target-attributes-updated':
      if (!existing) return;
      existing.attributes = applyAttributes(existing.attributes, data.mode as AttributesMode, data.data as Record<string, string>);
      break;
    case 'target-deleted':
      if (!existing) return;
      existing.deleted = true;
      existing.autoConfirm = undefined;
      existing.open.clear();
      break;
    case 'target-auto-confirm-activated':
      if (!existing) return;
      existing.autoConfirm = {
        initiator: typeof data.initiator === 'string' ? data.initiator : null, remark: typeof data.remark === 'string' ? data.remark : null,
        activatedAt: Number(data.at), activatedBy: String(data.by),
      };
      break;
    case 'target-auto-confirm-deactivated':
      if (!existing) return;
      existing.autoConfirm = undefined;
      break;
  }
  if (existing) existing.version = event.streamVersion;
}

function applyModule(memory: TenantMemory, streamId: string, name: string, data: Record<string, unknown>): void {
  const moduleId = typeof data.moduleId === 'string' ? data.moduleId : streamId.slice('softwaremodule-'.length);
  if (name === 'software-module-created') {
    memory.modules.set(moduleId, { moduleId, name: String(data.name), version: String(data.version), type: String(data.type), deleted: false, artifacts: new Map(), artifactIds: new Map() });
    return;
  }
  const module = memory.modules.get(moduleId);
  if (!module) return;
  if (name === 'software-module-deleted') module.deleted = true;
  // The planner names the distributor's bytes in the module (softwaremodules/{id}/artifacts); the hashes come
  // with the name, the architecture with the distributor's own artifact-stored.
  else if (name === 'software-module-artifact-added') {
    const sha256 = String(data.sha256);
    const fileName = String(data.fileName);
    module.artifacts.set(fileName, sha256);
    module.artifactIds.set(String(data.artifactId), fileName);
    if (!memory.artifacts.has(sha256)) {
      const { sha1, md5, size, signature } = data as { sha1: string; md5: string; size: number; signature?: ArtifactStored['signature'] };
      memory.artifacts.set(sha256, { sha256, sha1, md5, size, fileName, ...(signature ? { signature } : {}) });
    }
  } else if (name === 'software-module-artifact-removed') {
    const fileName = module.artifactIds.get(String(data.artifactId));
    if (fileName !== undefined) module.artifacts.delete(fileName);
  }
}

function applyDistributionSet(memory: TenantMemory, streamId: string, name: string, data: Record<string, unknown>): void {
  const id = typeof data.distributionSetId === 'string' ? data.distributionSetId : streamId.slice('distributionset-'.length);
  if (name === 'distribution-set-created') {
    const modules = (data.modules as Array<{ id: string }>).map((m) => m.id);
    memory.distributionSets.set(id, { distributionSetId: id, name: String(data.name), version: String(data.version), modules, deleted: false });
  } else if (name === 'distribution-set-deleted') {
    const ds = memory.distributionSets.get(id);
    if (ds) ds.deleted = true;
  }
}

function applyRollout(memory: TenantMemory, streamId: string, name: string, data: Record<string, unknown>): void {
  if (streamId.startsWith('rolloutgroup-')) return applyGroup(memory, streamId.slice('rolloutgroup-'.length), name, data);
  const rolloutId = streamId.slice('rollout-'.length);
  switch (name) {
    case 'rollout-created':
      memory.rollouts.set(rolloutId, {
        rolloutId, distributionSetId: String(data.distributionSetId), actionType: data.actionType as ActionType, forceTime: data.forceTime as number | undefined,
        weight: Number(data.weight ?? 1000), execution: data.execution as RolloutExecution | undefined, stopping: false, groups: [],
      });
      return;
    case 'rollout-stopping':
      return stopRollout(memory, rolloutId);
  }
}

function applyGroup(memory: TenantMemory, groupId: string, name: string, data: Record<string, unknown>): void {
  if (name === 'group-created') {
    const rolloutId = String(data.rolloutId);
    memory.groups.set(groupId, { groupId, rolloutId, chunks: [], members: [], firstActionId: 0, ready: false, started: false, released: 0 });
    memory.rollouts.get(rolloutId)?.groups.push(groupId);
    return;
  }
  const group = memory.groups.get(groupId);
  if (!group) return;
  switch (name) {
    case 'group-members-added':
      group.chunks[Number(data.chunk)] = data.targetIds as string[];
      return;
    case 'group-ready':
      group.members = group.chunks.flat();
      group.chunks = [];
      group.firstActionId = Number(data.firstActionId);
      group.ready = true;
      return;
    case 'group-started':
      group.started = true;
      return release(memory, group, typeof data.released === 'number' ? data.released : group.members.length);
    case 'group-actions-released':
      return release(memory, group, Number(data.released));
  }
}

/** Opens the actions of members [released, upTo): each device sees its action from its next poll on. */
function release(memory: TenantMemory, group: GroupEntry, upTo: number): void {
  const rollout = memory.rollouts.get(group.rolloutId);
  if (!rollout || rollout.stopping || !group.ready) return;
  const end = Math.min(upTo, group.members.length);
  const execution = rollout.execution;
  for (let p = group.released; p < end; p++) {
    const controllerId = group.members[p];
    const actionId = group.firstActionId + p;
    let entry = memory.actions.get(actionId);
    if (!entry) {
      entry = {
        tenant: memory.tenant, actionId, controllerId, version: 0, state: { status: 'INITIAL' }, stopRequested: false, droppedByStop: false, messages: [],
        template: {
          targetId: controllerId, distributionSetId: rollout.distributionSetId, rolloutId: rollout.rolloutId, groupId: group.groupId, actionType: rollout.actionType,
          forceTime: rollout.forceTime, weight: rollout.weight, maintenanceWindow: execution?.maintenanceWindow, maxAttempts: execution?.maxAttempts ?? 1,
          progressTimeoutMs: execution?.deployTimeoutMs,
        },
      };
      memory.actions.set(actionId, entry);
    }
    const device = memory.devices.get(controllerId);
    if (device && !device.deleted && isOpen(entry)) device.open.set(actionId, entry);
  }
  group.released = Math.max(group.released, end);
}

/**
 * `rollout-stopping` cancels every open action of the rollout in one event: a device that already retrieved
 * its action is offered the cancel; one that never did simply stops seeing it.
 */
function stopRollout(memory: TenantMemory, rolloutId: string): void {
  const rollout = memory.rollouts.get(rolloutId);
  if (!rollout) return;
  rollout.stopping = true;
  for (const groupId of rollout.groups) {
    const group = memory.groups.get(groupId);
    if (!group) continue;
    for (let p = 0; p < group.released; p++) {
      const entry = memory.actions.get(group.firstActionId + p);
      if (!entry || !isOpen(entry)) continue;
      if (entry.version > 0) {
        entry.stopRequested = true;
      } else {
        entry.droppedByStop = true;
        memory.devices.get(entry.controllerId)?.open.delete(entry.actionId);
      }
    }
  }
}

/** Answers the action the event changed, if it changed one. */
function applyAction(memory: TenantMemory, event: LogEvent, name: string): ActionEntry | undefined {
  const actionId = actionIdOfStream(event.streamId);
  if (actionId === undefined) return undefined;
  let entry = memory.actions.get(actionId);
  if (entry && event.streamVersion <= entry.version) return undefined;
  const domainEvent = { type: name, data: event.data } as ActionEvent;
  if (!entry) {
    if (domainEvent.type !== 'action-created') return undefined;
    entry = { tenant: memory.tenant, actionId, controllerId: domainEvent.data.targetId, version: 0, state: { status: 'INITIAL' }, stopRequested: false, droppedByStop: false, messages: [] };
    memory.actions.set(actionId, entry);
  }
  entry.state = evolveAction(entry.state, domainEvent);
  entry.version = event.streamVersion;
  // The stop's cancel is now on record (or moot): from here on the action's own state says what is pending.
  if (domainEvent.type === 'action-cancel-requested' || !isOpen(entry)) entry.stopRequested = false;
  rememberMessages(entry, domainEvent);
  const device = memory.devices.get(entry.controllerId);
  if (!device || device.deleted) return entry;
  if (isOpen(entry)) device.open.set(actionId, entry);
  else {
    device.open.delete(actionId);
    if (entry.state.status === 'FINISHED') device.installed = entry;
  }
  if (!isOpen(entry)) compact(entry);
  return entry;
}

function compact(entry: ActionEntry): void {
  entry.template = undefined;
  if (entry.messages.length > MESSAGES_KEPT_CLOSED) entry.messages = entry.messages.slice(-MESSAGES_KEPT_CLOSED);
}

function rememberMessages(entry: ActionEntry, event: ActionEvent): void {
  const details = 'details' in event.data && Array.isArray(event.data.details) ? (event.data.details as string[]) : [];
  const status = entry.state.status;
  entry.messages.push(`${event.type}: ${status}${details.length > 0 ? ` (${details.join('; ')})` : ''}`);
  if (entry.messages.length > MESSAGES_KEPT) entry.messages.splice(0, entry.messages.length - MESSAGES_KEPT);
}
