import { bootstrapService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { ROLLOUT_PLANNER_DEFAULTS } from './config';

void bootstrapService({ defaults: ROLLOUT_PLANNER_DEFAULTS, module: AppModule });
