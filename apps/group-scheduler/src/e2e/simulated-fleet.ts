import { ADMIN, TENANT, type E2eStack } from './e2e-stack';

/**
 * The device simulator's library API (apps/device-simulator/src/index.ts), loaded from the stack's compiled
 * snapshot: apps import no other app's code, so only the little typing these specs use is repeated here.
 */
export interface DeviceSpec {
  controllerId: string;
  deviceType: string;
  region: string;
  installedVersion?: string;
}
export type DeviceStatus = 'idle' | 'offline' | 'downloading' | 'downloaded' | 'waiting-window' | 'installing' | 'updated' | 'failed' | 'canceled' | 'unauthorized';
export type ActionOutcome = 'success' | 'failure' | 'downloaded' | 'canceled' | 'cancel-rejected' | 'denied' | 'gone' | 'unreported';
export interface FleetStats {
  devices: number;
  byStatus: Record<DeviceStatus, number>;
  byVersion: Record<string, number>;
  outcomes: Record<ActionOutcome, number>;
  cancelFeedbackSent: number;
  networkErrors: number;
  malformedAnswers: number;
  taskErrors: number;
  healthSent: number;
}
export interface DeviceView {
  controllerId: string;
  deviceType: string;
  status: DeviceStatus;
  version: string;
  currentActionId?: string;
  lastSettled?: { actionId: string; outcome: ActionOutcome; version: string };
}
export interface FleetHandle {
  stats(): FleetStats;
  device(controllerId: string): DeviceView | undefined;
  waitFor(predicate: (stats: FleetStats) => boolean, timeoutMs?: number): Promise<FleetStats>;
  stop(): Promise<void>;
}
export interface ProfileOverrides {
  [field: string]: unknown;
  telemetry?: Record<string, number>;
}
export interface FleetProfiles {
  base: Record<string, unknown>;
  deviceTypes?: Record<string, ProfileOverrides>;
  builds?: Array<{ version: string; deviceType?: string; overrides: ProfileOverrides }>;
}
interface SimulatorLibrary {
  BASE_PROFILE: Record<string, unknown>;
  generateFleet(options: { count: number; seed: string; prefix: string; initialVersion: string }): DeviceSpec[];
  registerFleet(options: { plannerUrl: string; tenant: string; username: string; password: string; devices: readonly DeviceSpec[] }): Promise<unknown>;
  startFleet(options: {
    gatewayUrl: string; tenant: string; devices: readonly DeviceSpec[]; seed: string; auth: 'target-token'; startSpreadMs?: number;
    initialVersion?: string; profiles: FleetProfiles; telemetryIntervalMs?: number;
  }): FleetHandle;
}

export const simulator = (stack: E2eStack): SimulatorLibrary => stack.load<SimulatorLibrary>('apps/device-simulator/src/index.ts');

/**
 * Fast, predictable devices for the scheduler's proofs: every install succeeds unless a build says otherwise,
 * nobody is offline, a cancellation is always accepted (outside an install).
 */
export function steadyProfile(stack: E2eStack, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...simulator(stack).BASE_PROFILE,
    installSuccessProbability: 1, downloadFailureProbability: 0, interruptedDownloadProbability: 0, offlineShare: 0,
    installDurationMs: { min: 100, max: 400 }, installSteps: 1, latencyMs: { min: 0, max: 0 }, cancelRejectProbability: 0,
    ...overrides,
  };
}

export async function registerDevices(stack: E2eStack, devices: readonly DeviceSpec[]): Promise<void> {
  await simulator(stack).registerFleet({ plannerUrl: stack.plannerUrl, tenant: TENANT, username: ADMIN.user, password: ADMIN.password, devices });
}

/** Tenant settings every e2e needs: devices poll every `pollSeconds`, and authenticate with target tokens. */
export async function configureTenant(stack: E2eStack, pollSeconds: number): Promise<void> {
  const time = `00:00:${String(pollSeconds).padStart(2, '0')}`;
  for (const [key, value] of [['minPollingTime', '00:00:01'], ['pollingTime', time], ['authentication.targettoken.enabled', true]] as const) {
    const answer = await stack.rest('PUT', `/system/configs/${key}`, { value });
    if (answer.status !== 200) throw new Error(`config ${key}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}
