import { eventType } from '@rollgate/contracts';
import { targetDecider, type AttributesMode, type TargetCommand, type TargetEvent, type TargetState } from '@rollgate/catalog-domain';
import type { EventStore, EventMetadata } from '@rollgate/event-store';
import { ConcurrencyError, fold } from '@rollgate/shared-domain';
import { randomBytes } from 'node:crypto';
import type { DeviceEntry, GatewayMemory } from '../memory/gateway-memory';
import { GATEWAY_SOURCE } from './action-commands';
import type { GroupCommitter } from './group-committer';
import { KeyedLock } from './keyed-lock';

const MAX_ATTEMPTS = 3;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The target events a device causes: its attributes (DDI configData, hawkBit's merge/replace/remove) and
 * its own registration where the tenant allows unknown devices in. Rare next to polls, so each is decided
 * by the target decider on the stream as read from the log; the append shares the group commit with the
 * devices' action feedback (a fleet coming online reports its attributes all at once).
 */
export class TargetWrites {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly memory: GatewayMemory,
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly committer: Pick<GroupCommitter, 'append'>,
    private readonly clock: () => number = Date.now,
  ) {}

  updateAttributes(tenant: string, controllerId: string, mode: AttributesMode, data: Record<string, string>): Promise<void> {
    return this.execute(tenant, controllerId, (at) => ({ type: 'update-target-attributes', mode, data, at }));
  }

  /** Auto-registration: the target gets a generated 32-character token (hawkBit's length), as hawkBit does. */
  async register(tenant: string, controllerId: string): Promise<DeviceEntry | undefined> {
    const securityToken = generateToken();
    await this.execute(tenant, controllerId, (at) => ({ type: 'create-target', controllerId, securityToken, by: 'device-gateway', at }), true);
    return this.memory.device(tenant, controllerId);
  }

  /** Any other target command a device causes (auto-confirmation): decided on the stream, appended with the group commit. */
  run(tenant: string, controllerId: string, command: (at: number) => TargetCommand): Promise<void> {
    return this.execute(tenant, controllerId, command);
  }

  private execute(tenant: string, controllerId: string, command: (at: number) => TargetCommand, onlyIfAbsent = false): Promise<void> {
    const streamId = `target-${controllerId}`;
    return this.locks.run(`${tenant}/${controllerId}`, async () => {
      for (let attempt = 1; ; attempt++) {
        const stored = await this.store.readStream(tenant, streamId);
        const state = fold(targetDecider, stored.map((e) => ({ type: e.type.split('.')[3], data: e.data }) as TargetEvent)) as TargetState;
        if (onlyIfAbsent && state.status === 'registered') return;
        const version = stored.length === 0 ? 0 : stored[stored.length - 1].streamVersion;
        const events = targetDecider.decide(command(this.clock()), state);
        // A command that changes nothing (deactivating an inactive auto-confirmation) writes nothing.
        if (events.length === 0) return;
        const metadata: EventMetadata = { source: GATEWAY_SOURCE, actor: `device:${controllerId}` };
        const typed = events.map((e) => ({ type: eventType('target', e.type), data: e.data, metadata }));
        try {
          const result = await this.committer.append({ tenant, streamId, expectedVersion: version, events: typed });
          typed.forEach((e, i) => this.memory.apply({ tenant, streamId, streamVersion: result.version - typed.length + 1 + i, type: e.type, data: e.data }));
          return;
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        }
      }
    });
  }
}

function generateToken(): string {
  const bytes = randomBytes(32);
  return [...bytes].map((b) => TOKEN_ALPHABET[b % TOKEN_ALPHABET.length]).join('');
}
