import { Module, type DynamicModule } from '@nestjs/common';
import { EventStore } from '@rollgate/event-store';
import { CONSUMER_PREFILTER, PG_POOL } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { loadSchedulerSettings, SCHEDULER_SETTINGS } from './config';
import { COUNTERS_POOL, countersPool } from './counters-pool';
import { Pacer } from './engine/pacer';
import { DynamicJoiner } from './engine/dynamic-joiner';
import { RollbackOrchestrator } from './engine/rollback.orchestrator';
import { SchedulerEngine } from './engine/scheduler-engine';
import type { SchedulerSettings } from './engine/scheduler-settings';
import { DynamicTargetPrefilter } from './handlers/dynamic-target.prefilter';
import { SchedulerEventsHandler } from './handlers/scheduler-events.handler';
import { ActionProgressRunner } from './progress/action-progress.runner';
import { GroupProgressStore } from './progress/group-progress.store';
import { SharedLogPages } from './progress/shared-log-pages';
import { SchedulerRuntime } from './scheduler-runtime.service';
import { TimerRunner } from './timers/timer.runner';
import { TimerStore } from './timers/timer.store';
import { StreamWriter } from './writes/stream-writer';

/**
 * Events per page for the scheduler's log readers, which share their page reads (SharedLogPages). Catching
 * up is bound by the round trips each page costs (about ten in sequence for the counters' transaction), not
 * by the events in it: on a busy database 5,000 counted twice as fast as 2,000. At the head of the log pages
 * are small whatever this says.
 */
const LOG_PAGE_SIZE = 5000;

/**
 * Composition root of group-scheduler. The service kit (database, bus, health endpoints, logging) is added by
 * bootstrapService; the scheduler's engine, its counters' log reader, its timers and its bus handlers are
 * registered here. `env` is where the scheduler's own settings are read (see config.ts).
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const settings = loadSchedulerSettings(env);
    return {
      module: AppModule,
      controllers: [SchedulerEventsHandler],
      providers: [
        { provide: SCHEDULER_SETTINGS, useValue: settings },
        { provide: CONSUMER_PREFILTER, useFactory: (pool: Pool) => new DynamicTargetPrefilter(pool), inject: [PG_POOL] },
        { provide: StreamWriter, useFactory: (store: EventStore) => new StreamWriter(store), inject: [EventStore] },
        { provide: GroupProgressStore, useValue: new GroupProgressStore() },
        { provide: COUNTERS_POOL, useFactory: countersPool, inject: [PG_POOL] },
        { provide: SharedLogPages, useFactory: (pool: Pool, own: Pool) => new SharedLogPages(pool, LOG_PAGE_SIZE, own), inject: [PG_POOL, COUNTERS_POOL] },
        { provide: TimerStore, useValue: new TimerStore() },
        { provide: Pacer, useFactory: (s: SchedulerSettings, p: GroupProgressStore, t: TimerStore) => new Pacer(s, p, t), inject: [SCHEDULER_SETTINGS, GroupProgressStore, TimerStore] },
        {
          provide: DynamicJoiner,
          useFactory: (pool: Pool, w: StreamWriter, t: TimerStore, s: SchedulerSettings) => new DynamicJoiner(pool, w, t, s.dynamicFlushMs),
          inject: [PG_POOL, StreamWriter, TimerStore, SCHEDULER_SETTINGS],
        },
        { provide: RollbackOrchestrator, useFactory: (pool: Pool, w: StreamWriter) => new RollbackOrchestrator(pool, w), inject: [PG_POOL, StreamWriter] },
        {
          provide: SchedulerEngine,
          useFactory: (w: StreamWriter, p: GroupProgressStore, t: TimerStore, pacer: Pacer, rollback: RollbackOrchestrator, dynamic: DynamicJoiner, s: SchedulerSettings) =>
            new SchedulerEngine(w, p, t, pacer, rollback, dynamic, s.pollingOverdueMs),
          inject: [StreamWriter, GroupProgressStore, TimerStore, Pacer, RollbackOrchestrator, DynamicJoiner, SCHEDULER_SETTINGS],
        },
        {
          provide: ActionProgressRunner,
          useFactory: (pool: Pool, store: EventStore, p: GroupProgressStore, t: TimerStore, e: SchedulerEngine, pages: SharedLogPages) =>
            new ActionProgressRunner(pool, store, p, t, e, { batchSize: pages.pageSize, read: pages.readPromptly }),
          inject: [COUNTERS_POOL, EventStore, GroupProgressStore, TimerStore, SchedulerEngine, SharedLogPages],
        },
        {
          provide: TimerRunner,
          useFactory: (pool: Pool, t: TimerStore, w: StreamWriter, p: GroupProgressStore, e: SchedulerEngine, s: SchedulerSettings) => new TimerRunner(pool, t, w, p, e, { pollMs: s.timerPollMs }),
          inject: [PG_POOL, TimerStore, StreamWriter, GroupProgressStore, SchedulerEngine, SCHEDULER_SETTINGS],
        },
        SchedulerRuntime,
      ],
    };
  }
}
