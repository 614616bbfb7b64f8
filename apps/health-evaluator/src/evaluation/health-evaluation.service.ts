import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  assessVerification,
  captureBaseline,
  EMPTY_TRIGGER_MEMORY,
  evaluateGate,
  evaluateTriggers,
  UNKNOWN_VERSION,
  type CohortBaseline,
  type HealthCommand,
  type HealthEvent,
  type RolloutFleet,
  type TriggerMemory,
} from '@rollgate/health-domain';
import type { PoolClient } from 'pg';
import { FleetFollower } from '../fleet/fleet-follower.service';
import { TenantTelemetry } from '../telemetry/tenant-telemetry';
import { HealthStreamWriter, deterministicId } from './health-stream.writer';
import { viewOf } from './rollout-view';

export interface Causation {
  causationId?: string;
  correlationId?: string;
}

/**
 * health-evaluator's decisions, as use cases: capture baselines when a rollout starts, answer a gate
 * request, and on each evaluation tick check every running rollout's rollback triggers and its devices'
 * two-phase success. The rules are @rollgate/health-domain's; this class gathers their inputs (fleet
 * registry, telemetry, baselines from the health stream) and writes their conclusions.
 */
@Injectable()
export class HealthEvaluation {
  private readonly logger = new Logger('health-evaluation');
  private readonly triggerMemory = new Map<string, TriggerMemory>();
  private readonly baselines = new Map<string, CohortBaseline[]>();

  constructor(
    @Inject(FleetFollower) private readonly fleet: FleetFollower,
    @Inject(TenantTelemetry) private readonly telemetry: TenantTelemetry,
    @Inject(HealthStreamWriter) private readonly writer: HealthStreamWriter,
  ) {}

  /** At rollout start: per cohort (group × device type × running version) the last 24 h, incidents left out. */
  async captureBaselines(tx: PoolClient, tenant: string, rolloutId: string, at: number, cause: Causation): Promise<HealthEvent[]> {
    const rollout = this.fleet.registry.rollout(tenant, rolloutId);
    if (!rollout) return [];
    const store = this.telemetry.of(tenant);
    const cohorts = new Map<string, { key: { groupId: string; deviceType: string; version: string }; devices: string[] }>();
    for (const d of rollout.devices.values()) {
      const t = store.device(d.controllerId);
      const key = { groupId: d.groupId, deviceType: this.fleet.registry.deviceType(tenant, d.controllerId, t?.deviceType), version: t?.runningVersion ?? UNKNOWN_VERSION };
      const id = `${key.groupId}|${key.deviceType}|${key.version}`;
      const cohort = cohorts.get(id) ?? { key, devices: [] };
      cohort.devices.push(d.controllerId);
      cohorts.set(id, cohort);
    }
    const incidents = (controllerId: string) => this.fleet.incidentWindows(tenant, controllerId);
    const captured = [...cohorts.values()].map((c) => captureBaseline(c.key, c.devices.map((id) => store.device(id)), at, [], this.telemetry.bucketMs, incidents));
    return this.writer.executeIn(tx, tenant, { type: 'capture-baselines', rolloutId, cohorts: captured, excluded: [], bucketMs: this.telemetry.bucketMs, at }, cause);
  }

  /** The answer to `group-gate-requested`: one verdict per request, with its evidence. */
  async answerGate(tx: PoolClient, tenant: string, groupId: string, gate: string, requestId: string, at: number, cause: Causation): Promise<HealthEvent[]> {
    const rollout = this.rolloutOfGroup(tenant, groupId);
    if (!rollout) {
      this.logger.warn(`gate ${gate} requested for group ${groupId}, which belongs to no rollout the evaluator knows; not answered`);
      return [];
    }
    const view = viewOf(this.fleet.registry, rollout, this.telemetry.of(tenant));
    const baselines = await this.baselinesOf(tenant, rollout.rolloutId);
    const outcome = evaluateGate({ gate, at, groupId, deployed: view.deployed, control: view.control, totalDevices: view.totalDevices, targetVersion: view.targetVersion, baselines, execution: rollout.execution });
    const command: HealthCommand = {
      type: 'record-gate-verdict',
      rolloutId: rollout.rolloutId,
      groupId,
      gate,
      requestId,
      verdictId: deterministicId(`verdict|${requestId}`),
      verdict: outcome.verdict,
      reason: outcome.reason,
      evidence: outcome.evidence,
      at,
    };
    return this.writer.executeIn(tx, tenant, command, cause);
  }

  /** One evaluation round over every started rollout: rollback triggers, then device verification. */
  async tick(now: number): Promise<HealthEvent[]> {
    this.telemetry.prune(now);
    const written: HealthEvent[] = [];
    for (const rollout of this.fleet.registry.rollouts.values()) {
      if (rollout.phase !== 'starting' && rollout.phase !== 'running') continue;
      try {
        // A rollback rollout is not itself rolled back by triggers (that would loop); its devices are verified.
        if (!rollout.isRollback) written.push(...(await this.checkTriggers(rollout, now)));
        written.push(...(await this.verifyDevices(rollout, now)));
      } catch (error) {
        // One rollout's failure (a conflict that kept losing, the database away) must not starve the others.
        this.logger.warn(`evaluating rollout ${rollout.rolloutId} failed: ${(error as Error).message}`);
      }
    }
    return written;
  }

  private async checkTriggers(rollout: RolloutFleet, now: number): Promise<HealthEvent[]> {
    const key = `${rollout.tenant}|${rollout.rolloutId}`;
    const view = viewOf(this.fleet.registry, rollout, this.telemetry.of(rollout.tenant));
    const health = await this.writer.state(rollout.tenant, rollout.rolloutId);
    const memory = this.triggerMemory.get(key) ?? EMPTY_TRIGGER_MEMORY;
    // Keys fired before a restart are in the stream: never fire them again.
    const fired = health.status === 'MONITORING' ? [...new Set([...memory.fired, ...health.firedKeys])] : memory.fired;
    const baselines = await this.baselinesOf(rollout.tenant, rollout.rolloutId);
    const result = evaluateTriggers(
      { at: now, deployed: view.deployed, waves: view.waves, currentGroupId: view.currentGroupId, baselines, targetVersion: view.targetVersion, execution: rollout.execution },
      { ...memory, fired },
    );
    this.triggerMemory.set(key, result.memory);
    const written: HealthEvent[] = [];
    for (const trigger of result.triggers) {
      const triggerId = deterministicId(`trigger|${rollout.rolloutId}|${[...trigger.keys].sort().join(',')}`);
      written.push(...(await this.writer.execute(rollout.tenant, { type: 'trigger-rollback', rolloutId: rollout.rolloutId, triggerId, ...trigger, at: now })));
    }
    return written;
  }

  private async verifyDevices(rollout: RolloutFleet, now: number): Promise<HealthEvent[]> {
    const targetVersion = this.fleet.registry.versionOf(rollout.tenant, rollout.distributionSetId);
    if (targetVersion === undefined) return [];
    const store = this.telemetry.of(rollout.tenant);
    const commands: HealthCommand[] = [];
    const concluded: Array<() => void> = [];
    for (const device of rollout.devices.values()) {
      // A verified device is still watched: one that falls back on a later reboot failed after all. Until its
      // reported version changes there is nothing new to conclude, so it costs one comparison per round.
      if (device.deployedAt === undefined || device.fallback) continue;
      if (device.verified && store.device(device.controllerId)?.runningVersion === targetVersion) continue;
      const outcome = assessVerification(store.device(device.controllerId), device.deployedAt, targetVersion);
      if (outcome.status === 'pending' || (outcome.status === 'verified' && device.verified)) continue;
      const group = rollout.groups.get(device.groupId);
      const data = {
        rolloutId: rollout.rolloutId,
        groupId: device.groupId,
        controllerId: device.controllerId,
        actionId: (group?.firstActionId ?? 0) + device.position,
        runningVersion: store.device(device.controllerId)?.runningVersion,
        evidence: outcome.evidence,
        at: now,
      };
      commands.push(outcome.status === 'verified' ? { type: 'verify-device', ...data } : { type: 'detect-fallback', ...data });
      concluded.push(outcome.status === 'verified' ? () => (device.verified = true) : () => this.fleet.registry.markFallback(rollout, device));
    }
    if (commands.length === 0) return [];
    const written = await this.writer.executeMany(rollout.tenant, rollout.rolloutId, commands);
    // Only once written: a failed append leaves the devices to be concluded about on the next tick.
    concluded.forEach((mark) => mark());
    return written;
  }

  private rolloutOfGroup(tenant: string, groupId: string): RolloutFleet | undefined {
    for (const rollout of this.fleet.registry.rollouts.values()) if (rollout.tenant === tenant && rollout.groups.has(groupId)) return rollout;
    return undefined;
  }

  /** The baselines captured at start, read once from the rollout's health stream. */
  private async baselinesOf(tenant: string, rolloutId: string): Promise<CohortBaseline[]> {
    const key = `${tenant}|${rolloutId}`;
    const cached = this.baselines.get(key);
    if (cached) return cached;
    const found = await this.writer.baselines(tenant, rolloutId);
    if (found) this.baselines.set(key, found);
    return found ?? [];
  }
}
