import { loadBuilt } from './built-workspace';

/**
 * Rollgate's services in this process, from the compiled tree (see built-workspace), for the simulator's e2e
 * spec and smoke. Loaded by path with the little typing needed here: apps meet only through HTTP and the log,
 * so the simulator imports no other app's code.
 */
export interface InProcessService {
  url: string;
  close(): Promise<void>;
}

interface Kit {
  createService(options: { defaults: unknown; module: unknown; env: NodeJS.ProcessEnv; migrations?: unknown[] }): Promise<InProcessService>;
}
interface AppModuleClass {
  forRoot(env: unknown): unknown;
}

const kit = () => loadBuilt<Kit>('libs/service-kit/src/index.ts');

export async function startPlanner(env: NodeJS.ProcessEnv): Promise<InProcessService> {
  return kit().createService({
    defaults: loadBuilt<{ ROLLOUT_PLANNER_DEFAULTS: unknown }>('apps/rollout-planner/src/config.ts').ROLLOUT_PLANNER_DEFAULTS,
    module: loadBuilt<{ AppModule: AppModuleClass }>('apps/rollout-planner/src/app.module.ts').AppModule.forRoot(env),
    env,
  });
}

export async function startDistributor(env: NodeJS.ProcessEnv): Promise<InProcessService> {
  const config = loadBuilt<{ ARTIFACT_DISTRIBUTOR_DEFAULTS: unknown; loadArtifactsConfig(env: NodeJS.ProcessEnv): unknown }>('apps/artifact-distributor/src/config.ts');
  return kit().createService({
    defaults: config.ARTIFACT_DISTRIBUTOR_DEFAULTS,
    module: loadBuilt<{ AppModule: AppModuleClass }>('apps/artifact-distributor/src/app.module.ts').AppModule.forRoot(config.loadArtifactsConfig(env)),
    env,
  });
}

export async function startScheduler(env: NodeJS.ProcessEnv): Promise<InProcessService> {
  return kit().createService({
    defaults: loadBuilt<{ GROUP_SCHEDULER_DEFAULTS: unknown }>('apps/group-scheduler/src/config.ts').GROUP_SCHEDULER_DEFAULTS,
    module: loadBuilt<{ AppModule: AppModuleClass }>('apps/group-scheduler/src/app.module.ts').AppModule.forRoot(env),
    migrations: loadBuilt<{ SCHEDULER_MIGRATIONS: unknown[] }>('apps/group-scheduler/src/migrations/scheduler.migrations.ts').SCHEDULER_MIGRATIONS,
    env,
  });
}

export async function startGateway(env: NodeJS.ProcessEnv): Promise<InProcessService> {
  const app = loadBuilt<{ AppModule: AppModuleClass; DEVICE_GATEWAY_MIGRATIONS: unknown[] }>('apps/device-gateway/src/app.module.ts');
  return kit().createService({
    defaults: loadBuilt<{ DEVICE_GATEWAY_DEFAULTS: unknown }>('apps/device-gateway/src/config.ts').DEVICE_GATEWAY_DEFAULTS,
    module: app.AppModule.forRoot(env),
    migrations: app.DEVICE_GATEWAY_MIGRATIONS,
    env,
  });
}
