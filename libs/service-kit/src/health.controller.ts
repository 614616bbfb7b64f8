import { Controller, Get, Res } from '@nestjs/common';
import { ReadinessService, type ReadinessReport } from './readiness.service';

/** The slice of Fastify's reply the probes use (keeps `fastify` out of the imports). */
interface StatusReply {
  code(statusCode: number): unknown;
}

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** Liveness: the process runs and its event loop answers; dependencies are /readyz's business. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: StatusReply): Promise<{ status: 'ready' | 'not_ready'; checks: ReadinessReport['checks']; failing?: string[] }> {
    const { ready, checks } = await this.readiness.report();
    if (ready) return { status: 'ready', checks };
    reply.code(503);
    const failing = Object.entries(checks)
      .filter(([, result]) => result !== 'ok')
      .map(([name]) => name);
    return { status: 'not_ready', checks, failing };
  }
}
