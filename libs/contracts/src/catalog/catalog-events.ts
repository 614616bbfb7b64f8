import { Type, type Static, type TObject } from '@sinclair/typebox';
import { eventType } from '../event-type';

/**
 * The rollout-planner's published events: type names and JSON Schemas of their payloads (TypeBox, so the
 * schema and the TypeScript type are one definition). Streams are `<aggregate>-<id>`:
 * `user-<tenant>-<name>`, `token-<tenant>-<tokenId>`, `tenantconfig-<tenant>`, and per tenant
 * `target-<controllerId>`, `targettag-<id>`, `softwaremodule-<id>`, `distributionset-<id>`, `targetfilter-<id>`.
 * The deciders (identity-domain, catalog-domain) produce these payloads; a planner spec validates their
 * output against these schemas, so the two cannot drift apart unnoticed.
 * User and token payloads carry argon2 hashes, never secrets; consumers must still not log them.
 */
const By = { by: Type.String(), at: Type.Integer() };
const Permissions = Type.Array(Type.String());

export const CatalogEventSchemas = {
  user: {
    'user-created': Type.Object({ tenant: Type.String(), username: Type.String(), passwordHash: Type.String(), permissions: Permissions, createdBy: Type.String(), at: Type.Integer() }),
    'user-password-changed': Type.Object({ passwordHash: Type.String(), ...By }),
    'user-permissions-changed': Type.Object({ permissions: Permissions, ...By }),
    'user-disabled': Type.Object(By),
  },
  token: {
    'api-token-issued': Type.Object({
      tenant: Type.String(), tokenId: Type.String(), name: Type.String(), owner: Type.String(), secretHash: Type.String(), permissions: Permissions,
      expiresAt: Type.Union([Type.Integer(), Type.Null()]), at: Type.Integer(),
    }),
    'api-token-revoked': Type.Object(By),
  },
  tenantconfig: {
    'config-value-set': Type.Object({ key: Type.String(), value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]), ...By }),
    'config-value-deleted': Type.Object({ key: Type.String(), ...By }),
  },
  target: {
    'target-created': Type.Object({
      controllerId: Type.String(), name: Type.String(), description: Type.String(), address: Type.Union([Type.String(), Type.Null()]), securityToken: Type.String(), ...By,
    }),
    'target-updated': Type.Object({
      name: Type.Optional(Type.String()), description: Type.Optional(Type.String()), address: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      securityToken: Type.Optional(Type.String()), ...By,
    }),
    'target-attributes-updated': Type.Object({
      mode: Type.Union([Type.Literal('merge'), Type.Literal('replace'), Type.Literal('remove')]), data: Type.Record(Type.String(), Type.String()), at: Type.Integer(),
    }),
    'target-deleted': Type.Object(By),
    'target-tagged': Type.Object({ tagId: Type.String(), tagName: Type.String(), ...By }),
    'target-untagged': Type.Object({ tagId: Type.String(), tagName: Type.String(), ...By }),
    /** hawkBit's auto-confirmation; `by` is the operator, or `device:<controllerId>` when the device switched it (DDI) */
    'target-auto-confirm-activated': Type.Object({ initiator: Type.Union([Type.String(), Type.Null()]), remark: Type.Union([Type.String(), Type.Null()]), ...By }),
    'target-auto-confirm-deactivated': Type.Object(By),
  },
  targettag: {
    'target-tag-created': Type.Object({ tagId: Type.String(), name: Type.String(), description: Type.String(), colour: Type.String(), ...By }),
    'target-tag-updated': Type.Object({ description: Type.Optional(Type.String()), colour: Type.Optional(Type.String()), ...By }),
    'target-tag-deleted': Type.Object({ name: Type.String(), ...By }),
  },
  softwaremodule: {
    'software-module-created': Type.Object({
      moduleId: Type.String(), name: Type.String(), version: Type.String(), type: Type.String(), description: Type.String(), vendor: Type.String(), ...By,
    }),
    'software-module-updated': Type.Object({ description: Type.Optional(Type.String()), vendor: Type.Optional(Type.String()), ...By }),
    'software-module-deleted': Type.Object(By),
    /** the bytes live in the artifact-distributor under their sha256 (its `artifact-stored`); the module names them */
    'software-module-artifact-added': Type.Object({
      artifactId: Type.String(), fileName: Type.String(), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), sha1: Type.String({ pattern: '^[0-9a-f]{40}$' }),
      md5: Type.String({ pattern: '^[0-9a-f]{32}$' }), size: Type.Integer({ minimum: 0 }),
      signature: Type.Optional(Type.Object({ algorithm: Type.Literal('ed25519'), keyId: Type.String(), value: Type.String() })), ...By,
    }),
    'software-module-artifact-removed': Type.Object({ artifactId: Type.String(), ...By }),
  },
  distributionset: {
    'distribution-set-created': Type.Object({
      distributionSetId: Type.String(), name: Type.String(), version: Type.String(), type: Type.String(), description: Type.String(), requiredMigrationStep: Type.Boolean(),
      modules: Type.Array(Type.Object({ id: Type.String(), type: Type.String() })), requireSignedArtifacts: Type.Optional(Type.Boolean()), ...By,
    }),
    'distribution-set-updated': Type.Object({
      description: Type.Optional(Type.String()), requiredMigrationStep: Type.Optional(Type.Boolean()), requireSignedArtifacts: Type.Optional(Type.Boolean()), ...By,
    }),
    'distribution-set-deleted': Type.Object(By),
  },
  targetfilter: {
    'target-filter-created': Type.Object({ filterId: Type.String(), name: Type.String(), query: Type.String(), ...By }),
    'target-filter-updated': Type.Object({ name: Type.Optional(Type.String()), query: Type.Optional(Type.String()), ...By }),
    'target-filter-deleted': Type.Object(By),
  },
} satisfies Record<string, Record<string, TObject>>;

export type CatalogAggregate = keyof typeof CatalogEventSchemas;
export type CatalogEventPayload<A extends CatalogAggregate, E extends keyof (typeof CatalogEventSchemas)[A]> = (typeof CatalogEventSchemas)[A][E] extends TObject
  ? Static<(typeof CatalogEventSchemas)[A][E]>
  : never;

/** Every published type, e.g. `io.rollgate.target.target-created.v1`, with its aggregate, event name and schema. */
export const CATALOG_EVENT_TYPES: ReadonlyArray<{ type: string; aggregate: CatalogAggregate; event: string; schema: TObject }> = Object.entries(CatalogEventSchemas).flatMap(
  ([aggregate, events]) => Object.entries(events).map(([event, schema]) => ({ type: eventType(aggregate, event), aggregate: aggregate as CatalogAggregate, event, schema: schema as TObject })),
);
