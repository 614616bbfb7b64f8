import { compileFilter, type ColumnKey, type FilterNode } from '@rollgate/filter-domain';
import { ValidationError } from '@rollgate/shared-domain';

/** hawkBit's paging parameters as they arrive in the query string. */
export interface PagingQuery {
  offset?: string;
  limit?: string;
  sort?: string;
  q?: string;
}

export interface Page<T> {
  content: T[];
  total: number;
  size: number;
}

/** What a resource lets clients sort and filter on: API field name → column, filter field → column. */
export interface ListSpec {
  table: string;
  sortable: Readonly<Record<string, string>>;
  defaultSort: string;
  filterColumns: Partial<Record<ColumnKey, string>>;
  resource: string;
}

export interface ListSql {
  where: string;
  values: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
}

const MAX_LIMIT = 500;

/** Turns offset/limit/sort/q into SQL pieces; $1 is always the tenant, so tenant isolation is in every query. */
export function listSql(spec: ListSpec, tenant: string, query: PagingQuery): ListSql {
  const offset = whole(query.offset, 0, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = whole(query.limit, 50, 'limit', 1, MAX_LIMIT);
  const orderBy = sortSql(spec, query.sort);
  if (!query.q || query.q.trim() === '') return { where: 'tenant = $1', values: [tenant], orderBy, limit, offset };
  const filter = compileFilter(query.q);
  checkFilterable(spec, filter.ast);
  const sql = filter.toSql({ firstParameter: 2, columns: spec.filterColumns });
  return { where: `tenant = $1 AND ${sql.where}`, values: [tenant, ...sql.values], orderBy, limit, offset };
}

function whole(raw: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
    throw new ValidationError(`${name} must be a whole number from ${min} to ${max}`, [{ path: name, message: `must be a whole number from ${min} to ${max}` }]);
  }
  return value;
}

/** `field:ASC,other:DESC`, fields by their API names; the resource's id breaks ties so pages are stable. */
function sortSql(spec: ListSpec, sort: string | undefined): string {
  const terms = (sort ?? spec.defaultSort).split(',').map((term) => term.trim()).filter((term) => term.length > 0);
  const clauses = terms.map((term) => {
    const [field, direction = 'ASC'] = term.split(':');
    const column = Object.entries(spec.sortable).find(([name]) => name.toLowerCase() === field.toLowerCase())?.[1];
    if (!column) throw new ValidationError(`cannot sort by "${field}"`, [{ path: 'sort', message: `"${field}" is not one of ${Object.keys(spec.sortable).join(', ')}` }]);
    const dir = direction.toUpperCase();
    if (dir !== 'ASC' && dir !== 'DESC') throw new ValidationError(`sort direction "${direction}" must be ASC or DESC`, [{ path: 'sort', message: 'direction must be ASC or DESC' }]);
    return `${column} ${dir}`;
  });
  return [...clauses, `${spec.sortable.id ?? 'id'} ASC`].join(', ');
}

/** The filter language knows target fields; other resources accept only the ones they have. */
function checkFilterable(spec: ListSpec, node: FilterNode): void {
  if (node.kind === 'and' || node.kind === 'or') return node.children.forEach((child) => checkFilterable(spec, child));
  if (node.kind === 'cmp' && spec.filterColumns[node.ref.field.column] === undefined) {
    const message = `${node.ref.field.name} cannot filter ${spec.resource} (at position ${node.position})`;
    throw new ValidationError(message, [{ path: 'q', message }], 'filter_unknown_field');
  }
}
