import { createService, type RunningService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { GROUP_SCHEDULER_DEFAULTS } from './config';
import { SCHEDULER_MIGRATIONS } from './migrations/scheduler.migrations';

/**
 * group-scheduler in this process, for tests and the integrator's end-to-end runs (as `main.ts` starts it,
 * without signal handling): `env` carries DATABASE_URL, the bus names (serviceBusEnv), PORT and the
 * scheduler's own variables.
 */
export async function startGroupScheduler(env: NodeJS.ProcessEnv): Promise<RunningService> {
  return createService({ defaults: GROUP_SCHEDULER_DEFAULTS, module: AppModule.forRoot(env), migrations: SCHEDULER_MIGRATIONS, env });
}
