import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { NATS_CONNECTION, ReadinessService, SERVICE_CONFIG, type ServiceConfig } from '@rollgate/service-kit';
import { HEALTH_CLOCK, HEALTH_CONFIG, type HealthConfig } from '../config';
import { TelemetryIntake } from './telemetry-intake';
import { TenantTelemetry } from './tenant-telemetry';

/** Runs the telemetry intake for the service's lifetime; `/readyz` fails while it is not attached. */
@Injectable()
export class TelemetryIntakeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly intake: TelemetryIntake;
  private readonly logger = new Logger('telemetry-intake');

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(SERVICE_CONFIG) service: ServiceConfig,
    @Inject(HEALTH_CONFIG) config: HealthConfig,
    @Inject(TenantTelemetry) telemetry: TenantTelemetry,
    @Inject(HEALTH_CLOCK) clock: () => number,
    @Inject(ReadinessService) readiness: ReadinessService,
  ) {
    this.intake = new TelemetryIntake({ nc, names: service.busNames, telemetry, lookbackMs: config.telemetryLookbackMs, clock, logger: { warn: (obj, msg) => this.logger.warn({ ...obj, msg }) } });
    readiness.addCheck('telemetry', () => {
      if (!this.intake.attached) throw new Error('telemetry intake not attached');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.intake.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.intake.stop();
  }
}
