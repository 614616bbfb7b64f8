import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ActionsModule } from '../src/actions/actions.module';
import { CatalogModule } from '../src/catalog/catalog.module';
import { IdentityModule } from '../src/identity/identity.module';
import { RolloutsModule } from '../src/rollouts/rollouts.module';
import { REQUIRED_PERMISSIONS } from '../src/identity/permissions.decorator';

type Handler = (...args: unknown[]) => unknown;

export interface RoutePermissions {
  route: string;
  /** undefined when the route declares none */
  permissions: string[] | undefined;
}

/**
 * Every route of the Management API's controllers with the permissions it declares. Runs in Node's own realm
 * (loaded through built-workspace), where Nest's decorator metadata lives; Jest's sandbox has its own Reflect.
 */
export function managementRoutes(): RoutePermissions[] {
  const controllers = [CatalogModule, ActionsModule, IdentityModule, RolloutsModule].flatMap((module) => (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, module) as Array<{ prototype: Record<string, Handler> }>) ?? []);
  return controllers.flatMap((controller) => {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    return Object.getOwnPropertyNames(controller.prototype)
      .filter((name) => name !== 'constructor')
      .map((name) => controller.prototype[name])
      .filter((handler) => typeof handler === 'function' && Reflect.getMetadata(PATH_METADATA, handler) !== undefined)
      .map((handler) => ({
        route: `${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]} /${base}/${Reflect.getMetadata(PATH_METADATA, handler) as string}`.replace(/\/+$/, '').replace(/\/\/+/g, '/'),
        permissions: Reflect.getMetadata(REQUIRED_PERMISSIONS, handler) as string[] | undefined,
      }));
  });
}
