import { Inject, Injectable } from '@nestjs/common';
import { eventType, parseEventType } from '@rollgate/contracts';
import { EventStore, type EventMetadata, type StoredEvent } from '@rollgate/event-store';
import { ConcurrencyError, fold, type Decider, type DomainEvent } from '@rollgate/shared-domain';

export interface Loaded<S> {
  state: S;
  version: number;
}

/** Who caused a write; goes into every event's metadata. */
export interface WriteContext {
  tenant: string;
  actor: string;
  /** the user behind the actor (hawkBit's createdBy); absent for the system itself */
  username?: string;
}

/** What `createdBy`/`lastModifiedBy` show: the user's name, or the actor when no user is behind it. */
export const byOf = (context: WriteContext): string => context.username ?? context.actor;

const SOURCE = 'rollgate/rollout-planner';
const MAX_ATTEMPTS = 3;

/**
 * The one write path: load the stream, decide, append at the version that was read. A version conflict
 * means someone wrote in between: decide again on the new state (the command may now be refused).
 * Domain events carry the short name (`target-created`); the log stores `io.rollgate.<aggregate>.<name>.v1`.
 */
@Injectable()
export class AggregateRepository {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  async load<C, S, E extends DomainEvent>(tenant: string, streamId: string, decider: Decider<C, S, E>): Promise<Loaded<S>> {
    return loadedFrom(await this.store.readStream(tenant, streamId), decider);
  }

  async execute<C, S, E extends DomainEvent>(context: WriteContext, aggregate: string, streamId: string, decider: Decider<C, S, E>, command: C): Promise<E[]> {
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(context.tenant, streamId, decider);
      const events = decider.decide(command, state);
      if (events.length === 0) return events;
      const metadata: EventMetadata = { source: SOURCE, actor: context.actor };
      try {
        await this.store.append(context.tenant, streamId, version, events.map((e) => ({ type: eventType(aggregate, e.type), data: e.data, metadata })));
        return events;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Events already decided against states read at the given versions (or new streams at 0), appended in one
   * transaction. For writes that span many streams of one aggregate (a rollout and its groups): all or
   * nothing, and a concurrent writer makes the whole append fail with a version conflict.
   */
  async appendDecided(context: WriteContext, aggregate: string, streams: ReadonlyArray<{ streamId: string; expectedVersion: number; events: readonly DomainEvent[] }>): Promise<void> {
    const metadata: EventMetadata = { source: SOURCE, actor: context.actor };
    await this.store.appendMany(
      streams
        .filter((s) => s.events.length > 0)
        .map((s) => ({ tenant: context.tenant, streamId: s.streamId, expectedVersion: s.expectedVersion, events: s.events.map((e) => ({ type: eventType(aggregate, e.type), data: e.data, metadata })) })),
    );
  }

  /**
   * One command per stream, all appended atomically (a bulk create is all or nothing, as in hawkBit). The
   * first refusal aborts the whole batch before anything is written.
   */
  async executeMany<C, S, E extends DomainEvent>(context: WriteContext, aggregate: string, commands: ReadonlyArray<{ streamId: string; command: C }>, decider: Decider<C, S, E>): Promise<E[][]> {
    for (let attempt = 1; ; attempt++) {
      // One query for every stream of the batch: a bulk create of thousands of targets is one read, not thousands.
      const streams = await this.store.readStreams(context.tenant, commands.map(({ streamId }) => streamId));
      const loaded = commands.map(({ streamId }) => loadedFrom(streams.get(streamId) ?? [], decider));
      const decided = commands.map(({ command }, i) => decider.decide(command, loaded[i].state));
      const metadata: EventMetadata = { source: SOURCE, actor: context.actor };
      const requests = commands
        .map(({ streamId }, i) => ({ tenant: context.tenant, streamId, expectedVersion: loaded[i].version, events: decided[i].map((e) => ({ type: eventType(aggregate, e.type), data: e.data, metadata })) }))
        .filter((request) => request.events.length > 0);
      try {
        if (requests.length > 0) await this.store.appendMany(requests);
        return decided;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

function loadedFrom<C, S, E extends DomainEvent>(stored: readonly StoredEvent[], decider: Decider<C, S, E>): Loaded<S> {
  const events = stored.map((e) => ({ type: parseEventType(e.type).event, data: e.data }) as E);
  return { state: fold(decider, events), version: stored.length === 0 ? 0 : stored[stored.length - 1].streamVersion };
}
