import { bootstrapService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { GROUP_SCHEDULER_DEFAULTS } from './config';

void bootstrapService({ defaults: GROUP_SCHEDULER_DEFAULTS, module: AppModule });
