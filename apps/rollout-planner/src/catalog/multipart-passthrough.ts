import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * Lets multipart bodies through unread. The planner never parses an upload: the artifacts endpoint pipes the
 * raw request to artifact-distributor, which streams it into storage. Without a parser Fastify would refuse
 * multipart/form-data with 415; with one that buffered, a multi-GiB image would sit in memory.
 */
@Injectable()
export class MultipartPassthrough implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasContentTypeParser('multipart/form-data')) fastify.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  }
}
