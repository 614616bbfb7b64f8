import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { RolloutAudit, type HistoryEntry, type RolloutExport, type RolloutSnapshot } from '@rollgate/audit';
import { PG_POOL } from '@rollgate/service-kit';
import { ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AUDIT_SIGNING_KEY, type SigningKeySource } from './audit-signing-key';

/**
 * The audit reads of the CLI, over HTTP: straight from the log of the caller's tenant (never a read model),
 * so other systems get the same history, as-of state and signed evidence an auditor would rebuild.
 */
@Controller('rest/v1')
export class AuditController {
  private readonly audit: RolloutAudit;

  constructor(
    @Inject(PG_POOL) pool: Pool,
    @Inject(AUDIT_SIGNING_KEY) private readonly signingKey: SigningKeySource,
  ) {
    this.audit = new RolloutAudit(pool);
  }

  @Get('rollouts/:id/audit/history')
  @Requires('READ_ROLLOUT')
  history(@Caller() caller: Principal, @Param('id') id: string): Promise<{ rolloutId: string; entries: HistoryEntry[] }> {
    return this.audit.history(caller.tenant, id);
  }

  /** At `asOf` (ISO 8601) the full replay; without it the state now, read lighter for live views that poll. */
  @Get('rollouts/:id/audit/state')
  @Requires('READ_ROLLOUT')
  state(@Caller() caller: Principal, @Param('id') id: string, @Query('asOf') asOf?: string): Promise<RolloutSnapshot> {
    if (asOf === undefined || asOf === '') return this.audit.currentState(caller.tenant, id);
    return this.audit.stateAsOf(caller.tenant, id, instant(asOf));
  }

  @Get('rollouts/:id/audit/export')
  @Requires('READ_ROLLOUT')
  export(@Caller() caller: Principal, @Param('id') id: string): Promise<RolloutExport> {
    return this.audit.export(caller.tenant, id, this.signingKey());
  }

  /** The fingerprint and public key auditors pin when they verify bundles offline. */
  @Get('audit/signing-key')
  @Requires('READ_ROLLOUT')
  key(): { algorithm: 'ed25519'; keyId: string; publicKey: string } {
    const { keyId, publicKey } = this.signingKey();
    return { algorithm: 'ed25519', keyId, publicKey };
  }
}

function instant(asOf: string): Date {
  const parsed = new Date(asOf);
  if (!/^\d{4}-\d{2}-\d{2}/.test(asOf) || Number.isNaN(parsed.getTime())) {
    throw new ValidationError(`asOf must be an ISO 8601 time, not "${asOf}"`, [{ path: 'asOf', message: 'is not an ISO 8601 time' }], 'invalid_instant');
  }
  return parsed;
}
