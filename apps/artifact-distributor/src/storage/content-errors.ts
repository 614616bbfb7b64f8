import { RollgateError } from '@rollgate/shared-domain';

/**
 * An error the artifact HTTP layer answers with its own status. The service kit maps only Validation,
 * Domain and Concurrency errors; the distributor also needs 401, 403, 413, 416 and 503 with stable codes.
 */
export class ArtifactHttpError extends RollgateError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export class ContentTooLargeError extends ArtifactHttpError {
  constructor(readonly maxBytes: number) {
    super(413, 'artifact_too_large', `the artifact exceeds the maximum of ${maxBytes} bytes`);
  }
}
