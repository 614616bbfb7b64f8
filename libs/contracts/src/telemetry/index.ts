import { Type, type Static } from '@sinclair/typebox';

/**
 * One device health sample, as device-gateway publishes it to `rollgate.tel.<tenant>.<controllerId>` in
 * ROLLGATE_TELEMETRY (not the audit log). Devices POST the same fields (without tenant/controllerId, which the
 * gateway fills from the authenticated path) to `/{tenant}/controller/v1/{controllerId}/health`, as one
 * sample or `{ "samples": [...] }`. Every metric is optional: a device reports what it can measure.
 */
export const TelemetrySampleSchema = Type.Object(
  {
    tenant: Type.String({ minLength: 1 }),
    controllerId: Type.String({ minLength: 1 }),
    /** when the device measured it, epoch milliseconds */
    at: Type.Integer({ minimum: 0 }),
    /** share of failed requests/operations over the sample interval, 0..1 */
    errorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    latencyP95Ms: Type.Optional(Type.Number({ minimum: 0 })),
    memoryMb: Type.Optional(Type.Number({ minimum: 0 })),
    cpuPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /** process/application restarts since the previous sample */
    restarts: Type.Optional(Type.Integer({ minimum: 0 })),
    temperatureC: Type.Optional(Type.Number()),
    /** the software version actually running (distribution set `name:version`), for A/B fallback detection */
    runningVersion: Type.Optional(Type.String()),
    healthEndpoint: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down')])),
    deviceType: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type TelemetrySample = Static<typeof TelemetrySampleSchema>;

/** At most this many samples in one POST (the gateway answers 413 beyond it). */
export const MAX_SAMPLES_PER_POST = 100;
