import type { DdiFeedback } from '@rollgate/rollout-domain';
import { ValidationError } from '@rollgate/shared-domain';
import { Type } from '@sinclair/typebox';
import Ajv from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * hawkBit's feedback body. Clients differ (docs: "Real clients differ"): `id` may be a number or a string
 * and is not compared with the path, `time` may be basic ISO or missing; unknown fields are ignored.
 */
const FeedbackSchema = Type.Object({
  id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  time: Type.Optional(Type.String()),
  status: Type.Object({
    execution: Type.String({ minLength: 1 }),
    result: Type.Optional(Type.Object({
      finished: Type.Optional(Type.String()),
      progress: Type.Optional(Type.Object({ cnt: Type.Integer({ minimum: 0 }), of: Type.Integer({ minimum: 0 }) })),
    })),
    code: Type.Optional(Type.Integer()),
    details: Type.Optional(Type.Array(Type.String())),
  }),
});

const ConfigDataSchema = Type.Object({
  mode: Type.Optional(Type.String()),
  data: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
});

const ConfirmationSchema = Type.Object({
  confirmation: Type.String(),
  code: Type.Optional(Type.Integer()),
  details: Type.Optional(Type.Array(Type.String())),
});

const validateFeedback = ajv.compile(FeedbackSchema);
const validateConfigData = ajv.compile(ConfigDataSchema);
const validateConfirmation = ajv.compile(ConfirmationSchema);

function check(validate: ReturnType<typeof ajv.compile>, body: unknown, what: string): void {
  if (validate(body)) return;
  const issues = (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
  throw new ValidationError(`${what} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues, `${what.replace(/ /g, '_')}_invalid`);
}

export function readFeedback(body: unknown): DdiFeedback {
  check(validateFeedback, body, 'feedback');
  const { status } = body as { status: { execution: string; result?: { finished?: string; progress?: { cnt: number; of: number } }; code?: number; details?: string[] } };
  return { execution: status.execution, finished: status.result?.finished, progress: status.result?.progress, code: status.code, details: status.details };
}

/** `{ mode?, data }`; no mode means merge; `time` and `status` that some clients add are ignored. */
export function readConfigData(body: unknown): { mode: 'merge' | 'replace' | 'remove'; data: Record<string, string> } {
  check(validateConfigData, body, 'config data');
  const { mode = 'merge', data } = body as { mode?: string; data: Record<string, string | number | boolean> };
  const lower = mode.toLowerCase();
  if (lower !== 'merge' && lower !== 'replace' && lower !== 'remove') {
    throw new ValidationError(`config data mode "${mode}" is unknown`, [{ path: '/mode', message: 'must be merge, replace or remove' }], 'config_data_invalid');
  }
  return { mode: lower, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)])) };
}

export function readConfirmation(body: unknown): { confirmed: boolean; code?: number; details?: string[] } {
  check(validateConfirmation, body, 'confirmation');
  const { confirmation, code, details } = body as { confirmation: string; code?: number; details?: string[] };
  const answer = confirmation.toLowerCase();
  if (answer !== 'confirmed' && answer !== 'denied') {
    throw new ValidationError(`confirmation "${confirmation}" is unknown`, [{ path: '/confirmation', message: 'must be Confirmed or Denied' }], 'confirmation_invalid');
  }
  return { confirmed: answer === 'confirmed', code, details };
}

/** hawkBit's DdiActivateAutoConfirmation; unknown fields are ignored, as hawkBit does. */
const ActivateAutoConfirmSchema = Type.Object({
  initiator: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  remark: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
const validateActivateAutoConfirm = ajv.compile(ActivateAutoConfirmSchema);

/** What hawkBit records as the remark when a device activates without sending a body at all. */
export const DDI_AUTO_CONFIRM_FALLBACK_REMARK = 'Initiated using the Device Direct Integration API without providing a remark.';

/** `{ initiator?, remark? }`, the body itself optional (lengths are the target decider's to check). */
export function readActivateAutoConfirm(body: unknown): { initiator: string | null; remark: string | null } {
  if (body === undefined || body === null) return { initiator: null, remark: DDI_AUTO_CONFIRM_FALLBACK_REMARK };
  check(validateActivateAutoConfirm, body, 'auto-confirmation');
  const { initiator, remark } = body as { initiator?: string | null; remark?: string | null };
  return { initiator: initiator ?? null, remark: remark ?? null };
}
