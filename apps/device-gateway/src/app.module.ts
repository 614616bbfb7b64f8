import { Module } from '@nestjs/common';

/**
 * Composition root of device-gateway. The service kit (database, bus, health endpoints, logging) is added by
 * bootstrapService; the service's own controllers, event handlers and projections are registered here.
 */
@Module({})
export class AppModule {}
