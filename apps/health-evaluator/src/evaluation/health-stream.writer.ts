import { Inject, Injectable } from '@nestjs/common';
import { healthEventType, healthStreamId, type HealthEventName } from '@rollgate/contracts';
import { EventStore } from '@rollgate/event-store';
import { healthDecider, type CohortBaseline, type HealthCommand, type HealthEvent, type HealthState } from '@rollgate/health-domain';
import { ConcurrencyError } from '@rollgate/shared-domain';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';

const SOURCE = 'rollgate/health-evaluator';
const MAX_ATTEMPTS = 5;
/** events per append when a tick concludes about many devices at once */
const APPEND_CHUNK = 500;

/**
 * The one write path into `health-<rolloutId>`: load the stream, decide, append at the expected version,
 * retry on a version conflict. The state of each stream is cached with its version and brought up to date
 * by reading only the events after it (a rollout's stream holds one event per verified device).
 * Event ids are derived from what the event is about, so two instances (or a retry after a lost commit)
 * concluding the same thing write it once.
 */
@Injectable()
export class HealthStreamWriter {
  private readonly cache = new Map<string, { state: HealthState; version: number }>();
  private readonly baselineData = new Map<string, CohortBaseline[]>();

  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  /** Decides and appends on the pool (its own short transaction), retrying on conflicts. */
  async execute(tenant: string, command: HealthCommand, metadata: { causationId?: string; correlationId?: string } = {}): Promise<HealthEvent[]> {
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(tenant, command.rolloutId);
      const events = healthDecider.decide(command, state);
      if (events.length === 0) return [];
      try {
        await this.store.append(tenant, healthStreamId(command.rolloutId), version, this.toNew(command, events, metadata));
        return events;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Many conclusions about distinct things (one per device of a tick) in few appends: each command is decided
   * against the same loaded state (distinct devices do not interact), the events go in chunks at chained
   * versions. A conflict reloads and decides all again; already-recorded conclusions then drop out.
   */
  async executeMany(tenant: string, rolloutId: string, commands: HealthCommand[]): Promise<HealthEvent[]> {
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(tenant, rolloutId);
      const decided = commands.map((command) => ({ command, events: healthDecider.decide(command, state) })).filter((d) => d.events.length > 0);
      if (decided.length === 0) return [];
      try {
        let expected = version;
        for (let i = 0; i < decided.length; i += APPEND_CHUNK) {
          const chunk = decided.slice(i, i + APPEND_CHUNK).flatMap((d) => this.toNew(d.command, d.events, {}));
          await this.store.append(tenant, healthStreamId(rolloutId), expected, chunk);
          expected += chunk.length;
        }
        return decided.flatMap((d) => d.events);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Decides and appends inside a consumer's transaction, so the conclusion commits with the processed-event
   * record. A conflict is thrown: the consumer host naks and the redelivery decides again.
   */
  async executeIn(tx: PoolClient, tenant: string, command: HealthCommand, metadata: { causationId?: string; correlationId?: string } = {}): Promise<HealthEvent[]> {
    const { state, version } = await this.load(tenant, command.rolloutId);
    const events = healthDecider.decide(command, state);
    if (events.length === 0) return [];
    await this.store.appendInTransaction(tx, [{ tenant, streamId: healthStreamId(command.rolloutId), expectedVersion: version, events: this.toNew(command, events, metadata) }]);
    return events;
  }

  /** The current state of a rollout's health stream. */
  async state(tenant: string, rolloutId: string): Promise<HealthState> {
    return (await this.load(tenant, rolloutId)).state;
  }

  /** The baselines captured when the rollout started, if they were. */
  async baselines(tenant: string, rolloutId: string): Promise<CohortBaseline[] | undefined> {
    await this.load(tenant, rolloutId);
    return this.baselineData.get(`${tenant}|${rolloutId}`);
  }

  private async load(tenant: string, rolloutId: string): Promise<{ state: HealthState; version: number }> {
    const key = `${tenant}|${rolloutId}`;
    const cached = this.cache.get(key) ?? { state: healthDecider.initialState, version: 0 };
    const newer = await this.store.readStream(tenant, healthStreamId(rolloutId), cached.version + 1);
    if (newer.length === 0) return cached;
    let state = cached.state;
    for (const stored of newer) {
      const event = { type: stored.type.split('.')[3], data: stored.data } as HealthEvent;
      state = healthDecider.evolve(state, event);
      if (event.type === 'baselines-captured') this.baselineData.set(key, event.data.cohorts);
    }
    const next = { state, version: newer[newer.length - 1].streamVersion };
    this.cache.set(key, next);
    return next;
  }

  private toNew(command: HealthCommand, events: HealthEvent[], metadata: { causationId?: string; correlationId?: string }) {
    return events.map((event) => ({
      id: deterministicId(`${command.rolloutId}|${event.type}|${naturalKey(event)}`),
      type: healthEventType(event.type as HealthEventName),
      data: event.data,
      metadata: { source: SOURCE, actor: 'health-evaluator', ...metadata },
    }));
  }
}

function naturalKey(event: HealthEvent): string {
  switch (event.type) {
    case 'baselines-captured':
      return 'baselines';
    case 'gate-evaluated':
      return event.data.requestId;
    case 'rollback-triggered':
      return [...event.data.keys].sort().join(',');
    case 'device-verified':
    case 'device-fallback-detected':
      return event.data.controllerId;
  }
}

/** A UUID (version 8, name-based) from a name: the same conclusion always gets the same event id. */
export function deterministicId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
