import { bootstrapService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { ROLLOUT_PLANNER_DEFAULTS } from './config';

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

void bootstrapService({ defaults: ROLLOUT_PLANNER_DEFAULTS, module: appModule() });
