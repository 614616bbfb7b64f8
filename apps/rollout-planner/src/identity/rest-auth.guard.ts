import { ForbiddenException, HttpException, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hasPermissions, type Permission } from '@rollgate/identity-domain';
import { Authenticator } from './authenticator.service';
import { REQUIRED_PERMISSIONS, type AuthenticatedRequest } from './permissions.decorator';

interface HeaderReply {
  header(name: string, value: string): unknown;
}

/** Authenticates the caller, then checks the endpoint's permissions: 401 without valid credentials, 403 without the permission. */
@Injectable()
export class RestAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, [context.getHandler(), context.getClass()]);
    if (!required) throw new ForbiddenException('endpoint declares no permissions');
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const reply = http.getResponse<HeaderReply>();
    const header = request.headers.authorization;
    const outcome = await this.authenticator.authenticate(typeof header === 'string' ? header : undefined, request.ip);
    switch (outcome.kind) {
      case 'missing':
      case 'invalid':
        reply.header('WWW-Authenticate', 'Basic realm="rollgate", Bearer realm="rollgate"');
        throw new UnauthorizedException(outcome.kind === 'missing' ? 'credentials required' : 'invalid credentials');
      case 'throttled':
        reply.header('Retry-After', String(Math.ceil(outcome.retryAfterMs / 1000)));
        throw new HttpException('too many failed logins, try again later', 429);
      case 'authenticated':
        if (!hasPermissions(outcome.principal.permissions, required)) {
          throw new ForbiddenException(`missing permission ${required.filter((p) => !outcome.principal.permissions.includes(p)).join(', ')}`);
        }
        request.principal = outcome.principal;
        return true;
    }
  }
}
