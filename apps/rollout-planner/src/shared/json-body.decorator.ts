import { createParamDecorator, UnsupportedMediaTypeException, type ExecutionContext } from '@nestjs/common';

/** The request body, refused with 415 unless it was sent as JSON (hawkBit also accepts application/hal+json). */
export const JsonBody = createParamDecorator((_data: unknown, context: ExecutionContext): unknown => {
  const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; body: unknown }>();
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/hal+json') throw new UnsupportedMediaTypeException(`content type must be application/json, got "${type || 'none'}"`);
  return request.body;
});
