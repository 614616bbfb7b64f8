import { ConcurrencyError, DomainError, InfrastructureError, ReadModelLagError, RollgateError, ValidationError } from '@rollgate/shared-domain';
import { toHttpError } from './error-mapping';

describe('toHttpError', () => {
  it('maps a ValidationError to 400 with its code, message and issues', () => {
    const error = new ValidationError('name is required', [{ path: '/name', message: 'required' }]);
    expect(toHttpError(error)).toEqual({
      status: 400,
      body: { code: 'validation_failed', message: 'name is required', issues: [{ path: '/name', message: 'required' }] },
    });
  });

  it('maps a ConcurrencyError to 409', () => {
    expect(toHttpError(new ConcurrencyError('rollout-1', 3, 4))).toEqual({
      status: 409,
      body: { code: 'concurrency_conflict', message: 'stream rollout-1 was expected at version 3 but is at 4' },
    });
  });

  it('maps a DomainError to 409 when the state forbids it now', () => {
    expect(toHttpError(new DomainError('rollout_already_running', 'the rollout is running'))).toEqual({
      status: 409,
      body: { code: 'rollout_already_running', message: 'the rollout is running' },
    });
  });

  it('maps a DomainError to 422 when the request can never succeed', () => {
    expect(toHttpError(new DomainError('group_threshold_invalid', 'threshold above 100%')).status).toBe(422);
    expect(toHttpError(new DomainError('action_not_allowed', 'no')).status).toBe(422);
  });

  it('maps read models lagging behind a recorded command to 503 with its own code (the client reads again, it does not repeat)', () => {
    const lag = new ReadModelLagError('the change was recorded; the read models did not catch up within 10000 ms');
    expect(toHttpError(lag)).toEqual({ status: 503, body: { code: 'read_model_lagging', message: lag.message } });
  });

  it('maps a DomainError whose code says not found to 404', () => {
    expect(toHttpError(new DomainError('rollout_not_found', 'no rollout 7')).status).toBe(404);
  });

  it('hides infrastructure errors and unknown errors behind internal_error', () => {
    const hidden = { status: 500, body: { code: 'internal_error', message: 'internal error' } };
    expect(toHttpError(new InfrastructureError('db_down', 'connect ECONNREFUSED postgres://u:pw@db', new Error('x')))).toEqual(hidden);
    expect(toHttpError(new RollgateError('weird', 'secret detail'))).toEqual(hidden);
    expect(toHttpError(new Error('relation "events" does not exist'))).toEqual(hidden);
    expect(toHttpError('a string')).toEqual(hidden);
    expect(toHttpError(undefined)).toEqual(hidden);
  });

  it('keeps the status of framework errors that carry a 4xx', () => {
    const notFound = Object.assign(new Error('Cannot GET /nope'), { getStatus: () => 404 });
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(toHttpError(notFound)).toEqual({ status: 404, body: { code: 'not_found', message: 'Cannot GET /nope' } });
    expect(toHttpError(tooLarge)).toEqual({ status: 413, body: { code: 'payload_too_large', message: 'Request body is too large' } });
  });

  it('treats a framework error with a 5xx status as internal', () => {
    const failed = Object.assign(new Error('upstream said: password=x'), { statusCode: 502 });
    expect(toHttpError(failed)).toEqual({ status: 500, body: { code: 'internal_error', message: 'internal error' } });
  });
});
