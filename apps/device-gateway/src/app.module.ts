import { Module, type DynamicModule } from '@nestjs/common';
import { GATEWAY_CONFIG, loadGatewayConfig } from './config';
import { DdiHttp } from './http/ddi-http.service';
import { GatewayMemory } from './memory/gateway-memory';
import { LogFollower } from './memory/log-follower.service';
import { CreateDeviceLastSeen1764700000000 } from './migrations/1764700000000-create-device-last-seen';

/** device-gateway's own tables, applied after the event store's and the bus's. */
export const DEVICE_GATEWAY_MIGRATIONS = [CreateDeviceLastSeen1764700000000];

/**
 * Composition root of device-gateway. The service kit (database, bus, health endpoints, logging) is added by
 * bootstrapService; here: the memory devices are answered from, the log follower that keeps it current and
 * the DDI routes. `env` is where the gateway's own settings are read (process.env in production).
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AppModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: loadGatewayConfig(env) }, { provide: GatewayMemory, useValue: new GatewayMemory() }, LogFollower, DdiHttp],
      exports: [GatewayMemory, LogFollower, DdiHttp],
    };
  }
}
