import { Type, type Static } from '@sinclair/typebox';
import type { ErrorAction, GroupConditions, SuccessAction, ActionType } from '@rollgate/rollout-domain';
import { ValidationError } from '@rollgate/shared-domain';

const Threshold = Type.Object({ condition: Type.Literal('THRESHOLD'), expression: Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' }) }, { additionalProperties: false });
const SuccessActionBody = Type.Object({ action: Type.Union([Type.Literal('NEXTGROUP'), Type.Literal('PAUSE')]), expression: Type.Optional(Type.String()) }, { additionalProperties: false });
const ErrorActionBody = Type.Object({ action: Type.Union([Type.Literal('PAUSE'), Type.Literal('STOP'), Type.Literal('ROLLBACK')]), expression: Type.Optional(Type.String()) }, { additionalProperties: false });
const ConditionFields = {
  successCondition: Type.Optional(Threshold),
  successAction: Type.Optional(SuccessActionBody),
  errorCondition: Type.Optional(Threshold),
  errorAction: Type.Optional(ErrorActionBody),
};
const Filter = Type.String({ minLength: 1, maxLength: 4096 });

/** hawkBit's rollout create body (Rollgate's extensions come with later issues). */
export const CreateRolloutBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 512 })),
    distributionSetId: Type.Union([Type.String({ minLength: 1 }), Type.Integer()]),
    targetFilterQuery: Filter,
    amountGroups: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    groups: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            description: Type.Optional(Type.String({ maxLength: 512 })),
            targetFilterQuery: Type.Optional(Filter),
            targetPercentage: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
            ...ConditionFields,
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    ),
    ...ConditionFields,
    type: Type.Optional(Type.Union([Type.Literal('forced'), Type.Literal('soft'), Type.Literal('timeforced'), Type.Literal('downloadonly')])),
    forcetime: Type.Optional(Type.Integer({ minimum: 0 })),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    startAt: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type CreateRolloutRequest = Static<typeof CreateRolloutBody>;
type ConditionsBody = Pick<CreateRolloutRequest, 'successCondition' | 'successAction' | 'errorCondition' | 'errorAction'>;

/** Cross-field rules JSON Schema cannot say well; each names its field so a client can fix it directly. */
export function checkCreateRules(body: CreateRolloutRequest): void {
  const issues: Array<{ path: string; message: string }> = [];
  if (body.amountGroups !== undefined && body.groups !== undefined) issues.push({ path: '/groups', message: 'give either amountGroups or groups, not both' });
  if ((body.type ?? 'forced') === 'timeforced' && body.forcetime === undefined) issues.push({ path: '/forcetime', message: 'is required for a timeforced rollout' });
  const checkThresholds = (c: ConditionsBody, at: string) => {
    for (const key of ['successCondition', 'errorCondition'] as const) {
      const value = c[key] && parseFloat(c[key].expression);
      if (value !== undefined && value > 100) issues.push({ path: `${at}/${key}/expression`, message: 'is a percentage from 0 to 100' });
    }
  };
  checkThresholds(body, '');
  body.groups?.forEach((group, i) => checkThresholds(group, `/groups/${i}`));
  if (issues.length > 0) throw new ValidationError(`invalid request body: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}

/**
 * A group's conditions: its own fields, else the rollout's, else hawkBit's defaults (success when 100 %
 * finished, then the next group; pause when more than 100 % failed, which never happens unless asked).
 */
export function conditionsOf(group: ConditionsBody, rollout: ConditionsBody, actionType: ActionType): GroupConditions {
  const success = group.successCondition ?? rollout.successCondition;
  const error = group.errorCondition ?? rollout.errorCondition;
  return {
    success: { threshold: success ? parseFloat(success.expression) : 100, mode: 'finished' },
    successAction: (group.successAction ?? rollout.successAction)?.action ?? ('NEXTGROUP' satisfies SuccessAction),
    error: { kind: 'percentage', threshold: error ? parseFloat(error.expression) : 100 },
    errorAction: (group.errorAction ?? rollout.errorAction)?.action ?? ('PAUSE' satisfies ErrorAction),
    actionType,
  };
}
