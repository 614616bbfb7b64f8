/** The parts of hawkBit's DDI answers the simulated devices read (../shared/reference/hawkbit.md, "Device API"). */
export interface Link {
  href: string;
}

export interface PollAnswer {
  config?: { polling?: { sleep?: string } };
  _links?: Partial<Record<'deploymentBase' | 'installedBase' | 'configData' | 'cancelAction' | 'confirmationBase', Link>>;
}

export type Handling = 'skip' | 'attempt' | 'forced';

export interface DdiArtifact {
  filename: string;
  size: number;
  hashes: { sha1?: string; md5?: string; sha256?: string };
  _links?: Partial<Record<'download' | 'download-http' | 'md5sum' | 'md5sum-http', Link>>;
}

export interface DdiChunk {
  part: string;
  version: string;
  name: string;
  artifacts?: DdiArtifact[];
  metadata?: Array<{ key: string; value: string }>;
}

export interface DeploymentBaseAnswer {
  id: string | number;
  deployment: {
    download: Handling;
    update: Handling;
    maintenanceWindow?: 'available' | 'unavailable';
    chunks: DdiChunk[];
  };
  actionHistory?: { status?: string; messages?: string[] };
}

export interface CancelAnswer {
  id: string | number;
  cancelAction: { stopId: string | number };
}

export type Execution = 'closed' | 'proceeding' | 'canceled' | 'scheduled' | 'rejected' | 'resumed' | 'downloaded' | 'download';
export type Finished = 'success' | 'failure' | 'none';

/** One feedback message before it gets an id and a time. */
export interface FeedbackStep {
  execution: Execution;
  finished: Finished;
  details: string[];
  progress?: { cnt: number; of: number };
  code?: number;
}

export interface FeedbackBody {
  id: string;
  time: string;
  status: { execution: Execution; result: { finished: Finished; progress?: { cnt: number; of: number } }; code?: number; details: string[] };
}

export interface ConfirmationFeedbackBody {
  confirmation: 'confirmed' | 'denied';
  code: number;
  details: string[];
}

const SLEEP = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/;

/** `config.polling.sleep` ("HH:mm:ss") in ms, or undefined when absent or malformed (the caller keeps its own). */
export function parsePollingSleep(sleep: string | undefined): number | undefined {
  const match = SLEEP.exec(sleep ?? '');
  if (!match) return undefined;
  return ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000;
}

/** The action id at the end of a DDI link path (`.../deploymentBase/5?c=...` → "5"). */
export function actionIdOfLink(href: string): string | undefined {
  const path = href.split('?')[0];
  const match = /\/(deploymentBase|cancelAction|confirmationBase|installedBase)\/([^/]+)\/?$/.exec(path);
  return match ? decodeURIComponent(match[2]) : undefined;
}

/** hawkBit's basic ISO time, `yyyyMMddTHHmmss` in UTC. */
export function ddiTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

export function feedbackBody(actionId: string, step: FeedbackStep, now: number): FeedbackBody {
  return {
    id: actionId,
    time: ddiTime(now),
    status: {
      execution: step.execution,
      result: { finished: step.finished, ...(step.progress ? { progress: step.progress } : {}) },
      ...(step.code !== undefined ? { code: step.code } : {}),
      details: step.details,
    },
  };
}

/**
 * Chunk metadata naming the distribution set (`name:version`) a deployment installs. hawkBit's deploymentBase
 * carries only modules; telemetry's `runningVersion` is compared with the distribution set's `name:version`
 * (health-evaluator), so a gateway that adds this key lets devices report exactly that.
 */
export const DISTRIBUTION_SET_METADATA_KEY = 'rollgate.distributionSet';

/**
 * The version a deployment installs: the distribution set named in chunk metadata when present; otherwise one
 * chunk's version, or `name:version` of each chunk joined by '+'.
 */
export function versionOfDeployment(chunks: readonly DdiChunk[]): string {
  for (const chunk of chunks) {
    const named = chunk.metadata?.find((entry) => entry.key === DISTRIBUTION_SET_METADATA_KEY)?.value;
    if (named) return named;
  }
  if (chunks.length === 1) return chunks[0].version;
  return chunks.map((chunk) => `${chunk.name}:${chunk.version}`).join('+');
}
