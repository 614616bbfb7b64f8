import type { AutoConfirmation } from '@rollgate/catalog-domain';
import type { AutoConfirmSource } from '@rollgate/rollout-domain';
import { DomainError } from '@rollgate/shared-domain';
import type { ActionEntry, GatewayMemory } from '../memory/gateway-memory';
import type { ActionCommands } from '../writes/action-commands';

/**
 * hawkBit's auto-confirmation, carried out by the gateway as it follows the log: an action that waits for the
 * user's consent on a target whose auto-confirmation is active gets `action-confirmed` (hawkBit's message),
 * decided by the action decider and appended to the action's stream like any device command. That covers both
 * cases hawkBit has: actions already waiting when auto-confirmation is switched on (by an operator or the
 * device), and actions that begin waiting later (created by the planner before its read model saw the switch).
 *
 * Every gateway instance follows the whole log and reacts alike; the append at the action's version lets one
 * win, and the others, after reading what it wrote, find nothing left to confirm (the command is idempotent).
 * Work is deferred to the next turn of the event loop and coalesced per action, so that a page of the log
 * applied in one go (a gateway rebuilding its memory at boot) asks once, about the state at the page's end.
 */
const RETRY_MS = 1_000;

export class AutoConfirmer {
  private readonly pending = new Map<string, ActionEntry>();
  private scheduled = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly memory: GatewayMemory,
    private readonly actions: Pick<ActionCommands, 'run'>,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.unsubscribe = this.memory.onAutoConfirmDue((entry) => this.queue(entry));
    for (const entry of this.memory.dueForAutoConfirm()) this.queue(entry);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.pending.clear();
  }

  private queue(entry: ActionEntry): void {
    if (this.stopped) return;
    this.pending.set(`${entry.tenant}/${entry.actionId}`, entry);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const batch = [...this.pending.values()];
    this.pending.clear();
    await Promise.all(batch.map((entry) => this.confirm(entry)));
  }

  private async confirm(entry: ActionEntry): Promise<void> {
    const autoConfirm = this.memory.device(entry.tenant, entry.controllerId)?.autoConfirm;
    if (this.stopped || !autoConfirm || entry.state.status !== 'WAIT_FOR_CONFIRMATION') return;
    try {
      await this.actions.run(entry, (at) => ({ type: 'auto-confirm-action', autoConfirm: autoConfirmSource(autoConfirm), at }), { confirmationRequired: true });
    } catch (error) {
      // Refused by the decider (closed meanwhile: canceled, its rollout stopped): nothing left to confirm.
      if (error instanceof DomainError) return;
      // The log could not be written (a lost connection, conflicts past the retries): ask again shortly.
      this.log(`auto-confirming action ${entry.actionId} of ${entry.controllerId} failed, retrying: ${(error as Error).message}`);
      setTimeout(() => this.queue(entry), RETRY_MS).unref();
    }
  }
}

export function autoConfirmSource(state: AutoConfirmation): AutoConfirmSource {
  return { initiator: state.initiator, remark: state.remark, activatedBy: state.activatedBy };
}
