import { bootstrapService } from '@rollgate/service-kit';
import { AppModule, DEVICE_GATEWAY_MIGRATIONS } from './app.module';
import { DEVICE_GATEWAY_DEFAULTS } from './config';

void bootstrapService({ defaults: DEVICE_GATEWAY_DEFAULTS, module: AppModule.forRoot(), migrations: DEVICE_GATEWAY_MIGRATIONS });
