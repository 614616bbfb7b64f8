import { Controller, Get, Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Requires } from '../identity/permissions.decorator';
import { openApiDocument } from './openapi.document';
import { routesOf } from './route-catalog';

const API_VERSION = '1';

/**
 * `GET /rest/v1/openapi.json`, generated from the routes the service actually has. Authenticated like every
 * other Management API route (any caller, no permission): the document holds nothing secret, but Rollgate
 * keeps no anonymous surface on the Management API, and every tool that can call the API has credentials.
 */
@Controller('rest/v1')
export class OpenApiController implements OnApplicationBootstrap {
  private document: Record<string, unknown> = {};

  constructor(@Inject(DiscoveryService) private readonly discovery: DiscoveryService) {}

  /** Built once, after every module registered its controllers. */
  onApplicationBootstrap(): void {
    const controllers = this.discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype as { name: string; prototype: object } | null)
      .filter((metatype): metatype is { name: string; prototype: object } => metatype !== null && metatype !== undefined);
    this.document = openApiDocument(routesOf(controllers).filter((route) => route.path.startsWith('/rest/v1/')), API_VERSION);
  }

  @Get('openapi.json')
  @Requires()
  openApi(): Record<string, unknown> {
    return this.document;
  }
}
