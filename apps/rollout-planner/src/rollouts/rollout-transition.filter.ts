import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { toHttpError } from '@rollgate/service-kit';
import { DomainError } from '@rollgate/shared-domain';

interface ErrorReply {
  code(statusCode: number): ErrorReply;
  send(body: unknown): unknown;
}

/**
 * The rollout decider refuses an illegal transition with the state it found (`details.status`); clients get
 * it as `state` in the 409 so they can tell "already started" from "not approved yet" without another read.
 * A creator approving their own rollout is a matter of who asks, not of the rollout's state: 403.
 * Everything else keeps the service-wide mapping.
 */
@Catch(DomainError)
export class RolloutTransitionFilter implements ExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ErrorReply>();
    const state = error.details?.status;
    if (error.code === 'approver_is_creator' || error.code === 'approval_permission_missing') {
      reply.code(403).send({ code: error.code, message: error.message });
      return;
    }
    if (typeof state === 'string') {
      reply.code(409).send({ code: error.code, message: error.message, state: state.toLowerCase() });
      return;
    }
    const { status, body } = toHttpError(error);
    reply.code(status).send(body);
  }
}
