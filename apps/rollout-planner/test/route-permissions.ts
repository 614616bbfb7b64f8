import 'reflect-metadata';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { AppModule } from '../src/app.module';
import { routesOf } from '../src/openapi/route-catalog';

export interface RoutePermissions {
  route: string;
  /** undefined when the route declares none */
  permissions: string[] | undefined;
}

type ModuleRef = { module?: unknown; controllers?: unknown[]; imports?: unknown[] } | (abstract new (...args: never[]) => unknown);
type ControllerClass = { name: string; prototype: object };

/**
 * Every controller the planner's composition root reaches, walking its imports (classes and dynamic modules)
 * as Nest does. Runs in Node's own realm (loaded through built-workspace), where Nest's decorator metadata
 * lives; Jest's sandbox has its own Reflect.
 */
export function plannerControllers(): ControllerClass[] {
  const seen = new Set<unknown>();
  const controllers = new Set<ControllerClass>();
  const visit = (ref: ModuleRef | undefined): void => {
    if (!ref || seen.has(ref)) return;
    seen.add(ref);
    const dynamic = typeof ref === 'object' ? ref : undefined;
    const moduleClass = dynamic ? dynamic.module : ref;
    for (const c of [...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass as object) as ControllerClass[] | undefined) ?? []), ...((dynamic?.controllers as ControllerClass[] | undefined) ?? [])]) controllers.add(c);
    for (const child of [...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass as object) as ModuleRef[] | undefined) ?? []), ...((dynamic?.imports as ModuleRef[] | undefined) ?? [])]) visit(child);
  };
  visit(AppModule.forRoot({}) as ModuleRef);
  return [...controllers];
}

/** Every route of the Management API's controllers with the permissions it declares. */
export function managementRoutes(): RoutePermissions[] {
  return routesOf(plannerControllers()).map((r) => ({ route: `${r.method} ${r.path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1')}`, permissions: r.permissions }));
}
