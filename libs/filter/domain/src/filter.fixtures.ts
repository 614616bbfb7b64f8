import fc from 'fast-check';
import type { FilterTarget } from './filter.fields';

/** Small vocabularies so random filters hit random fleets; mixed case, LIKE metacharacters, non-ASCII. */
const WORDS = ['eu', 'EU', 'Eu-West', 'us', 'us-1', 'a_b', 'a%b', 'x*y', 'ab', 'Ab', 'é', 'É', 'zz', ''];
const word = fc.constantFrom(...WORDS);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });

export const targetArb: fc.Arbitrary<Omit<FilterTarget, 'controllerId'>> = fc.record({
  name: word,
  description: maybe(word),
  createdAt: fc.integer({ min: 0, max: 20 }).map((n) => 1_700_000_000_000 + n * 1000),
  lastTargetQuery: maybe(fc.integer({ min: 0, max: 20 }).map((n) => 1_700_000_000_000 + n * 1000)),
  updateStatus: fc.constantFrom('UNKNOWN', 'IN_SYNC', 'PENDING', 'ERROR', 'REGISTERED'),
  attributes: fc.dictionary(fc.constantFrom('hw', 'Loc', 'os'), word, { maxKeys: 3 }),
  metadata: fc.dictionary(fc.constantFrom('k', 'owner'), word, { maxKeys: 2 }),
  tags: fc.uniqueArray(word, { maxLength: 3 }),
  deviceType: word,
  region: word,
  site: maybe(word),
  assignedDistributionSet: maybe(fc.record({ name: word, version: fc.constantFrom('1.0', '1.1', '2.0', '10.0') })),
  targetType: maybe(fc.record({ key: word, name: word })),
});

export const fleetArb = (min: number, max: number) =>
  fc.array(targetArb, { minLength: min, maxLength: max }).map((rows) => rows.map((r, i) => ({ controllerId: `dev-${String(i).padStart(5, '0')}`, ...r })));

const quote = (s: string) => `"${s}"`;
const STRING_FIELDS = ['name', 'description', 'deviceType', 'region', 'site', 'attribute.hw', 'controllerAttributes.Loc', 'metadata.owner', 'tags.name', 'assignedDistributionSet.version', 'targetType.key', 'controllerId'];

const stringClause = fc.tuple(fc.constantFrom(...STRING_FIELDS), fc.constantFrom('==', '!=', '=lt=', '=le=', '=gt=', '=ge=', '=li=', '=in=', '=out=', '<', '>='), word, word, fc.constantFrom('', 'prefix', 'suffix', 'both', 'escaped'))
  .map(([field, op, a, b, wild]) => {
    if (op === '=in=' || op === '=out=') return `${field}${op}(${quote(a)},${quote(b)})`;
    let v = a;
    if (op === '==' || op === '!=' || op === '=li=') {
      if (wild === 'prefix') v = `${a}*`;
      if (wild === 'suffix') v = `*${a}`;
      if (wild === 'both') v = `*${a.slice(0, 1)}*`;
      if (wild === 'escaped') v = a.replace('*', '\\*');
    }
    return `${field}${op}${quote(v)}`;
  });
const numberClause = fc.tuple(fc.constantFrom('createdAt', 'lastTargetQuery'), fc.constantFrom('==', '!=', '=lt=', '=le=', '=gt=', '=ge=', '=in=', '=out='), fc.integer({ min: -1, max: 21 }), fc.integer({ min: 0, max: 20 }))
  .map(([field, op, a, b]) => {
    const v = (n: number) => String(1_700_000_000_000 + n * 1000);
    return op === '=in=' || op === '=out=' ? `${field}${op}(${v(a)},${v(b)})` : `${field}${op}${v(a)}`;
  });
const enumClause = fc.tuple(fc.constantFrom('==', '!=', '=in=', '=out='), fc.constantFrom('in_sync', 'PENDING', 'error'), fc.constantFrom('UNKNOWN', 'registered'))
  .map(([op, a, b]) => (op === '=in=' || op === '=out=' ? `updateStatus${op}(${a},${b})` : `updateStatus${op}${a}`));

/** Random filters of up to a few levels of and/or nesting, written in the language's own syntax. */
export const filterArb: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(stringClause, stringClause, numberClause, enumClause),
    fc.tuple(tie('node'), fc.constantFrom(';', ',', ' and ', ' or '), tie('node')).map(([l, op, r]) => `(${l})${op}(${r})`),
  ),
})).node;
