import type { Pool } from 'pg';
import { AuditLogReader } from './audit-log.reader';
import { signBundle, type SigningKey, type SignedBundle } from './bundle-signature';
import { buildEvidenceBundle } from './evidence-bundle';
import { rolloutHistory, type HistoryEntry } from './rollout-history';
import { bundleHtml, deploymentReport, incidentReport } from './rollout-reports';
import { replayRollout, type RolloutSnapshot } from './rollout-replay';

export interface RolloutExport {
  signed: SignedBundle;
  html: string;
  deploymentReport: string;
  incidentReports: string[];
}

/** The audit reads one rollout at a time, shared by the CLI (straight on the database) and the Management API. */
export class RolloutAudit {
  private readonly reader: AuditLogReader;

  constructor(pool: Pool) {
    this.reader = new AuditLogReader(pool);
  }

  async history(tenant: string, idOrName: string): Promise<{ rolloutId: string; entries: HistoryEntry[] }> {
    const rolloutId = await this.reader.resolveRollout(tenant, idOrName);
    const record = await this.reader.readRollout(tenant, rolloutId);
    return { rolloutId, entries: rolloutHistory(record.events) };
  }

  /** The rollout at `instant`, folded from the events recorded at or before it (only those are read). */
  async stateAsOf(tenant: string, idOrName: string, instant: Date): Promise<RolloutSnapshot> {
    const rolloutId = await this.reader.resolveRollout(tenant, idOrName);
    const record = await this.reader.readRollout(tenant, rolloutId, instant);
    return replayRollout(record.events, instant).snapshot;
  }

  /**
   * The rollout now, for live views that poll (`rollgate rollouts watch`): the same fold, over each action's
   * first and last event only. `eventsApplied` then counts the events read, not the log's.
   */
  async currentState(tenant: string, idOrName: string): Promise<RolloutSnapshot> {
    const rolloutId = await this.reader.resolveRollout(tenant, idOrName);
    const record = await this.reader.readRollout(tenant, rolloutId, undefined, { actions: 'ends' });
    return replayRollout(record.events).snapshot;
  }

  async export(tenant: string, idOrName: string, key: SigningKey, now = new Date()): Promise<RolloutExport> {
    const rolloutId = await this.reader.resolveRollout(tenant, idOrName);
    const record = await this.reader.readRollout(tenant, rolloutId);
    const bundle = buildEvidenceBundle(record, now);
    const html = bundleHtml(bundle, record.events);
    return {
      signed: signBundle(bundle, html, key),
      html,
      deploymentReport: deploymentReport(bundle, record.events),
      incidentReports: bundle.incidents.map((incident) => incidentReport(bundle, incident)),
    };
  }
}
