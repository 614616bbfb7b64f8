/** Where a simulated device is in its life; counted per status in the fleet's live stats. */
export const DEVICE_STATUSES = ['idle', 'offline', 'downloading', 'downloaded', 'waiting-window', 'installing', 'updated', 'failed', 'canceled', 'unauthorized'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * How one action ended for one device, as the device saw it. `gone`: the server answered 404/410 (the action is
 * no longer active for it); `unreported`: the device gave up on a message the server refused (other 4xx) or
 * never answered after retries.
 */
export const ACTION_OUTCOMES = ['success', 'failure', 'downloaded', 'canceled', 'cancel-rejected', 'denied', 'gone', 'unreported'] as const;
export type ActionOutcome = (typeof ACTION_OUTCOMES)[number];

export interface ActionSettled {
  controllerId: string;
  actionId: string;
  outcome: ActionOutcome;
  /** the build the action was about */
  version: string;
}

export interface FleetCounters {
  /** polls answered (any status); a poll lost to a network error counts under networkErrors */
  polls: number;
  /** polls answered 304 Not Modified (ETag) */
  pollsNotModified: number;
  feedbackSent: number;
  /** feedback answered 410/404: the action was no longer active for the server */
  feedbackGone: number;
  healthSent: number;
  configDataSent: number;
  confirmationsSent: number;
  cancelFeedbackSent: number;
  bytesDownloaded: number;
  downloadResumes: number;
  checksumFailures: number;
  /** devices that fell back to their previous build after a crash loop */
  fallbacks: number;
  /** answers 429 (rate limited) */
  throttled: number;
  networkErrors: number;
  malformedAnswers: number;
  /** a device task that threw (a bug, not the network): the device carries on with its next poll */
  taskErrors: number;
}

export interface FleetStats extends FleetCounters {
  devices: number;
  byStatus: Record<DeviceStatus, number>;
  /** running build → devices */
  byVersion: Record<string, number>;
  outcomes: Record<ActionOutcome, number>;
  /** HTTP status of every answer (e.g. { "200": 1200, "304": 800 }) */
  httpStatus: Record<string, number>;
  /** polls per second over the last sampling window (about 5 s) */
  pollsPerSecond: number;
  inFlight: number;
  queued: number;
  uptimeMs: number;
}

export function emptyCounters(): FleetCounters {
  return {
    polls: 0, pollsNotModified: 0, feedbackSent: 0, feedbackGone: 0, healthSent: 0, configDataSent: 0, confirmationsSent: 0,
    cancelFeedbackSent: 0, bytesDownloaded: 0, downloadResumes: 0, checksumFailures: 0, fallbacks: 0, throttled: 0, networkErrors: 0, malformedAnswers: 0, taskErrors: 0,
  };
}

export function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Poll rate over a sliding window of one-second samples. */
export class RateWindow {
  private readonly samples: Array<{ at: number; count: number }> = [];

  constructor(private readonly windowMs = 5_000) {}

  sample(at: number, count: number): void {
    this.samples.push({ at, count });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
  }

  perSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    return last.at > first.at ? ((last.count - first.count) * 1000) / (last.at - first.at) : 0;
  }
}
