import { Module, type DynamicModule } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { AuditController } from './audit.controller';
import { AUDIT_SIGNING_KEY, signingKeySource } from './audit-signing-key';

/**
 * The Management API's audit routes (history, as-of state, signed export, signing key). Self-contained:
 * register `AuditModule.forRoot(env)` in AppModule's imports. PG_POOL comes from the service kit.
 */
@Module({})
export class AuditModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AuditModule,
      imports: [IdentityModule],
      controllers: [AuditController],
      providers: [{ provide: AUDIT_SIGNING_KEY, useValue: signingKeySource(env) }],
    };
  }
}
