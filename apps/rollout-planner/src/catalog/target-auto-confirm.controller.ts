import { Controller, createParamDecorator, Get, HttpCode, Inject, Param, Post, UnsupportedMediaTypeException, type ExecutionContext } from '@nestjs/common';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AUTO_CONFIRM_INITIATOR_MAX, AUTO_CONFIRM_REMARK_MAX, targetDecider } from '@rollgate/catalog-domain';
import { PG_POOL } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { validateBody } from '../shared/body.validation';
import { Projections } from '../shared/projections.service';
import { findOne, link } from '../shared/read-model.queries';

/** hawkBit's MgmtTargetAutoConfirmUpdate: both fields optional, and so is the body itself. */
const ActivateBody = Type.Object(
  {
    initiator: Type.Optional(Type.Union([Type.String({ maxLength: AUTO_CONFIRM_INITIATOR_MAX }), Type.Null()])),
    remark: Type.Optional(Type.Union([Type.String({ maxLength: AUTO_CONFIRM_REMARK_MAX }), Type.Null()])),
  },
  { additionalProperties: false },
);

/**
 * A body that may be left out (hawkBit: `@RequestBody(required = false)`): none at all reads as `{}`; one that
 * is sent must be JSON and is validated like any other (the schema is what the OpenAPI document shows).
 */
const OptionalJsonBody = createParamDecorator((schema: TSchema, context: ExecutionContext): unknown => {
  const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; body: unknown }>();
  if (request.body === undefined || request.body === null || request.body === '') return validateBody(schema, {});
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/hal+json') throw new UnsupportedMediaTypeException(`content type must be application/json, got "${type || 'none'}"`);
  return validateBody(schema, request.body);
});

export interface AutoConfirmRow {
  controller_id: string;
  initiator: string | null;
  remark: string | null;
  activated_at: string;
  activated_by: string;
}

/** hawkBit's tenant switch of the consent flow; auto-confirmation only shows on targets while it is on. */
export const CONFIRMATION_FLOW_KEY = 'user.confirmation.flow.enabled';

/**
 * `/rest/v1/targets/{controllerId}/autoConfirm`, as hawkBit: the state (with a link to switch it), and
 * activate/deactivate. Activation is a `target-auto-confirm-activated` event on the target's stream; the
 * device-gateway reacts to it by confirming the target's waiting actions (docs/event-flow.md).
 */
@Controller('rest/v1/targets/:controllerId/autoConfirm')
export class TargetAutoConfirmController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_TARGET')
  async state(@Caller() caller: Principal, @Param('controllerId') controllerId: string): Promise<Record<string, unknown>> {
    await findOne(this.pool, 'targets', 'controller_id', caller.tenant, controllerId, 'target_not_found');
    const { rows } = await this.pool.query<AutoConfirmRow>('SELECT * FROM target_auto_confirm WHERE tenant = $1 AND controller_id = $2', [caller.tenant, controllerId]);
    return toAutoConfirm(controllerId, rows[0]);
  }

  /** 409 auto_confirm_already_active while active, as hawkBit. */
  @Post('activate')
  @HttpCode(204)
  @Requires('UPDATE_TARGET')
  async activate(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @OptionalJsonBody(ActivateBody) body: Static<typeof ActivateBody>): Promise<void> {
    await this.repository.execute(caller, 'target', `target-${controllerId}`, targetDecider, {
      type: 'activate-auto-confirm', initiator: body.initiator, remark: body.remark, by: caller.username, at: Date.now(),
    });
    await this.projections.catchUp();
  }

  /** Succeeds when it was not active, as hawkBit; actions already confirmed stay confirmed. */
  @Post('deactivate')
  @HttpCode(204)
  @Requires('UPDATE_TARGET')
  async deactivate(@Caller() caller: Principal, @Param('controllerId') controllerId: string): Promise<void> {
    await this.repository.execute(caller, 'target', `target-${controllerId}`, targetDecider, { type: 'deactivate-auto-confirm', by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }
}

/** hawkBit's MgmtTargetAutoConfirm: absent fields are left out; the link switches the state. */
export function toAutoConfirm(controllerId: string, row: AutoConfirmRow | undefined): Record<string, unknown> {
  const base = `targets/${encodeURIComponent(controllerId)}/autoConfirm`;
  if (!row) return { active: false, _links: { activate: link(`${base}/activate`).self } };
  return {
    active: true,
    ...(row.initiator !== null ? { initiator: row.initiator } : {}),
    ...(row.remark !== null ? { remark: row.remark } : {}),
    activatedAt: Number(row.activated_at),
    _links: { deactivate: link(`${base}/deactivate`).self },
  };
}

/**
 * Per target whether auto-confirmation is active, or undefined while the tenant's confirmation flow is off:
 * hawkBit shows `autoConfirmActive` (and links `autoConfirm`) on a target only while the flow is on.
 */
export async function autoConfirmActive(pool: Pool, tenant: string, controllerIds: readonly string[]): Promise<Set<string> | undefined> {
  const flow = await pool.query<{ value: unknown }>('SELECT value FROM tenant_configs WHERE tenant = $1 AND key = $2', [tenant, CONFIRMATION_FLOW_KEY]);
  if (flow.rows[0]?.value !== true) return undefined;
  const { rows } = await pool.query<{ controller_id: string }>('SELECT controller_id FROM target_auto_confirm WHERE tenant = $1 AND controller_id = ANY($2::text[])', [tenant, controllerIds]);
  return new Set(rows.map((r) => r.controller_id));
}
