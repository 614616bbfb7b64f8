import { listSql, type ListSpec } from './paging';

const spec: ListSpec = {
  table: 'software_modules', resource: 'softwaremodules', defaultSort: 'name:ASC',
  sortable: { id: 'id', name: 'name', createdAt: 'created_at' },
  filterColumns: { controllerId: 'id', name: 'name' },
};

describe('listSql', () => {
  it('scopes every query to the tenant as $1 and applies defaults', () => {
    expect(listSql(spec, 'acme', {})).toEqual({ where: 'tenant = $1', values: ['acme'], orderBy: 'name ASC, id ASC', limit: 50, offset: 0 });
  });
  it('compiles q to parameters after the tenant, and sorts case-insensitively by API field', () => {
    const sql = listSql(spec, 'acme', { q: "name==agent", sort: 'CREATEDAT:desc', limit: '10', offset: '20' });
    expect(sql.values).toEqual(['acme', 'agent']);
    expect(sql.where).toMatch(/^tenant = \$1 AND .*\$2/);
    expect(sql.where).not.toContain('agent');
    expect(sql).toMatchObject({ orderBy: 'created_at DESC, id ASC', limit: 10, offset: 20 });
  });
  it('refuses bad paging, unknown sort fields and fields the resource cannot filter, with the parameter named', () => {
    expect(() => listSql(spec, 'acme', { limit: '0' })).toThrow('limit must be a whole number from 1 to 500');
    expect(() => listSql(spec, 'acme', { offset: '-1' })).toThrow('offset');
    expect(() => listSql(spec, 'acme', { sort: 'vendor:ASC' })).toThrow('cannot sort by "vendor"');
    expect(() => listSql(spec, 'acme', { sort: 'name:UP' })).toThrow('ASC or DESC');
    expect(() => listSql(spec, 'acme', { q: 'name==a;updateStatus==ERROR' })).toThrow('updateStatus cannot filter softwaremodules (at position 8)');
  });
});
