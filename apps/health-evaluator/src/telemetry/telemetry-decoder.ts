import { TelemetrySampleSchema, type TelemetrySample } from '@rollgate/contracts';
import { isValidTenant } from '@rollgate/shared-domain';
import Ajv from 'ajv';

const validateSample = new Ajv({ allErrors: false, strict: false }).compile<TelemetrySample>(TelemetrySampleSchema);

export type DecodeResult = { sample: TelemetrySample } | { malformed: 'not_json' | 'schema' | 'tenant' | 'subject_mismatch' };

/**
 * One message of ROLLGATE_TELEMETRY to a sample, or the reason it is dropped. The subject
 * (`<root>.tel.<tenant>.<controllerId>`) must name the sample's own tenant and device: the gateway writes
 * both from the authenticated path, so a mismatch is a forged or broken message, never another tenant's data.
 */
export function decodeTelemetry(subject: string, bytes: Uint8Array, subjectPrefix: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return { malformed: 'not_json' };
  }
  if (!validateSample(parsed)) return { malformed: 'schema' };
  if (!isValidTenant(parsed.tenant)) return { malformed: 'tenant' };
  if (subject !== `${subjectPrefix}${parsed.tenant}.${parsed.controllerId}`) return { malformed: 'subject_mismatch' };
  return { sample: parsed };
}
