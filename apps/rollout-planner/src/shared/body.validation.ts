import type { Static, TSchema } from '@sinclair/typebox';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from '@rollgate/shared-domain';

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/**
 * Checks a request body against its schema at the edge and answers every problem at once, each with the
 * JSON pointer of the field (`/0/controllerId`), so a client can fix a whole batch in one round trip.
 */
export function validateBody<S extends TSchema>(schema: S, body: unknown): Static<S> {
  const validate = validatorOf(schema);
  if (validate(body)) return body as Static<S>;
  const issues = (validate.errors ?? []).map(toIssue);
  throw new ValidationError(`invalid request body: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`, issues);
}

/**
 * Compiles a schema's validator ahead of its first request. Validators are otherwise compiled on first use,
 * and a large schema costs its first request that much: the rollout body's took 150-350 ms of CPU, more than
 * a tenth of creating a rollout of 100,000 targets.
 */
export function precompileBody(schema: TSchema): void {
  validatorOf(schema);
}

function validatorOf(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function toIssue(error: ErrorObject): { path: string; message: string } {
  if (error.keyword === 'required') return { path: `${error.instancePath}/${String(error.params.missingProperty)}`, message: 'is required' };
  if (error.keyword === 'additionalProperties') return { path: `${error.instancePath}/${String(error.params.additionalProperty)}`, message: 'is not a known field' };
  return { path: error.instancePath, message: error.message ?? 'is invalid' };
}
