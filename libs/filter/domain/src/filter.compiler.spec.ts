import fc from 'fast-check';
import { compileFilter, filterTargets } from './filter.compiler';
import { FilterError } from './filter.errors';
import type { FilterTarget } from './filter.fields';
import { filterArb, fleetArb } from './filter.fixtures';

const fleet: FilterTarget[] = [
  { controllerId: 'dev-1', name: 'Gateway One', attributes: { hwRevision: '2' }, tags: ['eu', 'prod'], updateStatus: 'IN_SYNC', createdAt: 1000, region: 'eu-west', deviceType: 'gw' },
  { controllerId: 'dev-2', name: 'gateway two', attributes: { hwRevision: '3' }, tags: ['us'], updateStatus: 'PENDING', createdAt: 2000, region: 'us-east', deviceType: 'gw' },
  { controllerId: 'dev-3', name: 'camera*3', tags: [], updateStatus: 'ERROR', createdAt: 3000, region: 'eu-west', deviceType: 'cam', site: 'berlin-1' },
  { controllerId: 'dev-4', name: 'Camera 4', attributes: { hwRevision: '2' }, tags: ['us'], updateStatus: 'IN_SYNC', createdAt: 4000, deviceType: 'cam', assignedDistributionSet: { name: 'os', version: '1.2' } },
];
const ids = (query: string) => filterTargets(query, fleet).map((t) => t.controllerId);

describe('target filter: semantics', () => {
  it.each([
    ['attribute.hwRevision==2;(tags.name==eu,tags.name==us);updateStatus!=PENDING', ['dev-1', 'dev-4']],
    ['name==gateway*', ['dev-1', 'dev-2']],
    ['name=="GATEWAY ONE"', ['dev-1']],
    ['name==camera\\*3', ['dev-3']],
    ['name=li=*a*e*', ['dev-1', 'dev-2', 'dev-3', 'dev-4']],
    ['name!=*two', ['dev-1', 'dev-3', 'dev-4']],
    ['controllerAttributes.hwRevision!=2', ['dev-2', 'dev-3']],
    ['tags.name!=us', ['dev-1', 'dev-3']],
    ['tags.name=out=(eu,prod)', ['dev-2', 'dev-3', 'dev-4']],
    ['createdAt=gt=1000 and createdAt<=3000', ['dev-2', 'dev-3']],
    ['createdAt=lt=1970-01-01T00:00:02.500Z', ['dev-1', 'dev-2']],
    ['updateStatus=in=(in_sync,error)', ['dev-1', 'dev-3', 'dev-4']],
    ['region==eu* or site==berlin*', ['dev-1', 'dev-3']],
    ['region!=eu-west', ['dev-2', 'dev-4']],
    ['deviceType==cam;assignedDistributionSet.version=ge=1.0', ['dev-4']],
    ['ID==DEV-2', ['dev-2']],
    ['', ['dev-1', 'dev-2', 'dev-3', 'dev-4']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected);
  });

  it('binds every value and map key, never splicing them into the SQL', () => {
    const evil = "x'; DROP TABLE targets; --";
    const { where, values } = compileFilter(`name=="${evil}";attribute.${'k'}=in=("${evil}",b)`).toSql({ alias: 't', firstParameter: 3 });
    expect(where).not.toContain('DROP');
    expect(where).toBe('(COALESCE(lower(t.name COLLATE "C") = $3, false) AND COALESCE(lower((t.attributes ->> $4::text) COLLATE "C") = ANY($5::text[]), false))');
    expect(values).toEqual([evil.toLowerCase(), 'k', [evil.toLowerCase(), 'b']]);
  });

  it('refuses unsafe identifiers in the column mapping', () => {
    expect(() => compileFilter('name==a').toSql({ columns: { name: 'name; drop' } })).toThrow(expect.objectContaining({ code: 'invalid_sql_identifier' }));
  });
});

describe('target filter: errors name the position and the culprit', () => {
  const failure = (query: string): FilterError => {
    try {
      compileFilter(query);
    } catch (error) {
      if (error instanceof FilterError) return error;
      throw error;
    }
    throw new Error(`"${query}" was accepted`);
  };

  it('names an unknown field and where it is', () => {
    const e = failure('name==a;colour==red');
    expect(e).toMatchObject({ code: 'filter_unknown_field', position: 8, field: 'colour' });
    expect(e.message).toContain('"colour"');
  });

  it('names an unknown operator', () => {
    expect(failure('region==eu;name=foo=x')).toMatchObject({ code: 'filter_unknown_operator', position: 15, operator: '=foo=' });
  });

  it('reports syntax errors with their position', () => {
    expect(failure('name==a;;')).toMatchObject({ code: 'filter_syntax_error', position: 8 });
    expect(failure('name==a)')).toMatchObject({ code: 'filter_syntax_error', position: 7 });
    expect(failure('name==')).toMatchObject({ code: 'filter_syntax_error', position: 6 });
  });

  it.each([
    ['updateStatus==BROKEN', 'filter_invalid_value'],
    ['createdAt==yesterday', 'filter_invalid_value'],
    ['createdAt=li=1*', 'filter_operator_not_allowed'],
    ['updateStatus=lt=PENDING', 'filter_operator_not_allowed'],
    ['name=in=a', 'filter_invalid_value'],
  ])('refuses %s with %s', (query, code) => {
    expect(failure(query).code).toBe(code);
  });
});

describe('target filter: properties', () => {
  it('negations are complements and and/or are intersection/union', () => {
    fc.assert(fc.property(fleetArb(0, 40), filterArb, filterArb, (targets, a, b) => {
      const A = compileFilter(a).matches;
      const B = compileFilter(b).matches;
      const and = compileFilter(`(${a});(${b})`).matches;
      const or = compileFilter(`(${a}),(${b})`).matches;
      for (const t of targets) {
        expect(and(t)).toBe(A(t) && B(t));
        expect(or(t)).toBe(A(t) || B(t));
      }
    }));
  });

  it('!= selects exactly what == does not, =out= exactly what =in= does not', () => {
    fc.assert(fc.property(fleetArb(0, 40), fc.constantFrom('name', 'attribute.hw', 'tags.name', 'site', 'createdAt'), fc.constantFrom('eu', 'EU*', '*b', '1700000000000'), (targets, field, value) => {
      if ((field === 'createdAt') !== (value === '1700000000000')) return;
      const eq = compileFilter(`${field}=="${value}"`).matches;
      const ne = compileFilter(`${field}!="${value}"`).matches;
      const other = field === 'createdAt' ? '1700000001000' : 'us';
      const inn = compileFilter(`${field}=in=("${value.replace(/\*/g, '')}",${other})`).matches;
      const out = compileFilter(`${field}=out=("${value.replace(/\*/g, '')}",${other})`).matches;
      for (const t of targets) {
        expect(ne(t)).toBe(!eq(t));
        expect(out(t)).toBe(!inn(t));
      }
    }));
  });
});
