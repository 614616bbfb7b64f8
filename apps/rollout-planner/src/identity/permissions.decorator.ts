import { applyDecorators, createParamDecorator, SetMetadata, UseGuards, type ExecutionContext } from '@nestjs/common';
import type { Permission } from '@rollgate/identity-domain';
import { RestAuthGuard } from './rest-auth.guard';
import type { Principal } from './principal';

export const REQUIRED_PERMISSIONS = 'rollgate:required-permissions';

/**
 * Every Management API endpoint states what it needs; `@Requires()` with no names means "any authenticated
 * caller". The guard refuses endpoints that state nothing, so a forgotten decorator fails closed.
 */
export const Requires = (...permissions: Permission[]) => applyDecorators(SetMetadata(REQUIRED_PERMISSIONS, permissions), UseGuards(RestAuthGuard));

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  ip: string;
  principal?: Principal;
}

/** The authenticated principal of the request (set by RestAuthGuard). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('Caller used on an endpoint without @Requires');
  return principal;
});
