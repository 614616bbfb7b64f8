import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { toHttpError } from '@rollgate/service-kit';
import type { FastifyReply } from 'fastify';
import { ArtifactHttpError } from '../storage/content-errors';

/**
 * The distributor's controllers answer a few statuses the kit's mapping does not know (401, 403, 413, 416,
 * 503) with their own stable codes; everything else goes the kit's way. A reply whose headers already left
 * (a download that failed mid-stream) cannot carry an error body: its connection is cut instead, which the
 * client sees as a truncated transfer and resumes.
 */
@Catch()
export class ArtifactErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('artifacts');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } =
      exception instanceof ArtifactHttpError ? { status: exception.status, body: { code: exception.code, message: exception.message } } : toHttpError(exception);
    if (status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    void reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
