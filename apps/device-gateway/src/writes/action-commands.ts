import { ACTION_AGGREGATE, actionStreamId, eventType } from '@rollgate/contracts';
import type { EventStore, EventMetadata } from '@rollgate/event-store';
import { actionDecider, evolveAction, type ActionCommand, type ActionEvent, type ActionState } from '@rollgate/rollout-domain';
import { ConcurrencyError, DomainError } from '@rollgate/shared-domain';
import type { ActionEntry, GatewayMemory } from '../memory/gateway-memory';
import type { GroupCommitter } from './group-committer';
import { KeyedLock } from './keyed-lock';

export const GATEWAY_SOURCE = 'rollgate/device-gateway';
const MAX_ATTEMPTS = 4;

/** What the device asks for, decided at `at` against the action's current state. */
export type DeviceCommand = (at: number) => ActionCommand;

export interface ActionCommandOptions {
  /** the tenant's `user.confirmation.flow.enabled`: a new action waits for the device user's consent */
  confirmationRequired?: boolean;
}

/**
 * The gateway's one write path for actions: state from memory, decide with the action decider, append at
 * the version the memory holds (through the group committer), apply what was appended to memory at once.
 * A version conflict (another gateway instance, the planner or the scheduler wrote first) reads the missed
 * events from the log, applies them and decides again.
 *
 * Rollout actions begin lazily (docs/event-flow.md): the first event a device causes goes in with
 * `action-created`; if the rollout is stopping, with the `action-cancel-requested` its stop implies.
 */
export class ActionCommands {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly memory: GatewayMemory,
    private readonly committer: GroupCommitter,
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly clock: () => number = Date.now,
  ) {}

  run(entry: ActionEntry, command: DeviceCommand, options: ActionCommandOptions = {}): Promise<ActionEvent[]> {
    // Its rollout stopped before the device ever touched it: there is nothing to create any more.
    if (entry.droppedByStop) return Promise.reject(new DomainError('action_closed', `action ${entry.actionId} was canceled with its rollout`));
    return this.locks.run(`${entry.tenant}/${entry.actionId}`, () => this.decideAndAppend(entry, command, options));
  }

  private async decideAndAppend(entry: ActionEntry, command: DeviceCommand, options: ActionCommandOptions): Promise<ActionEvent[]> {
    for (let attempt = 1; ; attempt++) {
      const at = this.clock();
      const events = decideAll(entry.state, [...this.impliedCommands(entry, at, options), command(at)]);
      if (events.length === 0) return events;
      const streamId = actionStreamId(entry.actionId);
      const metadata: EventMetadata = { source: GATEWAY_SOURCE, actor: `device:${entry.controllerId}` };
      try {
        const typed = events.map((e) => ({ type: actionEventType(e.type), data: e.data, metadata }));
        const result = await this.committer.append({ tenant: entry.tenant, streamId, expectedVersion: entry.version, events: typed });
        const first = result.version - typed.length + 1;
        typed.forEach((e, i) => this.memory.apply({ tenant: entry.tenant, streamId, streamVersion: first + i, type: e.type, data: e.data }));
        return events;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        await this.catchUp(entry);
      }
    }
  }

  /** Commands the device's command implies: creating a rollout action's stream, recording its rollout's stop. */
  private impliedCommands(entry: ActionEntry, at: number, options: ActionCommandOptions): ActionCommand[] {
    const implied: ActionCommand[] = [];
    if (entry.state.status === 'INITIAL' && entry.template) {
      implied.push({ type: 'create-action', actionId: String(entry.actionId), ...entry.template, confirmationRequired: options.confirmationRequired, at });
    }
    if (entry.stopRequested) implied.push({ type: 'cancel-action', by: 'rollout-stopping', at });
    return implied;
  }

  private async catchUp(entry: ActionEntry): Promise<void> {
    const missed = await this.store.readStream(entry.tenant, actionStreamId(entry.actionId), entry.version + 1);
    for (const event of missed) this.memory.apply(event);
  }
}

/** An action event's full type, made once per event name (eventType builds and checks it anew each time). */
function actionEventType(name: ActionEvent['type']): string {
  let type = ACTION_EVENT_TYPES.get(name);
  if (type === undefined) {
    type = eventType(ACTION_AGGREGATE, name);
    ACTION_EVENT_TYPES.set(name, type);
  }
  return type;
}

const ACTION_EVENT_TYPES = new Map<string, string>();

/** Decides the commands one after another, each on the state the previous ones' events left. */
function decideAll(initial: ActionState, commands: ActionCommand[]): ActionEvent[] {
  let state = initial;
  const events: ActionEvent[] = [];
  for (const command of commands) {
    for (const event of actionDecider.decide(command, state)) {
      state = evolveAction(state, event);
      events.push(event);
    }
  }
  return events;
}
