import { softwareModuleDecider, type SoftwareModuleCommand } from '@rollgate/catalog-domain';
import { eventType } from '@rollgate/contracts';
import { EventStore } from '@rollgate/event-store';
import { actionDecider, type ActionCommand, type ActionState } from '@rollgate/rollout-domain';
import type { DomainEvent } from '@rollgate/shared-domain';
import { Pool } from 'pg';

/** Test fixture (for the rollouts' integration specs): the other services' side of the log. */

export type PerStatus = Record<'notstarted' | 'scheduled' | 'running' | 'finished' | 'error' | 'cancelled', number>;
export const NO_TARGETS: PerStatus = { notstarted: 0, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 0 };

/** A group's members in position order and its first action id, as the gateway derives its actions from the log. */
export interface GroupMembers {
  firstActionId: number;
  targetIds: string[];
}

export type DeviceOutcome = 'running' | 'success' | 'failure' | 'rejected';

/**
 * Appends what device-gateway appends for a device (action decider; `action-created` lazily with the device's
 * first event) and what the planner appends for an uploaded artifact, for tenant `acme`.
 */
export class DeviceLog {
  private readonly pool: Pool;
  private readonly store: EventStore;

  constructor(databaseUrl: string) {
    this.pool = new Pool({ connectionString: databaseUrl, max: 2 });
    // The test database is dropped WITH FORCE after the suite: its closing sockets' errors are expected.
    this.pool.on('error', () => undefined);
    this.store = new EventStore(this.pool);
  }

  async membersOf(groupId: string): Promise<GroupMembers> {
    const events = await this.store.readStream('acme', `rolloutgroup-${groupId}`);
    const targetIds = events.filter((e) => e.type.endsWith('.group-members-added.v1')).flatMap((e) => (e.data as { targetIds: string[] }).targetIds);
    const ready = events.find((e) => e.type.endsWith('.group-ready.v1'));
    if (!ready) throw new Error(`group ${groupId} is not ready`);
    return { firstActionId: (ready.data as { firstActionId: number }).firstActionId, targetIds };
  }

  /**
   * The device at `position` retrieves its action (once) and reports progress or its final result; `rejected`
   * is the gateway's pre-deploy check refusing the device on its first offer.
   */
  async report(rolloutId: string, groupId: string, members: GroupMembers, position: number, outcome: DeviceOutcome): Promise<void> {
    const actionId = members.firstActionId + position;
    const stream = `action-${actionId}`;
    const stored = await this.store.readStream('acme', stream);
    let state = stored.map((e) => ({ type: e.type.split('.')[3], data: e.data }) as never).reduce(actionDecider.evolve, actionDecider.initialState) as ActionState;
    const events: DomainEvent[] = [];
    const run = (command: ActionCommand) => {
      const decided = actionDecider.decide(command, state);
      state = decided.reduce(actionDecider.evolve, state);
      events.push(...decided);
    };
    const at = Date.now();
    if (state.status === 'INITIAL') {
      run({ type: 'create-action', actionId: String(actionId), targetId: members.targetIds[position], distributionSetId: 'set', rolloutId, groupId, at });
      if (outcome !== 'rejected') run({ type: 'retrieve-action', at });
    }
    if (outcome === 'rejected') run({ type: 'reject-action', check: 'architecture', reason: 'device is armv7, the artifact aarch64', at });
    else run({ type: 'report-action-feedback', feedback: outcome === 'running' ? { execution: 'proceeding' } : { execution: 'closed', finished: outcome }, at });
    await this.store.append('acme', stream, stored.length, events.map((e) => ({ type: eventType('action', e.type), data: e.data, metadata: { source: 'rollgate/device-gateway' } })));
  }

  /** An artifact without a signature, as the planner records an upload the distributor stored. */
  async addUnsignedArtifact(moduleId: string, fileName: string): Promise<void> {
    const stream = `softwaremodule-${moduleId}`;
    const stored = await this.store.readStream('acme', stream);
    const state = stored.map((e) => ({ type: e.type.split('.')[3], data: e.data }) as never).reduce(softwareModuleDecider.evolve, softwareModuleDecider.initialState);
    const command: SoftwareModuleCommand = { type: 'add-artifact', artifactId: `${moduleId}-${fileName}`, fileName, sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 10, by: 'admin', at: Date.now() };
    const events = softwareModuleDecider.decide(command, state);
    await this.store.append('acme', stream, stored[stored.length - 1].streamVersion, events.map((e) => ({ type: eventType('softwaremodule', e.type), data: e.data, metadata: { source: 'rollgate/rollout-planner' } })));
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
