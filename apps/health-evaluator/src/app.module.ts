import { Module, type DynamicModule } from '@nestjs/common';
import { DEFAULT_TELEMETRY_POLICY } from '@rollgate/health-domain';
import { ConfigError } from '@rollgate/service-kit';
import { HEALTH_CLOCK, HEALTH_CONFIG, HEALTH_EVALUATOR_DEFAULTS, readHealthConfig } from './config';
import { EvaluationTicker } from './evaluation/evaluation-ticker.service';
import { HealthEvaluation } from './evaluation/health-evaluation.service';
import { HealthStreamWriter } from './evaluation/health-stream.writer';
import { FleetFollower } from './fleet/fleet-follower.service';
import { GroupGateRequestedHandler } from './handlers/group-gate-requested.handler';
import { RolloutStartHandler } from './handlers/rollout-start.handler';
import { TelemetryIntakeService } from './telemetry/telemetry-intake.service';
import { TenantTelemetry } from './telemetry/tenant-telemetry';

/**
 * Composition root of health-evaluator. The service kit (database, bus, health endpoints, logging) is added
 * by bootstrapService; here: the telemetry intake and its per-tenant buckets, the fleet follower (the log
 * → which device is where), the evaluation use cases with their one write path, the evaluation ticker and
 * the two event handlers. `env` is where the evaluator's own settings are read; `clock` is for tests.
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env, clock: () => number = Date.now): DynamicModule {
    const { config, problems } = readHealthConfig(env);
    if (problems.length > 0) throw new ConfigError(HEALTH_EVALUATOR_DEFAULTS.service, problems);
    return {
      module: AppModule,
      controllers: [RolloutStartHandler, GroupGateRequestedHandler],
      providers: [
        { provide: HEALTH_CONFIG, useValue: config },
        { provide: HEALTH_CLOCK, useValue: clock },
        { provide: TenantTelemetry, useValue: new TenantTelemetry({ ...DEFAULT_TELEMETRY_POLICY, bucketMs: config.bucketMs }) },
        FleetFollower,
        HealthStreamWriter,
        HealthEvaluation,
        TelemetryIntakeService,
        EvaluationTicker,
      ],
      exports: [FleetFollower, HealthEvaluation, TenantTelemetry, TelemetryIntakeService, HealthStreamWriter],
    };
  }
}
