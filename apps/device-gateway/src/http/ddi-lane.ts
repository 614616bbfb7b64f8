import Fastify, { type FastifyInstance } from 'fastify';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** hawkBit's DDI paths, `/{tenant}/controller/v1/{controllerId}[/…][?…]`: what the lane answers. */
const DDI_PATH = /^\/[^/?#]+\/controller\/v1\/[^/?#]+(?:[/?#]|$)/;

export function isDdiPath(url: string): boolean {
  return DDI_PATH.test(url);
}

/**
 * DDI requests on a Fastify instance of their own, on the service's port. The service kit's Fastify runs a
 * per-request pipeline made for the Management APIs: Nest's middleware with pino-http (a child logger with
 * redaction per request), a tracing span in an AsyncLocalStorage context, the Nest adapter's hook wrappers.
 * Profiled under the gateway bench, that pipeline cost more than a poll's own answer (a third of the
 * gateway's CPU per poll), and polls are what a fleet sends most. The lane takes DDI requests off the
 * server before the kit's Fastify sees them; everything else (health, readiness) stays with the kit.
 *
 * Draining as the kit's: once the service stops, answers go out with `Connection: close`.
 */
export class DdiLane {
  readonly app: FastifyInstance;
  private answer: RequestListener | undefined;
  private draining = false;

  constructor() {
    // serverFactory hands us Fastify's request listener; the server it asks for never listens (the lane
    // shares the kit's), it only satisfies Fastify.
    this.app = Fastify({
      serverFactory: (handler) => {
        this.answer = handler as RequestListener;
        return createServer();
      },
    });
  }

  /** After the routes are registered: takes DDI requests off `server` from now on. */
  async mount(server: Server): Promise<void> {
    await this.app.ready();
    const answer = this.answer;
    if (!answer) throw new Error('the DDI lane has no request listener');
    const others = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (isDdiPath(req.url ?? '')) {
        // Set on the response itself, not in an onSend hook: a hook runs on every answer (its runner showed
        // in the feedback profile), and Node keeps this header whatever Fastify writes later.
        if (this.draining) res.setHeader('connection', 'close');
        answer(req, res);
      }
      else for (const listener of others) listener.call(server, req, res);
    });
  }

  drain(): void {
    this.draining = true;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
