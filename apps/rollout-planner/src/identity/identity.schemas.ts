import { Type } from '@sinclair/typebox';

const PermissionList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 });

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 12, maxLength: 1024 }),
    permissions: PermissionList,
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  { password: Type.Optional(Type.String({ minLength: 12, maxLength: 1024 })), permissions: Type.Optional(PermissionList) },
  { additionalProperties: false },
);

export const IssueTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    permissions: Type.Optional(PermissionList),
    expiresAt: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  },
  { additionalProperties: false },
);
