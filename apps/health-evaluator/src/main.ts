import { bootstrapService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { HEALTH_EVALUATOR_DEFAULTS } from './config';

void bootstrapService({ defaults: HEALTH_EVALUATOR_DEFAULTS, module: AppModule.forRoot(process.env) });
