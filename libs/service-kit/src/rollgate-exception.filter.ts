import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { toHttpError } from './error-mapping';

interface ErrorReply {
  code(statusCode: number): ErrorReply;
  send(body: unknown): unknown;
}

/**
 * The one global filter, shared by HTTP and the JetStream transport (the microservice inherits the app's
 * config):
 * - HTTP: every error leaves as `{ code, message }` (see toHttpError); internals go to the log only.
 * - event handlers: the error is handed back unchanged so that it reaches the consumer host, which naks or
 *   dead-letters. Nest's default RPC filter would swap anything that is not an RpcException for a generic
 *   object, and the host could no longer tell a ValidationError from a transient failure.
 */
@Catch()
export class RollgateExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => exception);
    const { status, body } = toHttpError(exception);
    if (status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    host.switchToHttp().getResponse<ErrorReply>().code(status).send(body);
  }
}
