import type { FastifyInstance } from 'fastify';

/**
 * Lets a stopping server close promptly. Fastify's close() waits for every open connection, and a client's
 * keep-alive connection stays open after its last response for up to Fastify's keepAliveTimeout (72 s):
 * far past any shutdown grace period. Once draining starts, each response still in flight is sent with
 * `Connection: close`, so its socket ends right after the answer the client was waiting for.
 */
export function installConnectionDraining(fastify: FastifyInstance): () => void {
  let draining = false;
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  return () => {
    draining = true;
  };
}
