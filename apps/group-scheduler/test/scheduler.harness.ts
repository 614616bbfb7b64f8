import type { BusNames } from '@rollgate/contracts';
import { eventType } from '@rollgate/contracts';
import { EventStore, reserveIdBlock, ACTION_ID_SEQUENCE, type StoredEvent } from '@rollgate/event-store';
import {
  actionDecider, groupDecider, rolloutDecider, type ActionCommand, type ActionState, type DynamicGroupTemplate, type GroupConditions, type RolloutExecution,
} from '@rollgate/rollout-domain';
import { fold, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import { createTestDatabase, testPool, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import { Pool } from 'pg';
import type * as SchedulerServiceFile from '../src/scheduler.service';
import { loadBuilt } from './built-workspace';

export const TENANT = 'acme';

export interface SchedulerUnderTest {
  url: string;
  close(): Promise<void>;
}

/** Starts group-scheduler in this process (the compiled tree) on the given database and bus names. */
export async function startScheduler(db: TestDatabase, names: BusNames, extraEnv: NodeJS.ProcessEnv = {}): Promise<SchedulerUnderTest> {
  const { startGroupScheduler } = loadBuilt<typeof SchedulerServiceFile>('apps/group-scheduler/src/scheduler.service.ts');
  const service = await startGroupScheduler({ DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ROLLGATE_TIMER_POLL_MS: '50', ...serviceBusEnv(names), ...extraEnv });
  return { url: service.url, close: () => service.close() };
}

export interface GroupPlan {
  size: number;
  conditions?: Partial<GroupConditions>;
}

export interface PlannedRollout {
  rolloutId: string;
  groups: Array<{ groupId: string; firstActionId: number; targets: string[] }>;
}

export const DEFAULT_CONDITIONS: GroupConditions = {
  success: { threshold: 100, mode: 'finished' }, successAction: 'NEXTGROUP',
  error: { kind: 'percentage', threshold: 20 }, errorAction: 'PAUSE', actionType: 'forced',
};

/**
 * The log as the planner and the gateway write it, appended through the event store with the real deciders:
 * a test plays the planner (create, start, pause, resume, trigger) and the devices (action events).
 */
export class LogWriter {
  readonly store: EventStore;

  constructor(readonly pool: Pool) {
    this.store = new EventStore(pool);
  }

  async execute<C, S, E extends DomainEvent>(streamId: string, aggregate: string, decider: Decider<C, S, E>, command: C): Promise<E[]> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.store.readStream(TENANT, streamId);
      const state = fold(decider, stored.map((e) => ({ type: e.type.split('.')[3], data: e.data }) as E));
      const events = decider.decide(command, state);
      if (events.length === 0) return events;
      try {
        await this.store.append(TENANT, streamId, stored.length === 0 ? 0 : stored[stored.length - 1].streamVersion, events.map((e) => ({ type: eventType(aggregate, e.type), data: e.data, metadata: { source: 'rollgate/test' } })));
        return events;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  }

  /** A ready rollout as the planner creates it: rollout, groups with membership and action id blocks. */
  async createRollout(rolloutId: string, groups: GroupPlan[], execution: Partial<RolloutExecution> = {}, extra: { dynamicGroupTemplate?: DynamicGroupTemplate; targetFilterQuery?: string } = {}): Promise<PlannedRollout> {
    const total = groups.reduce((n, g) => n + g.size, 0);
    let next = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, total);
    const at = Date.now();
    const planned = groups.map((g, i) => {
      const groupId = `${rolloutId}-g${i}`;
      const targets = Array.from({ length: g.size }, (_, p) => `${rolloutId}-dev-${i}-${p}`);
      const firstActionId = next;
      next += g.size;
      return { groupId, firstActionId, targets, conditions: { ...DEFAULT_CONDITIONS, ...g.conditions } };
    });
    await this.execute(`rollout-${rolloutId}`, 'rollout', rolloutDecider, {
      type: 'create-rollout', rolloutId, name: rolloutId, targetFilterQuery: extra.targetFilterQuery ?? 'name==*', distributionSetId: 'ds-new', dynamicGroupTemplate: extra.dynamicGroupTemplate,
      plan: { hash: `h-${rolloutId}`, groups: planned.map((g, i) => ({ groupId: g.groupId, name: `group-${i}`, size: g.targets.length })) },
      execution: { strategy: 'groups', soakMs: [], maxAttempts: 1, offlinePolicy: 'skip_and_queue', ...execution },
      approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: true }, creatorPermissions: [], by: 'admin', at,
    });
    for (const [i, g] of planned.entries()) {
      const stream = `rolloutgroup-${g.groupId}`;
      await this.execute(stream, 'rollout', groupDecider, { type: 'create-group', groupId: g.groupId, rolloutId, index: i, name: `group-${i}`, conditions: g.conditions, at });
      for (let c = 0; c < g.targets.length; c += 5000) await this.execute(stream, 'rollout', groupDecider, { type: 'add-group-members', targetIds: g.targets.slice(c, c + 5000), at });
      await this.execute(stream, 'rollout', groupDecider, { type: 'complete-group-creation', firstActionId: g.firstActionId, at });
    }
    await this.execute(`rollout-${rolloutId}`, 'rollout', rolloutDecider, { type: 'complete-rollout-creation', at });
    return { rolloutId, groups: planned.map(({ groupId, firstActionId, targets }) => ({ groupId, firstActionId, targets })) };
  }

  async rolloutCommand(rolloutId: string, command: Parameters<typeof rolloutDecider.decide>[0]): Promise<void> {
    await this.execute(`rollout-${rolloutId}`, 'rollout', rolloutDecider, command);
  }

  /**
   * What the gateway appends for one device: `action-created` lazily with the device's first event, then the
   * action decider's events for its feedback.
   */
  async device(rollout: PlannedRollout, groupIndex: number, position: number, outcome: 'finished' | 'error' | 'running'): Promise<void> {
    const group = rollout.groups[groupIndex];
    const actionId = group.firstActionId + position;
    const stream = `action-${actionId}`;
    const at = Date.now();
    const stored = await this.store.readStream(TENANT, stream);
    let state = fold(actionDecider, stored.map((e) => ({ type: e.type.split('.')[3], data: e.data }) as never)) as ActionState;
    const events: DomainEvent[] = [];
    const run = (command: ActionCommand) => {
      const decided = actionDecider.decide(command, state);
      state = decided.reduce(actionDecider.evolve, state);
      events.push(...decided);
    };
    if (state.status === 'INITIAL') {
      run({ type: 'create-action', actionId: String(actionId), targetId: group.targets[position], distributionSetId: 'ds-new', rolloutId: rollout.rolloutId, groupId: group.groupId, at });
      run({ type: 'retrieve-action', at });
    }
    if (outcome === 'running') run({ type: 'report-action-feedback', feedback: { execution: 'proceeding' }, at });
    else run({ type: 'report-action-feedback', feedback: { execution: 'closed', finished: outcome === 'finished' ? 'success' : 'failure' }, at });
    await this.store.append(TENANT, stream, stored.length, events.map((e) => ({ type: eventType('action', e.type), data: e.data, metadata: { source: 'rollgate/device-gateway' } })));
  }

  /** A manual assignment the device installed (the gateway's events): gives the device an installed set. */
  async install(targetId: string, distributionSetId: string): Promise<void> {
    const actionId = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, 1);
    const at = Date.now();
    let state = actionDecider.initialState;
    const events: DomainEvent[] = [];
    for (const command of [
      { type: 'create-action', actionId: String(actionId), targetId, distributionSetId, at },
      { type: 'retrieve-action', at },
      { type: 'report-action-feedback', feedback: { execution: 'closed', finished: 'success' }, at },
    ] satisfies ActionCommand[]) {
      const decided = actionDecider.decide(command, state);
      state = decided.reduce(actionDecider.evolve, state);
      events.push(...decided);
    }
    await this.store.append(TENANT, `action-${actionId}`, 0, events.map((e) => ({ type: eventType('action', e.type), data: e.data, metadata: { source: 'rollgate/device-gateway' } })));
  }

  async devices(rollout: PlannedRollout, groupIndex: number, positions: number[], outcome: 'finished' | 'error' | 'running'): Promise<void> {
    for (const p of positions) await this.device(rollout, groupIndex, p, outcome);
  }

  /** A target as the planner creates it (`target-created` on `target-<controllerId>`). */
  async createTarget(controllerId: string): Promise<void> {
    await this.store.append(TENANT, `target-${controllerId}`, 0, [{
      type: eventType('target', 'target-created'), metadata: { source: 'rollgate/rollout-planner' },
      data: { controllerId, name: controllerId, description: '', address: null, securityToken: 'not-a-secret-test-token', by: 'admin', at: Date.now() },
    }]);
  }

  async stream(streamId: string): Promise<StoredEvent[]> {
    return this.store.readStream(TENANT, streamId);
  }

  /** Short event names of a stream, in order. */
  async types(streamId: string): Promise<string[]> {
    return (await this.stream(streamId)).map((e) => e.type.split('.')[3]);
  }
}

export async function freshEnvironment(): Promise<{ db: TestDatabase; names: BusNames; pool: Pool; log: LogWriter }> {
  const db = await createTestDatabase('rg_scheduler');
  const names = testBusNames();
  const pool = testPool(db.url, 4);
  return { db, names, pool, log: new LogWriter(pool) };
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
