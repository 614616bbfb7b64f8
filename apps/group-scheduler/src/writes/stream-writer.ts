import { eventType, parseEventType } from '@rollgate/contracts';
import { EventStore, uuidv7, type AppendRequest, type EventMetadata } from '@rollgate/event-store';
import { ConcurrencyError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import type { PoolClient } from 'pg';

export const SCHEDULER_SOURCE = 'rollgate/group-scheduler';
const MEMBERS_ADDED = 'io.rollgate.rollout.group-members-added.v1';
const MAX_ATTEMPTS = 5;
/** Streams whose state is kept; past it the cache starts over (action streams of timeouts would grow it without end). */
const MAX_CACHED_STREAMS = 20_000;

/**
 * A stream's events from a version on ($3; the cached head included, to tell it is still there). Membership
 * chunks carry thousands of target ids the deciders only count: they are read as their count.
 */
const LOAD_STREAM = `SELECT stream_version, type, id,
        CASE WHEN type = $4 THEN jsonb_build_object('chunk', data -> 'chunk', 'at', data -> 'at', 'targetIds', '[]'::jsonb, 'targetCount', jsonb_array_length(data -> 'targetIds'))
             ELSE data END AS data
   FROM events WHERE tenant = $1 AND stream_id = $2 AND stream_version >= $3 ORDER BY stream_version`;

/** A row of LOAD_STREAM. */
export interface StreamRow {
  stream_version: number;
  type: string;
  data: unknown;
  id: string;
}

interface Cached {
  state: unknown;
  version: number;
  /** id of the event at `version`: tells whether that event is still the one in the log */
  lastId: string;
}

/** A transaction's scope (see StreamWriter.inScope). */
interface Scope {
  /** streams appended to and streams read, by the id of their head then */
  appended: Map<string, string>;
  read: Map<string, string>;
  savepoints: boolean;
  /** appends decided but not yet written (deferAppends), in order */
  pending: AppendRequest[] | undefined;
}

/** A decision on a stream: its state and version before, the events decided. */
interface Decided<S, E> {
  state: S;
  version: number;
  events: E[];
}

function newEventOf(aggregate: string, e: DomainEvent, metadata: EventMetadata) {
  return { type: eventType(aggregate, e.type), data: e.data, metadata: { source: SCHEDULER_SOURCE, actor: 'service:group-scheduler', ...metadata } };
}

/** An event this writer appended, with where it went: the engine continues from these. */
export interface WrittenEvent {
  tenant: string;
  streamId: string;
  event: DomainEvent;
}

/**
 * The scheduler's one write path: load the stream, decide, append at the version read, inside the caller's
 * transaction (the consumer's or the timer's), so the events commit together with the counters and the
 * processed-event record. A version conflict rolls back to a savepoint, reloads and decides again: another
 * scheduler instance (or the planner) wrote first, and the command may now decide nothing.
 *
 * States are cached per stream with the version and event id they were folded to: a load reads only newer
 * events (group streams carry large membership chunks that need not be read again), and starts over when the
 * cached head is no longer in the log (a transaction that appended it rolled back).
 */
export class StreamWriter {
  private readonly cache = new Map<string, Cached>();
  /** Per transaction in a scope (inScope): the streams it appended to and those it read, by the id of their head then. */
  private readonly scopes = new Map<PoolClient, Scope>();

  constructor(private readonly store: EventStore) {}

  /**
   * Runs `work`, the rest of `tx`'s transaction, remembering which streams it appends to. Once this
   * transaction appended to a stream, nobody else can append to it until the transaction ends (another
   * writer's next version collides with the uncommitted one in the unique index and waits, then fails), so
   * its state here is the stream's state and loading it again needs no query. Before an append (`execute`),
   * a stream this transaction read already is not read again either: the append's expected version still
   * catches any writer that came in between, and the conflict reloads. A cascade (report, the rollout's
   * reaction, the next group's start, in one transaction) reads each stream once that way.
   *
   * `savepoints: false`: appends take no savepoint, and a version conflict fails the whole transaction
   * (rethrown: isVersionConflict), for a caller that runs it again from the start rather than pay a round
   * trip per append for the rare conflict.
   *
   * `deferAppends: true` (with `savepoints: false`): appends are decided and folded at once but written
   * together by `flush`, which the caller runs before its COMMIT. Every append costs two round trips (the
   * event store looks up the stream's head for the hash chain, then copies the rows); a cascade of three
   * or four appends written as one costs those two once. Nothing reads the scheduler's own events back from
   * the table within its transaction: its loads of a stream it appended to come from the cache (above).
   */
  async inScope<T>(tx: PoolClient, work: () => Promise<T>, options: { savepoints?: boolean; deferAppends?: boolean } = {}): Promise<T> {
    const deferred = options.deferAppends === true && options.savepoints === false;
    this.scopes.set(tx, { appended: new Map(), read: new Map(), savepoints: options.savepoints ?? true, pending: deferred ? [] : undefined });
    let completed = false;
    try {
      const result = await work();
      completed = true;
      return result;
    } finally {
      const left = this.scopes.get(tx)?.pending?.length ?? 0;
      this.scopes.delete(tx);
      // A scope that ends with appends never written lost events its caller believes committed.
      if (completed && left > 0) throw new Error(`${left} deferred appends were never flushed`);
    }
  }

  /**
   * Writes the appends deferred in `tx`'s scope, in the order they were decided, as one append of the
   * event store (one head lookup, one COPY). A version conflict (a writer that came in between) fails the
   * transaction, as without deferral; the streams involved are read again next time.
   */
  async flush(tx: PoolClient): Promise<void> {
    const scope = this.scopes.get(tx);
    const requests = scope?.pending?.splice(0) ?? [];
    if (requests.length === 0) return;
    try {
      await this.store.appendInTransaction(tx, requests);
    } catch (error) {
      for (const r of requests) this.forget(r.tenant, r.streamId);
      throw error;
    }
  }

  async load<C, S, E extends DomainEvent>(tx: PoolClient, tenant: string, streamId: string, decider: Decider<C, S, E>, beforeAppend = false): Promise<{ state: S; version: number }> {
    const key = `${tenant}\u0000${streamId}`;
    const cached = this.cache.get(key);
    const scope = this.scopes.get(tx);
    if (scope && cached) {
      // The cache is shared with concurrent transactions: it must still hold the head this one knows.
      const known = scope.appended.get(key) ?? (beforeAppend ? scope.read.get(key) : undefined);
      if (known !== undefined && known === cached.lastId) return { state: cached.state as S, version: cached.version };
    }
    const { rows } = await tx.query<StreamRow>(LOAD_STREAM, [tenant, streamId, cached?.version ?? 0, MEMBERS_ADDED]);
    return this.fold(tx, tenant, streamId, decider, cached, rows);
  }

  /**
   * What `load` reads, as one statement with its values written out, for a caller that sends it together
   * with other statements in one round trip (a simple query); `absorb` takes its rows and answers what
   * `load` would have. In a scope the stream then counts as read before an append, as after `load`.
   */
  loadStatement(tx: PoolClient, tenant: string, streamId: string): { sql: string; absorb<C, S, E extends DomainEvent>(decider: Decider<C, S, E>, rows: StreamRow[]): Promise<{ state: S; version: number }> } {
    const cached = this.cache.get(`${tenant}\u0000${streamId}`);
    const values = [tx.escapeLiteral(tenant), tx.escapeLiteral(streamId), String(cached?.version ?? 0), `'${MEMBERS_ADDED}'`];
    return {
      sql: LOAD_STREAM.replace(/\$([1-4])/g, (_, n: string) => values[Number(n) - 1]),
      absorb: (decider, rows) => this.fold(tx, tenant, streamId, decider, cached, rows),
    };
  }

  /** The state last folded for a stream, if any (possibly behind the log: for what never changes once written). */
  peek<S>(tenant: string, streamId: string): S | undefined {
    return this.cache.get(`${tenant}\u0000${streamId}`)?.state as S | undefined;
  }

  /** Folds the rows read from the cached version on; starts over when the cached head is no longer in the log. */
  private async fold<C, S, E extends DomainEvent>(tx: PoolClient, tenant: string, streamId: string, decider: Decider<C, S, E>, cached: Cached | undefined, rows: StreamRow[]): Promise<{ state: S; version: number }> {
    const key = `${tenant}\u0000${streamId}`;
    const from = cached?.version ?? 0;
    let state = (cached?.state as S | undefined) ?? decider.initialState;
    let version = from;
    let lastId = cached?.lastId ?? '';
    let start = 0;
    if (cached && from > 0) {
      if (rows.length === 0 || rows[0].stream_version !== from || rows[0].id !== cached.lastId) {
        this.cache.delete(key);
        return this.load(tx, tenant, streamId, decider);
      }
      start = 1;
    }
    for (let i = start; i < rows.length; i++) {
      const row = rows[i];
      state = decider.evolve(state, { type: parseEventType(row.type).event, data: row.data } as E);
      version = row.stream_version;
      lastId = row.id;
    }
    this.remember(key, { state, version, lastId });
    this.scopes.get(tx)?.read.set(key, lastId);
    return { state, version };
  }

  /** Decides `command` on the stream's current state and appends the result; answers what was appended. */
  async execute<C, S, E extends DomainEvent>(tx: PoolClient, tenant: string, aggregate: string, streamId: string, decider: Decider<C, S, E>, command: C, metadata: EventMetadata = {}): Promise<{ events: E[]; state: S }> {
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(tx, tenant, streamId, decider, true);
      const events = decider.decide(command, state);
      if (events.length === 0) return { events, state };
      const scope = this.scopes.get(tx);
      if (scope?.pending) return this.defer(scope, scope.pending, tenant, aggregate, streamId, decider, { state, version, events }, metadata);
      // Not released after the append: ROLLBACK TO goes to the latest savepoint of the name, this one, and
      // a RELEASE would cost a round trip in every cascade for nothing.
      const savepoint = scope?.savepoints ?? true;
      if (savepoint) await tx.query('SAVEPOINT scheduler_append');
      let appendedIds: string[];
      try {
        const newEvents = events.map((e) => newEventOf(aggregate, e, metadata));
        [{ eventIds: appendedIds }] = await this.store.appendInTransaction(tx, [{ tenant, streamId, expectedVersion: version, events: newEvents }]);
      } catch (error) {
        if (!savepoint) {
          this.forget(tenant, streamId);
          throw error;
        }
        await tx.query('ROLLBACK TO SAVEPOINT scheduler_append');
        this.forget(tenant, streamId);
        if (!isVersionConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
        continue;
      }
      return { events, state: this.appended(scope, tenant, streamId, decider, { state, version, events }, appendedIds[appendedIds.length - 1]) };
    }
  }

  /**
   * The stream's state after this transaction's append, remembered with the id of its last event. If the
   * transaction rolls back later, the next load finds another id (or none) at this version and reloads.
   */
  private appended<C, S, E extends DomainEvent>(scope: Scope | undefined, tenant: string, streamId: string, decider: Decider<C, S, E>, decided: Decided<S, E>, lastId: string): S {
    const next = decided.events.reduce(decider.evolve, decided.state);
    const key = `${tenant}\u0000${streamId}`;
    this.remember(key, { state: next, version: decided.version + decided.events.length, lastId });
    scope?.appended.set(key, lastId);
    return next;
  }

  /**
   * An append left for `flush`: its state is folded and remembered now, under the ids its events will
   * carry (chosen here), so the cascade goes on from it without a query.
   */
  private defer<C, S, E extends DomainEvent>(scope: Scope, pending: AppendRequest[], tenant: string, aggregate: string, streamId: string, decider: Decider<C, S, E>, decided: Decided<S, E>, metadata: EventMetadata): { events: E[]; state: S } {
    const newEvents = decided.events.map((e) => ({ id: uuidv7(), ...newEventOf(aggregate, e, metadata) }));
    pending.push({ tenant, streamId, expectedVersion: decided.version, events: newEvents });
    return { events: decided.events, state: this.appended(scope, tenant, streamId, decider, decided, newEvents[newEvents.length - 1].id) };
  }

  private remember(key: string, entry: Cached): void {
    if (this.cache.size >= MAX_CACHED_STREAMS && !this.cache.has(key)) this.cache.clear();
    this.cache.set(key, entry);
  }

  forget(tenant: string, streamId: string): void {
    const key = `${tenant}\u0000${streamId}`;
    this.cache.delete(key);
    for (const scope of this.scopes.values()) {
      scope.appended.delete(key);
      scope.read.delete(key);
    }
  }
}

/** A stale expected version, or the unique index refusing a racing writer's version. */
export function isVersionConflict(error: unknown): boolean {
  if (error instanceof ConcurrencyError) return true;
  const pg = error as { code?: string; constraint?: string };
  return pg.code === '23505' && (pg.constraint === 'events_stream_version_unique' || pg.constraint === 'events_id_unique');
}
