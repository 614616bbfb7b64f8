import { Type, type Static } from '@sinclair/typebox';
import Ajv from 'ajv';
import { ValidationError } from '@rollgate/shared-domain';
import { parseEventType } from './event-type';

/**
 * Every event leaves the log as a CloudEvents 1.0 structured-mode JSON document. The extensions
 * (lower-case, at most 20 characters, per the CloudEvents naming rule) carry the log coordinates and the
 * causal chain. `position` is a decimal string: CloudEvents integers are 32-bit and the log outgrows that.
 */
export const CloudEventSchema = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Type.String({ minLength: 1, maxLength: 64 }),
    source: Type.String({ pattern: '^rollgate/[a-z][a-z0-9-]*$' }),
    type: Type.String({ pattern: '^io\\.rollgate\\.[a-z][a-z0-9-]*\\.[a-z][a-z0-9-]*\\.v[1-9][0-9]*$' }),
    time: Type.String({ minLength: 20 }),
    subject: Type.String({ minLength: 1 }),
    datacontenttype: Type.Literal('application/json'),
    dataschema: Type.String({ minLength: 1 }),
    data: Type.Unknown(),
    tenant: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    streamid: Type.String({ minLength: 1, maxLength: 200 }),
    streamversion: Type.Integer({ minimum: 1 }),
    position: Type.String({ pattern: '^[1-9][0-9]*$' }),
    correlationid: Type.Optional(Type.String()),
    causationid: Type.Optional(Type.String()),
    traceparent: Type.Optional(Type.String({ pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' })),
    actor: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export type CloudEvent<T = unknown> = Omit<Static<typeof CloudEventSchema>, 'data'> & { data: T };

const ajv = new Ajv({ allErrors: true, strict: false });
const validateEnvelope = ajv.compile(CloudEventSchema);

/** Where a payload's JSON Schema is published; stable per event type and version. */
export function dataSchemaOf(type: string): string {
  const { aggregate, event, version } = parseEventType(type);
  return `urn:rollgate:schema:${aggregate}:${event}:v${version}`;
}

/**
 * Decodes bytes from the bus into a CloudEvent, or throws ValidationError naming what is wrong. Consumers
 * dead-letter what this refuses instead of crashing.
 */
export function decodeCloudEvent(bytes: Uint8Array | string): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ValidationError(`message is not JSON: ${(error as Error).message}`, [], 'malformed_event');
  }
  if (!validateEnvelope(parsed)) {
    const issues = (validateEnvelope.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
    throw new ValidationError(
      `message is not a Rollgate CloudEvent: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
      'malformed_event',
    );
  }
  return parsed as CloudEvent;
}
