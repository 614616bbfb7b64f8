import { maintenanceWindowStatus, parseMaintenanceWindow } from './maintenance-window';
import type { ActionData } from './action.types';

export interface OpenAction {
  actionId: string;
  weight: number;
  /** Creation order (hawkBit: the action id); the older action wins a tie. */
  sequence: number;
}

/** DDI offers one action at a time: the open action of highest weight, then the oldest. O(n), no sort. */
export function selectOfferedAction<T extends OpenAction>(open: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const a of open) {
    if (!best || a.weight > best.weight || (a.weight === best.weight && a.sequence < best.sequence)) best = a;
  }
  return best;
}

export type HandlingType = 'skip' | 'attempt' | 'forced';

export interface DeploymentInstructions {
  download: HandlingType;
  update: HandlingType;
  /** Present only when the action has a window; `unavailable` = download now, install later. */
  maintenanceWindow?: 'available' | 'unavailable';
}

/** The `deployment` part of deploymentBase, as hawkBit maps action types at `now`. */
export function deploymentInstructions(action: Pick<ActionData, 'actionType' | 'forceTime' | 'maintenanceWindow'>, now: number): DeploymentInstructions {
  const handling = ((): Pick<DeploymentInstructions, 'download' | 'update'> => {
    switch (action.actionType) {
      case 'forced':
        return { download: 'forced', update: 'forced' };
      case 'soft':
        return { download: 'attempt', update: 'attempt' };
      case 'downloadonly':
        return { download: 'forced', update: 'skip' };
      case 'timeforced':
        return action.forceTime !== undefined && now >= action.forceTime
          ? { download: 'forced', update: 'forced' }
          : { download: 'attempt', update: 'attempt' };
    }
  })();
  if (!action.maintenanceWindow) return handling;
  const open = maintenanceWindowStatus(parseMaintenanceWindow(action.maintenanceWindow), now).available;
  return { ...handling, maintenanceWindow: open ? 'available' : 'unavailable' };
}
