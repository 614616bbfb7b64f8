import { bootstrapService } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { ARTIFACT_DISTRIBUTOR_DEFAULTS } from './config';

void bootstrapService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule });
