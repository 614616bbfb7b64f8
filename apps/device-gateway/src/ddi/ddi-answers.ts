import type { ArtifactStored } from '@rollgate/contracts';
import { deploymentInstructions, maintenanceWindowStatus, parseMaintenanceWindow } from '@rollgate/rollout-domain';
import { actionSettings, cancelPending, offeredAction, statusOf, type ActionEntry, type DeviceEntry, type TenantMemory } from '../memory/gateway-memory';

type Link = { href: string };

export interface PollAnswer {
  config: { polling: { sleep: string } };
  _links: Partial<Record<'deploymentBase' | 'cancelAction' | 'configData' | 'installedBase' | 'confirmationBase', Link>>;
}

export const DEFAULT_POLLING_TIME = '00:05:00';

/** hawkBit's tenant settings of the poll sleep (keys `pollingTime`, `minPollingTime`, `maintenanceWindowPollCount`). */
export interface PollingSettings {
  pollingTime: string;
  minPollingTime: string;
  maintenanceWindowPollCount: number;
}

export const DEFAULT_POLLING: PollingSettings = { pollingTime: DEFAULT_POLLING_TIME, minPollingTime: '00:00:30', maintenanceWindowPollCount: 3 };

/**
 * `config.polling.sleep` as hawkBit answers it: the tenant's polling time, shortened while the offered action
 * waits for its maintenance window to open, so that the device polls `maintenanceWindowPollCount` times
 * before the window opens and is there when it does (never more often than `minPollingTime`).
 */
export function pollingSleep(action: ActionEntry | undefined, settings: PollingSettings, now: number): string {
  const spec = action && actionSettings(action).maintenanceWindow;
  const pollingMs = durationMs(settings.pollingTime);
  if (!spec || pollingMs === undefined) return settings.pollingTime;
  let nextStartsAt: number | undefined;
  try {
    const status = maintenanceWindowStatus(parseMaintenanceWindow(spec), now);
    nextStartsAt = status.available ? undefined : status.nextStartsAt;
  } catch {
    // A window the planner accepted always parses; should one not, the device polls as usual.
    return settings.pollingTime;
  }
  if (nextStartsAt === undefined) return settings.pollingTime;
  const spread = Math.floor((nextStartsAt - now) / Math.max(1, settings.maintenanceWindowPollCount));
  const sleepMs = Math.max(durationMs(settings.minPollingTime) ?? 0, Math.min(pollingMs, spread));
  return sleepMs === pollingMs ? settings.pollingTime : formatDuration(sleepMs);
}

/** `HH:mm:ss` in milliseconds (undefined when it is not one). */
function durationMs(text: string): number | undefined {
  const match = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/.exec(text.trim());
  return match ? ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 : undefined;
}

/** `HH:mm:ss`, rounded up to whole seconds. */
function formatDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}

/**
 * The base poll, as hawkBit answers it: one action at a time (highest weight, then oldest); a pending
 * cancel is offered instead of the update; configData is asked for while the device has reported no
 * attributes; with the tenant's confirmation flow on, a new action asks for consent first. `base` is the device's own DDI URL, `/{tenant}/controller/v1/{controllerId}` made absolute.
 */
export function pollAnswer(base: string, device: DeviceEntry, pollingTime: string, confirmationFlow = false): PollAnswer {
  const links: PollAnswer['_links'] = {};
  const action = offeredAction(device);
  if (action) {
    const status = statusOf(action);
    if (cancelPending(action)) links.cancelAction = { href: `${base}/cancelAction/${action.actionId}` };
    else if (status === 'WAIT_FOR_CONFIRMATION' || (confirmationFlow && action.state.status === 'INITIAL')) links.confirmationBase = { href: `${base}/confirmationBase/${action.actionId}?c=${actionHash(action)}` };
    else links.deploymentBase = { href: `${base}/deploymentBase/${action.actionId}?c=${actionHash(action)}` };
  }
  if (device.installed) links.installedBase = { href: `${base}/installedBase/${device.installed.actionId}` };
  if (Object.keys(device.attributes).length === 0) links.configData = { href: `${base}/configData` };
  return { config: { polling: { sleep: pollingTime } }, _links: links };
}

/** hawkBit's `c`: changes when what the device would download or how it should handle it changes. */
/**
 * hawkBit's `c` in the deploymentBase link: changes whenever what the device should do changes. The attempt is
 * part of it, so a retried action (same id, next attempt after a failure) reads as new to a client that
 * remembers which link it already ran.
 */
export function actionHash(action: ActionEntry): number {
  const s = actionSettings(action);
  const attempt = action.state.status === 'INITIAL' ? 1 : action.state.attempt;
  return fnv1a(`${action.actionId}|${s.distributionSetId}|${s.actionType}|${s.forceTime ?? ''}|${s.maintenanceWindow?.schedule ?? ''}|${attempt}`) | 0;
}

/** 32-bit FNV-1a: a cheap content hash for ETags and `c`, not for security. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function etagOf(body: string): string {
  return `"${fnv1a(body).toString(16)}-${body.length.toString(16)}"`;
}

export interface ArtifactLinks {
  /** where this device downloads one artifact of one module */
  download(moduleId: string, artifact: ArtifactStored): { href: string; md5sumHref: string };
}

export interface DdiArtifact {
  filename: string;
  size: number;
  hashes: { sha1: string; md5: string; sha256: string };
  _links: Record<string, Link>;
}

export interface DdiChunk {
  part: string;
  version: string;
  name: string;
  artifacts: DdiArtifact[];
  metadata?: Array<{ key: string; value: string }>;
}

/** The chunks of a distribution set: one per software module, each with its artifacts and their signatures. */
export function chunksOf(memory: TenantMemory, distributionSetId: string, links: ArtifactLinks): DdiChunk[] {
  const ds = memory.distributionSets.get(distributionSetId);
  if (!ds) return [];
  return ds.modules.flatMap((moduleId) => {
    const module = memory.modules.get(moduleId);
    if (!module) return [];
    // Which distribution set this is, as health-evaluator names builds (`name:version`): a device reports it
    // back as its running version, which two-phase verification and the gates compare (hawkBit's chunks carry
    // only the module's own version).
    const metadata: Array<{ key: string; value: string }> = [{ key: 'rollgate.distributionSet', value: `${ds.name}:${ds.version}` }];
    const artifacts = [...module.artifacts.entries()].flatMap(([fileName, sha256]) => {
      const stored = memory.artifacts.get(sha256);
      if (!stored) return [];
      const link = links.download(moduleId, { ...stored, fileName });
      // Devices verify the Ed25519 signature over the sha256 digest themselves (issue 5); hawkBit clients read chunk metadata.
      if (stored.signature) {
        metadata.push({ key: `signature.${fileName}`, value: `${stored.signature.algorithm}:${stored.signature.keyId}:${stored.signature.value}` });
      }
      return [{
        filename: fileName, size: stored.size, hashes: { sha1: stored.sha1, md5: stored.md5, sha256: stored.sha256 },
        _links: { 'download-http': { href: link.href }, 'md5sum-http': { href: link.md5sumHref }, ...(link.href.startsWith('https:') ? { download: { href: link.href }, md5sum: { href: link.md5sumHref } } : {}) },
      }];
    });
    return [{ part: module.type, version: module.version, name: module.name, artifacts, metadata }];
  });
}

export interface DeploymentAnswer {
  id: string;
  deployment: { download: string; update: string; maintenanceWindow?: string; chunks: DdiChunk[] };
  actionHistory?: { status: string; messages: string[] };
}

export function deploymentAnswer(memory: TenantMemory, action: ActionEntry, now: number, links: ArtifactLinks, historyCount: number): DeploymentAnswer {
  const settings = actionSettings(action);
  const instructions = deploymentInstructions(settings, now);
  const answer: DeploymentAnswer = {
    id: String(action.actionId),
    deployment: { ...instructions, chunks: chunksOf(memory, settings.distributionSetId, links) },
  };
  const history = actionHistory(action, historyCount);
  if (history) answer.actionHistory = history;
  return answer;
}

/** `actionHistory=n`: the newest n messages (-1: all kept); 0 or absent: none. */
export function actionHistory(action: ActionEntry, count: number): { status: string; messages: string[] } | undefined {
  if (count === 0) return undefined;
  const messages = count < 0 ? [...action.messages] : action.messages.slice(-count);
  return { status: statusOf(action), messages: messages.reverse() };
}

export function cancelAnswer(action: ActionEntry): { id: string; cancelAction: { stopId: string } } {
  // The cancel id equals the stopId: clients post the cancel feedback to either.
  return { id: String(action.actionId), cancelAction: { stopId: String(action.actionId) } };
}

export function installedAnswer(memory: TenantMemory, action: ActionEntry, now: number, links: ArtifactLinks, historyCount: number): DeploymentAnswer {
  return deploymentAnswer(memory, action, now, links, historyCount);
}

export function confirmationAnswer(memory: TenantMemory, action: ActionEntry, now: number, links: ArtifactLinks): { id: string; confirmation: DeploymentAnswer['deployment'] } {
  const { deployment } = deploymentAnswer(memory, action, now, links, 0);
  return { id: String(action.actionId), confirmation: deployment };
}

/** Which module artifacts a device may download right now: those of its own open actions. */
export function mayDownload(memory: TenantMemory, device: DeviceEntry, moduleId: string): boolean {
  for (const action of device.open.values()) {
    const ds = memory.distributionSets.get(actionSettings(action).distributionSetId);
    if (ds?.modules.includes(moduleId)) return true;
  }
  return false;
}
