import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IdentityModule } from '../identity/identity.module';
import { OpenApiController } from './openapi.controller';

/** The Management API's OpenAPI document, generated from the registered routes. */
@Module({ imports: [DiscoveryModule, IdentityModule], controllers: [OpenApiController] })
export class OpenApiModule {}
