import { given } from '@rollgate/shared-domain';
import { actionDecider, autoConfirmMessage } from './action.decider';
import { statusForDeploymentFeedback } from './action-feedback';
import { deploymentInstructions, selectOfferedAction } from './action-offer';
import type { ActionCommand, ActionEvent, ActionStatus, AutoConfirmSource, DdiExecution, FeedbackRecord } from './action.types';

const T = 1_700_000_000_000;
const T1 = T + 1;
const AT = T + 1_000_000;
const createCmd: Extract<ActionCommand, { type: 'create-action' }> = {
  type: 'create-action', actionId: 'a1', targetId: 'dev-1', distributionSetId: 'ds-2', rolloutId: 'r1', groupId: 'g1', progressTimeoutMs: 60_000, at: T,
};
const created = (status: ActionStatus = 'SCHEDULED', patch: object = {}): ActionEvent => ({
  type: 'action-created',
  data: {
    actionId: 'a1', targetId: 'dev-1', distributionSetId: 'ds-2', rolloutId: 'r1', groupId: 'g1', actionType: 'forced', forceTime: undefined, weight: 1000,
    maintenanceWindow: undefined, maxAttempts: 1, progressTimeoutMs: 60_000, status, at: T, ...patch,
  },
});
const record = (execution: DdiExecution, finished: FeedbackRecord['finished'] = 'none'): FeedbackRecord =>
  ({ execution, finished, details: [], code: undefined, progress: undefined });
const fb = (from: ActionStatus, execution: DdiExecution, status: ActionStatus, finished: FeedbackRecord['finished'] = 'none', at = T1): ActionEvent =>
  ({ type: 'action-feedback-received', data: { ...record(execution, finished), channel: 'deployment', from, status, at } });
const retrieved: ActionEvent = { type: 'action-retrieved', data: { at: T1 } };
const cancelRequested: ActionEvent = { type: 'action-cancel-requested', data: { from: 'RETRIEVED', by: 'ops', at: T1 } };

const histories: Record<string, ActionEvent[]> = {
  INITIAL: [],
  SCHEDULED: [created()],
  WAIT_FOR_CONFIRMATION: [created('WAIT_FOR_CONFIRMATION')],
  RETRIEVED: [created(), retrieved],
  DOWNLOAD: [created(), fb('SCHEDULED', 'download', 'DOWNLOAD')],
  DOWNLOADED: [created(), fb('SCHEDULED', 'downloaded', 'DOWNLOADED')],
  RUNNING: [created(), fb('SCHEDULED', 'proceeding', 'RUNNING')],
  WARNING: [created(), fb('SCHEDULED', 'rejected', 'WARNING')],
  CANCELING: [created(), retrieved, cancelRequested],
  CANCELED: [created(), retrieved, cancelRequested, { type: 'action-canceled', data: { from: 'CANCELING', forced: false, at: T1 } }],
  CANCEL_REJECTED: [created(), retrieved, cancelRequested, { type: 'action-cancel-rejected', data: { ...record('rejected'), from: 'CANCELING', at: T1 } }],
  FINISHED: [created(), fb('SCHEDULED', 'closed', 'FINISHED', 'success')],
  ERROR: [created(), fb('SCHEDULED', 'closed', 'ERROR', 'failure')],
  TIMED_OUT: [created(), retrieved, { type: 'action-timed-out', data: { from: 'RETRIEVED', lastProgressAt: T1, timeoutMs: 60_000, at: T1 + 60_000 } }],
};
const ACTIVE = ['SCHEDULED', 'RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WARNING', 'CANCELING', 'CANCEL_REJECTED'] as const;
const IN_PROGRESS = ['RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WARNING', 'CANCEL_REJECTED'] as const;
const TERMINAL = ['CANCELED', 'FINISHED', 'ERROR', 'TIMED_OUT'];

const source: AutoConfirmSource = { initiator: 'ops-bot', remark: 'night shift', activatedBy: 'admin' };
const HAWKBIT_MESSAGE = "Assignment automatically confirmed by initiator 'ops-bot'. \n\nAuto confirmation activated by system user: 'admin' \n\nRemark: night shift";
const autoConfirmed = (at: number): ActionEvent => ({ type: 'action-confirmed', data: { details: [HAWKBIT_MESSAGE], auto: { initiator: 'ops-bot', activatedBy: 'admin' }, at } });

type Outcome = ActionEvent[] | string;
const table: Array<{ command: ActionCommand; outcomes: Record<string, Outcome>; otherwise: string }> = [
  { command: createCmd, outcomes: { INITIAL: [created()] }, otherwise: 'action_already_exists' },
  {
    command: { type: 'confirm-action', confirmed: true, at: AT },
    outcomes: { WAIT_FOR_CONFIRMATION: [{ type: 'action-confirmed', data: { code: undefined, details: [], at: AT } }] },
    otherwise: 'action_not_awaiting_confirmation',
  },
  {
    command: { type: 'auto-confirm-action', autoConfirm: source, at: AT },
    outcomes: { WAIT_FOR_CONFIRMATION: [autoConfirmed(AT)] },
    otherwise: 'none: idempotent, every other state (closed ones too) answers []',
  },
  {
    command: { type: 'retrieve-action', at: AT },
    outcomes: { SCHEDULED: [{ type: 'action-retrieved', data: { at: AT } }], WAIT_FOR_CONFIRMATION: 'action_awaiting_confirmation' },
    otherwise: 'none: every other active state answers []',
  },
  {
    command: { type: 'report-action-feedback', feedback: { execution: 'proceeding' }, at: AT },
    outcomes: Object.fromEntries<Outcome>([
      ...ACTIVE.map((s) => [s, [fb(s, 'proceeding', s === 'CANCELING' ? 'CANCELING' : 'RUNNING', 'none', AT)]] as [string, Outcome]),
      ['WAIT_FOR_CONFIRMATION', 'action_awaiting_confirmation'],
    ]),
    otherwise: 'unused',
  },
  {
    command: { type: 'cancel-action', by: 'ops', at: AT },
    outcomes: Object.fromEntries<Outcome>([
      ...['SCHEDULED', 'WAIT_FOR_CONFIRMATION', ...IN_PROGRESS].map((s) => [s, [{ type: 'action-cancel-requested', data: { from: s, by: 'ops', at: AT } }]] as [string, Outcome]),
      ['CANCELING', []],
    ]),
    otherwise: 'unused',
  },
  {
    command: { type: 'report-cancel-feedback', feedback: { execution: 'canceled' }, at: AT },
    outcomes: { CANCELING: [{ type: 'action-canceled', data: { from: 'CANCELING', forced: false, at: AT } }] },
    otherwise: 'action_not_canceling',
  },
  {
    command: { type: 'reject-action', check: 'architecture', reason: 'arm64 device, x86_64 artifact', at: AT },
    outcomes: Object.fromEntries((['SCHEDULED', 'RETRIEVED', 'WAIT_FOR_CONFIRMATION'] as const).map((s) => [s, [{ type: 'action-rejected', data: { from: s, check: 'architecture', details: ['arm64 device, x86_64 artifact'], at: AT } }] as ActionEvent[]])),
    otherwise: 'action_already_started',
  },
  {
    command: { type: 'time-out-action', at: AT },
    outcomes: Object.fromEntries(IN_PROGRESS.map((s) => [s, [{ type: 'action-timed-out', data: { from: s, lastProgressAt: T1, timeoutMs: 60_000, at: AT } }]])),
    otherwise: 'action_not_in_progress',
  },
];

function expected(row: (typeof table)[number], status: string): Outcome {
  if (status in row.outcomes) return row.outcomes[status];
  if (row.command.type === 'create-action') return row.otherwise;
  if (status === 'INITIAL') return 'action_not_found';
  if (row.command.type === 'auto-confirm-action') return [];
  if (TERMINAL.includes(status)) return 'action_closed';
  if (row.command.type === 'retrieve-action') return [];
  return row.otherwise;
}

describe('action decider: every command in every state', () => {
  const cases = table.flatMap((row) => Object.keys(histories).map((status) => [row.command.type, status, row] as const));
  it.each(cases)('%s in %s', (_type, status, row) => {
    const outcome = expected(row, status);
    const spec = given(actionDecider, histories[status]).when(row.command);
    if (typeof outcome === 'string') expect(spec.thenThrows(outcome).code).toBe(outcome);
    else expect(spec.then(outcome)).toHaveLength(outcome.length);
  });

  it('reaches the state each fixture is named after', () => {
    for (const [status, history] of Object.entries(histories)) expect(given(actionDecider, history).state.status).toBe(status);
  });
});

describe('action decider: DDI feedback as hawkBit maps it', () => {
  it.each<[DdiExecution, FeedbackRecord['finished'], ActionStatus, ActionStatus]>([
    ['closed', 'failure', 'ERROR', 'ERROR'],
    ['closed', 'success', 'FINISHED', 'FINISHED'],
    ['closed', 'none', 'FINISHED', 'FINISHED'],
    ['canceled', 'none', 'CANCELED', 'CANCELED'],
    ['rejected', 'none', 'WARNING', 'WARNING'],
    ['download', 'none', 'DOWNLOAD', 'DOWNLOAD'],
    ['downloaded', 'none', 'DOWNLOADED', 'FINISHED'],
    ['proceeding', 'none', 'RUNNING', 'RUNNING'],
    ['scheduled', 'none', 'RUNNING', 'RUNNING'],
    ['resumed', 'none', 'RUNNING', 'RUNNING'],
  ])('%s + %s → %s (downloadonly: %s)', (execution, finished, forced, downloadOnly) => {
    expect(statusForDeploymentFeedback(execution, finished, 'forced')).toBe(forced);
    expect(statusForDeploymentFeedback(execution, finished, 'downloadonly')).toBe(downloadOnly);
    given(actionDecider, histories.RUNNING).when({ type: 'report-action-feedback', feedback: { execution, finished, details: ['step'], code: 3 }, at: AT })
      .then([{ type: 'action-feedback-received', data: { execution, finished, details: ['step'], code: 3, progress: undefined, channel: 'deployment', from: 'RUNNING', status: forced, at: AT } }]);
  });

  it('accepts upper-case fields, keeps long details whole and refuses an unknown execution', () => {
    const long = 'x'.repeat(10_000);
    given(actionDecider, histories.RUNNING).when({ type: 'report-action-feedback', feedback: { execution: 'CLOSED', finished: 'SUCCESS', details: [long] }, at: AT })
      .thenState((s, [e]) => { expect(s.status).toBe('FINISHED'); expect(e.type === 'action-feedback-received' && e.data.details[0].length).toBe(10_000); });
    given(actionDecider, histories.RUNNING).when({ type: 'report-action-feedback', feedback: { execution: 'exploded' }, at: AT }).thenThrows('invalid_feedback');
  });

  it('retries a failed attempt below the limit and fails for good on the last one', () => {
    const retrying = [created('SCHEDULED', { maxAttempts: 2 }), fb('SCHEDULED', 'proceeding', 'RUNNING')];
    const failed = { type: 'report-action-feedback' as const, feedback: { execution: 'closed', finished: 'failure' }, at: AT };
    const first = given(actionDecider, retrying).when(failed).then([
      { type: 'action-attempt-failed', data: { ...record('closed', 'failure'), from: 'RUNNING', attempt: 1, nextAttempt: 2, at: AT } },
    ]);
    given(actionDecider, [...retrying, ...first]).when({ ...failed, at: AT + 1 }).then([fb('SCHEDULED', 'closed', 'ERROR', 'failure', AT + 1)]);
  });

  it('maps cancel feedback: rejected and failed close refuse the cancel, progress stays CANCELING', () => {
    const canceling = histories.CANCELING;
    given(actionDecider, canceling).when({ type: 'report-cancel-feedback', feedback: { execution: 'rejected' }, at: AT })
      .then([{ type: 'action-cancel-rejected', data: { ...record('rejected'), from: 'CANCELING', at: AT } }]);
    given(actionDecider, canceling).when({ type: 'report-cancel-feedback', feedback: { execution: 'closed', finished: 'failure' }, at: AT })
      .then([{ type: 'action-cancel-rejected', data: { ...record('closed', 'failure'), from: 'CANCELING', at: AT } }]);
    given(actionDecider, canceling).when({ type: 'report-cancel-feedback', feedback: { execution: 'closed', finished: 'success' }, at: AT })
      .then([{ type: 'action-canceled', data: { from: 'CANCELING', forced: false, at: AT } }]);
    given(actionDecider, canceling).when({ type: 'report-cancel-feedback', feedback: { execution: 'proceeding' }, at: AT })
      .then([{ type: 'action-feedback-received', data: { ...record('proceeding'), channel: 'cancel', from: 'CANCELING', status: 'CANCELING', at: AT } }]);
  });

  it('a rejected action ends CANCELED (a canceled count, not an error) with the reason in its history', () => {
    given(actionDecider, histories.RETRIEVED).when({ type: 'reject-action', check: 'disk', reason: 'free disk 10 < 2 x 8 bytes', at: AT })
      .thenState((s, [e]) => { expect(s.status).toBe('CANCELED'); expect(e.type === 'action-rejected' && e.data.details).toEqual(['free disk 10 < 2 x 8 bytes']); });
  });

  it('force-cancels from any open state', () => {
    given(actionDecider, histories.CANCELING).when({ type: 'cancel-action', force: true, by: 'ops', at: AT })
      .then([{ type: 'action-canceled', data: { from: 'CANCELING', forced: true, by: 'ops', at: AT } }]);
  });

  it('times out only after the timeout elapsed and only if one is set', () => {
    given(actionDecider, histories.RUNNING).when({ type: 'time-out-action', at: T1 + 59_999 }).thenThrows('action_not_overdue');
    given(actionDecider, [created('SCHEDULED', { progressTimeoutMs: undefined }), retrieved]).when({ type: 'time-out-action', at: AT }).thenThrows('action_has_no_timeout');
  });

  it('auto-confirms at creation when consent is needed and the target confirms automatically (hawkBit at assignment)', () => {
    given(actionDecider).when({ ...createCmd, confirmationRequired: true, autoConfirm: source })
      .then([created('WAIT_FOR_CONFIRMATION'), autoConfirmed(T)]);
    given(actionDecider).when({ ...createCmd, confirmationRequired: true, autoConfirm: source }).thenState((s) => expect(s.status).toBe('RUNNING'));
    // Without the confirmation flow nothing waits, so there is nothing to confirm.
    given(actionDecider).when({ ...createCmd, autoConfirm: source }).then([created()]);
  });

  it("writes hawkBit's message, with n/a for whatever the activation left out", () => {
    expect(autoConfirmMessage({ initiator: null, remark: null, activatedBy: 'device:dev-1' })).toBe(
      "Assignment automatically confirmed by initiator 'n/a'. \n\nAuto confirmation activated by system user: 'device:dev-1' \n\nRemark: n/a",
    );
    given(actionDecider, histories.WAIT_FOR_CONFIRMATION).when({ type: 'auto-confirm-action', autoConfirm: source, at: AT }).thenState((s) => expect(s.status).toBe('RUNNING'));
  });

  it('confirms into RUNNING; a denial keeps it waiting', () => {
    given(actionDecider, histories.WAIT_FOR_CONFIRMATION).when({ type: 'confirm-action', confirmed: true, at: AT }).thenState((s) => expect(s.status).toBe('RUNNING'));
    given(actionDecider, histories.WAIT_FOR_CONFIRMATION).when({ type: 'confirm-action', confirmed: false, details: ['later'], at: AT })
      .then([{ type: 'action-confirmation-denied', data: { code: undefined, details: ['later'], at: AT } }]);
  });

  it.each([
    ['invalid_weight', { weight: -1 }],
    ['force_time_required', { actionType: 'timeforced' as const }],
    ['invalid_max_attempts', { maxAttempts: 0 }],
    ['invalid_maintenance_window', { maintenanceWindow: { schedule: '0 0 3 ? * 6', duration: '1h', timezone: '+00:00' } }],
    ['invalid_maintenance_window', { maintenanceWindow: { schedule: '0 0 L * ?', duration: '01:00:00', timezone: '+00:00' } }],
  ])('refuses creation with %s', (code, patch) => {
    given(actionDecider).when({ ...createCmd, ...patch }).thenThrows(code);
  });
});

describe('offering actions to a device', () => {
  it('offers the open action of highest weight, the oldest on a tie', () => {
    expect(selectOfferedAction([{ actionId: 'a', weight: 500, sequence: 1 }, { actionId: 'b', weight: 900, sequence: 3 }, { actionId: 'c', weight: 900, sequence: 2 }])?.actionId).toBe('c');
    expect(selectOfferedAction([])).toBeUndefined();
  });

  it('maps action types to download/update handling; timeforced turns forced at the force time', () => {
    expect(deploymentInstructions({ actionType: 'forced' }, T)).toEqual({ download: 'forced', update: 'forced' });
    expect(deploymentInstructions({ actionType: 'soft' }, T)).toEqual({ download: 'attempt', update: 'attempt' });
    expect(deploymentInstructions({ actionType: 'downloadonly' }, T)).toEqual({ download: 'forced', update: 'skip' });
    expect(deploymentInstructions({ actionType: 'timeforced', forceTime: T + 1 }, T)).toEqual({ download: 'attempt', update: 'attempt' });
    expect(deploymentInstructions({ actionType: 'timeforced', forceTime: T + 1 }, T + 1)).toEqual({ download: 'forced', update: 'forced' });
  });

  it('says whether the maintenance window is open', () => {
    // Saturdays 03:00 for two hours, UTC+02:00. 2024-01-06 is a Saturday.
    const maintenanceWindow = { schedule: '0 0 3 ? * SAT', duration: '02:00:00', timezone: '+02:00' };
    const sat0330local = Date.UTC(2024, 0, 6, 1, 30);
    expect(deploymentInstructions({ actionType: 'forced', maintenanceWindow }, sat0330local).maintenanceWindow).toBe('available');
    expect(deploymentInstructions({ actionType: 'forced', maintenanceWindow }, sat0330local + 2 * 3_600_000).maintenanceWindow).toBe('unavailable');
  });
});
