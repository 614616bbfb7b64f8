import { bootstrapService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { GROUP_SCHEDULER_DEFAULTS } from './config';
import { SCHEDULER_MIGRATIONS } from './migrations/scheduler.migrations';

/** sysexits' EX_CONFIG, as the service kit uses for its own variables */
const EXIT_CONFIG = 78;

function appModule(): ReturnType<typeof AppModule.forRoot> {
  try {
    return AppModule.forRoot(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT_CONFIG);
  }
}

void bootstrapService({ defaults: GROUP_SCHEDULER_DEFAULTS, module: appModule(), migrations: SCHEDULER_MIGRATIONS });
