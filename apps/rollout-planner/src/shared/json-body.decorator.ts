import { createParamDecorator, UnsupportedMediaTypeException, type ExecutionContext } from '@nestjs/common';
import type { TSchema } from '@sinclair/typebox';
import { validateBody } from './body.validation';

/**
 * The request body, refused with 415 unless it was sent as JSON (hawkBit also accepts application/hal+json).
 * Given a schema, the body is also validated against it (400 with every problem's JSON pointer), and the
 * schema is what the OpenAPI document shows for the route: the documented body is the checked one.
 */
export const JsonBody = createParamDecorator((schema: TSchema | undefined, context: ExecutionContext): unknown => {
  const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; body: unknown }>();
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/hal+json') throw new UnsupportedMediaTypeException(`content type must be application/json, got "${type || 'none'}"`);
  return schema ? validateBody(schema, request.body) : request.body;
});
