/**
 * The small set of errors the whole system speaks. Each carries a stable machine `code` (what API clients
 * and tests match on) and a human message. Infra errors wrap their `cause`.
 */
export class RollgateError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A rule of the domain refuses the command in the current state (maps to HTTP 409 or 422). */
export class DomainError extends RollgateError {
  constructor(
    code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(code, message);
  }
}

/** Input rejected at an edge before it reaches the domain (maps to HTTP 400). */
export class ValidationError extends RollgateError {
  constructor(
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
    code = 'validation_failed',
  ) {
    super(code, message);
  }
}

/** Someone else wrote to the stream first; the caller reloads and decides again (maps to HTTP 409). */
export class ConcurrencyError extends RollgateError {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      'concurrency_conflict',
      `stream ${streamId} was expected at version ${expectedVersion} but is at ${actualVersion ?? 'unknown'}`,
    );
  }
}

/** A dependency (database, bus, disk) failed; `cause` holds the original error. */
export class InfrastructureError extends RollgateError {
  constructor(code: string, message: string, cause: unknown) {
    super(code, message, { cause });
  }
}

/**
 * A command was recorded in the log, but the read models its answer is built from did not catch up in time
 * (a long transaction elsewhere in the database holds every log reader back). The change is not lost: the
 * client reads again later instead of repeating the command.
 */
export class ReadModelLagError extends RollgateError {
  constructor(message: string) {
    super('read_model_lagging', message);
  }
}
