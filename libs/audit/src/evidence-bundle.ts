import { streamKey, type AuditEvent } from './audit-event';
import type { RolloutRecord } from './audit-log.reader';
import { rolloutHistory, type HistoryEntry } from './rollout-history';
import { replayRollout, type DeviceState, type RolloutSnapshot } from './rollout-replay';
import { incidentsOf, type Incident } from './rollout-incidents';

export const BUNDLE_FORMAT = 'rollgate-evidence-bundle/1';

export interface PlannedGroupEvidence {
  id: string;
  name: string;
  index: number;
  size: number;
  firstActionId?: number;
  conditions?: unknown;
}

export interface InclusionReason {
  targetId: string;
  group: string;
  position: number;
  actionId?: number;
  code: string;
  message: string;
}

export interface ApprovalEvidence {
  at: string;
  event: string;
  actor: string;
  approver?: string;
  remark?: string;
  planHash?: string;
}

export interface GateEvidence {
  at: string;
  groupId: string;
  gate?: string;
  /** requested (inputs: the group's counters), evaluated (the health-evaluator's verdict), passed or failed */
  step: 'requested' | 'evaluated' | 'passed' | 'failed';
  verdict?: string;
  verdictId?: string;
  reason?: string;
  /** the counters or the evaluator's evidence (samples, values, baselines, thresholds, window) */
  inputs: unknown;
}

export interface ArtifactEvidence {
  sha256: string;
  sha1?: string;
  md5?: string;
  size?: number;
  fileName?: string;
  signature?: unknown;
  /** whether the log also holds artifact-distributor's own record of this content */
  storedByDistributor?: boolean;
}

/** The evidence of one rollout, self-contained: an auditor needs neither the server nor the database. */
export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  tenant: string;
  generatedAt: string;
  rollout: RolloutSnapshot;
  plan: { hash: string; seed?: string; strategy: string; execution?: unknown; createdBy: string; createdAt: string; groups: PlannedGroupEvidence[] };
  inclusion: InclusionReason[];
  approvals: ApprovalEvidence[];
  gates: GateEvidence[];
  /** every io.rollgate.health.* event of the rollout, in full */
  healthEvents: AuditEvent[];
  incidents: Incident[];
  devices: DeviceState[];
  distributionSet: { id: string; events: AuditEvent[] };
  artifacts: ArtifactEvidence[];
  history: HistoryEntry[];
  /** each event's place and hash, to match the bundle against the tamper-evident log */
  log: { events: number; firstPosition?: string; lastPosition?: string; hashes: Array<{ position: string; stream: string; version: number; hash: string }> };
}

const APPROVAL_EVENTS = new Set(['rollout-approval-requested', 'rollout-approval-given', 'rollout-approved', 'rollout-approval-denied', 'rollout-approval-voided', 'rollout-approval-expired']);

export function buildEvidenceBundle(record: RolloutRecord, generatedAt: Date): EvidenceBundle {
  const { events } = record;
  const { snapshot, devices } = replayRollout(events);
  const created = events.find((e) => e.name === 'rollout-created' && e.streamId.startsWith('rollout-'));
  if (!created) throw new Error(`the log holds no rollout-created for ${record.rolloutId}`);
  const plan = created.data.plan as { hash: string; seed?: string };
  const execution = created.data.execution as { strategy?: string } | undefined;
  return {
    format: BUNDLE_FORMAT,
    tenant: record.tenant,
    generatedAt: generatedAt.toISOString(),
    rollout: snapshot,
    plan: {
      hash: plan.hash, seed: plan.seed, strategy: execution?.strategy ?? 'groups', execution, createdBy: String(created.data.createdBy ?? created.actor ?? ''),
      createdAt: created.recordedAt, groups: plannedGroups(events),
    },
    inclusion: inclusionReasons(events, plan.seed),
    approvals: events.filter((e) => APPROVAL_EVENTS.has(e.name)).map(approvalOf),
    gates: gatesOf(events),
    healthEvents: events.filter((e) => e.aggregate === 'health'),
    incidents: incidentsOf(events),
    devices,
    distributionSet: { id: snapshot.distributionSetId, events: record.catalog.filter((e) => e.streamId.startsWith('distributionset-')) },
    artifacts: artifactsOf(record.catalog),
    history: rolloutHistory(events),
    log: {
      events: events.length, firstPosition: events[0]?.position, lastPosition: events[events.length - 1]?.position,
      hashes: [...events, ...record.catalog].map((e) => ({ position: e.position, stream: e.streamId, version: e.streamVersion, hash: e.hash })),
    },
  };
}

function plannedGroups(events: readonly AuditEvent[]): PlannedGroupEvidence[] {
  const groups = new Map<string, PlannedGroupEvidence>();
  for (const e of events) {
    if (!e.streamId.startsWith('rolloutgroup-')) continue;
    const id = streamKey(e.streamId);
    if (e.name === 'group-created') groups.set(id, { id, name: String(e.data.name), index: Number(e.data.index), size: 0, conditions: e.data.conditions });
    const group = groups.get(id);
    if (!group) continue;
    if (e.name === 'group-members-added') group.size += (e.data.targetIds as unknown[]).length;
    if (e.name === 'group-ready') group.firstActionId = Number(e.data.firstActionId);
  }
  return [...groups.values()].sort((a, b) => a.index - b.index);
}

/**
 * Why each target is where it is. A membership chunk may carry the planner's per-target reasons (`reasons`,
 * aligned with `targetIds`, as plan-explanation words them); without them the reason is the seeded plan itself.
 */
function inclusionReasons(events: readonly AuditEvent[], seed: string | undefined): InclusionReason[] {
  const reasons: InclusionReason[] = [];
  const names = new Map<string, string>();
  const firstIds = new Map<string, number>();
  const positions = new Map<string, number>();
  for (const e of events) {
    if (!e.streamId.startsWith('rolloutgroup-')) continue;
    const groupId = streamKey(e.streamId);
    if (e.name === 'group-created') names.set(groupId, String(e.data.name));
    if (e.name === 'group-ready') firstIds.set(groupId, Number(e.data.firstActionId));
    if (e.name !== 'group-members-added') continue;
    const explained = Array.isArray(e.data.reasons) ? (e.data.reasons as Array<{ code?: string; message?: string } | string>) : [];
    (e.data.targetIds as string[]).forEach((targetId, i) => {
      const position = positions.get(groupId) ?? 0;
      positions.set(groupId, position + 1);
      const given = explained[i];
      const group = names.get(groupId) ?? groupId;
      reasons.push({
        targetId, group, position, actionId: undefined,
        code: typeof given === 'object' && given?.code ? given.code : 'plan',
        message: typeof given === 'object' && given?.message ? given.message : typeof given === 'string' ? given : `in ${group} at position ${position} by the plan${seed ? ` (seeded shuffle, seed "${seed}")` : ''}`,
      });
    });
  }
  for (const reason of reasons) {
    const groupId = [...names.entries()].find(([, name]) => name === reason.group)?.[0];
    const first = groupId ? firstIds.get(groupId) : undefined;
    if (first !== undefined) reason.actionId = first + reason.position;
  }
  return reasons;
}

function approvalOf(e: AuditEvent): ApprovalEvidence {
  const d = e.data;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { at: e.recordedAt, event: e.name, actor: e.actor ?? 'system', approver: text(d.approver), remark: text(d.remark), planHash: text(d.planHash) };
}

function gatesOf(events: readonly AuditEvent[]): GateEvidence[] {
  const gates: GateEvidence[] = [];
  for (const e of events) {
    const d = e.data;
    const groupId = e.streamId.startsWith('rolloutgroup-') ? streamKey(e.streamId) : String(d.groupId ?? '');
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    if (e.name === 'group-gate-requested') gates.push({ at: e.recordedAt, groupId, gate: text(d.gate), step: 'requested', inputs: d.counters });
    else if (e.name === 'gate-evaluated') gates.push({ at: e.recordedAt, groupId, gate: text(d.gate), step: 'evaluated', verdict: text(d.verdict), verdictId: text(d.verdictId), reason: text(d.reason), inputs: d.evidence });
    else if (e.name === 'group-gate-passed') gates.push({ at: e.recordedAt, groupId, step: 'passed', verdict: 'PASS', verdictId: text(d.verdictId), inputs: null });
    else if (e.name === 'group-gate-failed') gates.push({ at: e.recordedAt, groupId, step: 'failed', verdict: 'FAIL', verdictId: text(d.verdictId), reason: text(d.reason), inputs: null });
  }
  return gates;
}

/**
 * The artifacts the distribution set installs: what its modules name (`software-module-artifact-added`, minus
 * removed ones), completed by the distributor's own `artifact-stored` record of the same sha256.
 */
function artifactsOf(catalog: readonly AuditEvent[]): ArtifactEvidence[] {
  const named = new Map<string, ArtifactEvidence & { artifactId?: string }>();
  const stored = new Map<string, Record<string, unknown>>();
  for (const e of catalog) {
    const d = e.data;
    if (e.name === 'software-module-artifact-added' && typeof d.sha256 === 'string') {
      named.set(String(d.artifactId ?? d.sha256), {
        artifactId: d.artifactId as string | undefined, sha256: d.sha256, sha1: d.sha1 as string | undefined, md5: d.md5 as string | undefined,
        size: d.size as number | undefined, fileName: d.fileName as string | undefined, signature: d.signature,
      });
    } else if (e.name === 'software-module-artifact-removed') {
      named.delete(String(d.artifactId));
    } else if (e.aggregate === 'artifact' && typeof d.sha256 === 'string') {
      stored.set(d.sha256, d);
    }
  }
  const artifacts = [...named.values()].map(({ artifactId: _id, ...a }) => ({ ...a, storedByDistributor: stored.has(a.sha256) }));
  // Content the distributor stored that no module event names (older logs) still counts as evidence.
  for (const [sha256, d] of stored) {
    if (!artifacts.some((a) => a.sha256 === sha256)) {
      artifacts.push({ sha256, sha1: d.sha1 as string | undefined, md5: d.md5 as string | undefined, size: d.size as number | undefined, fileName: d.fileName as string | undefined, signature: d.signature, storedByDistributor: true });
    }
  }
  return artifacts;
}
