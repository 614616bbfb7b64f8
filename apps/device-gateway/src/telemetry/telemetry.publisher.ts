import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { MAX_SAMPLES_PER_POST, telemetrySubject, TelemetrySampleSchema, type BusNames, type TelemetrySample } from '@rollgate/contracts';
import { ValidationError } from '@rollgate/shared-domain';
import { Type } from '@sinclair/typebox';
import Ajv from 'ajv';

/** What a device posts: the sample fields without tenant and controllerId, which come from the path. */
const DeviceSampleSchema = Type.Omit(TelemetrySampleSchema, ['tenant', 'controllerId'], { additionalProperties: false });
const validateSample = new Ajv({ allErrors: true, strict: false }).compile(DeviceSampleSchema);

export class TooManySamplesError extends ValidationError {
  constructor(count: number) {
    super(`${count} samples in one post; at most ${MAX_SAMPLES_PER_POST}`, [], 'too_many_samples');
  }
}

/** Reads one sample or `{ samples: [...] }` into full samples, or throws ValidationError naming what is wrong. */
export function readSamples(body: unknown, tenant: string, controllerId: string): TelemetrySample[] {
  const list = typeof body === 'object' && body !== null && Array.isArray((body as { samples?: unknown }).samples) ? (body as { samples: unknown[] }).samples : [body];
  if (list.length === 0) throw new ValidationError('no samples', [{ path: '/samples', message: 'must have at least one sample' }], 'telemetry_invalid');
  if (list.length > MAX_SAMPLES_PER_POST) throw new TooManySamplesError(list.length);
  return list.map((sample, index) => {
    if (!validateSample(sample)) {
      const issues = (validateSample.errors ?? []).map((e) => ({ path: `/samples/${index}${e.instancePath}`, message: e.message ?? 'invalid' }));
      throw new ValidationError(`sample ${index} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues, 'telemetry_invalid');
    }
    return { ...(sample as Omit<TelemetrySample, 'tenant' | 'controllerId'>), tenant, controllerId };
  });
}

/** Device health samples go to ROLLGATE_TELEMETRY (age-limited), never to the audit log. */
export class TelemetryPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly names: BusNames,
  ) {
    this.js = jetstream(nc);
  }

  async publish(samples: readonly TelemetrySample[]): Promise<void> {
    await Promise.all(samples.map((s) => this.js.publish(telemetrySubject(this.names, s.tenant, s.controllerId), JSON.stringify(s))));
  }
}
