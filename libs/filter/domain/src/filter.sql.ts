import { ValidationError } from '@rollgate/shared-domain';
import type { ColumnKey, FieldKind } from './filter.fields';
import type { FilterNode, FilterOp, FilterValue } from './filter.parser';
import { foldCase, likePattern } from './filter-text';

/** Column names of the targets read model. Timestamps are epoch milliseconds (bigint). */
export const DEFAULT_TARGET_COLUMNS: Readonly<Record<ColumnKey, string>> = {
  controllerId: 'controller_id', name: 'name', description: 'description', createdAt: 'created_at', createdBy: 'created_by',
  lastModifiedAt: 'last_modified_at', lastModifiedBy: 'last_modified_by', updateStatus: 'update_status', address: 'address',
  lastTargetQuery: 'last_target_query', attributes: 'attributes', metadata: 'metadata', group: 'target_group', tags: 'tags',
  assignedDsName: 'assigned_ds_name', assignedDsVersion: 'assigned_ds_version', installedDsName: 'installed_ds_name',
  installedDsVersion: 'installed_ds_version', targetTypeKey: 'target_type_key', targetTypeName: 'target_type_name',
  deviceType: 'device_type', region: 'region', site: 'site',
};

export interface SqlFilterOptions {
  /** Table alias to qualify columns with. */
  alias?: string;
  columns?: Partial<Record<ColumnKey, string>>;
  /** Number of the first placeholder ($1 by default), to append the filter to a larger query. */
  firstParameter?: number;
}

export interface SqlFilter {
  where: string;
  values: unknown[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Compiles a checked filter to a WHERE clause over the targets read model. Every value and map key is a
 * bound parameter; only configured identifiers (checked against a strict pattern) reach the SQL text.
 * Semantics mirror the predicate: strings compare case-folded over ASCII via lower(x COLLATE "C"),
 * orderings use COLLATE "C", missing values (NULL) satisfy only !=, =out= and negated patterns.
 */
export function compileSql(node: FilterNode, options: SqlFilterOptions = {}): SqlFilter {
  const columns = { ...DEFAULT_TARGET_COLUMNS, ...options.columns };
  for (const name of [...Object.values(columns), ...(options.alias ? [options.alias] : [])]) {
    if (!IDENTIFIER.test(name)) throw new ValidationError(`"${name}" is not a safe SQL identifier`, [], 'invalid_sql_identifier');
  }
  const values: unknown[] = [];
  const first = options.firstParameter ?? 1;
  const bind = (value: unknown, cast = '') => {
    values.push(value);
    return `$${first + values.length - 1}${cast}`;
  };
  const column = (key: ColumnKey) => (options.alias ? `${options.alias}.${columns[key]}` : columns[key]);

  const emit = (n: FilterNode): string => {
    switch (n.kind) {
      case 'all':
        return 'TRUE';
      case 'and':
      case 'or':
        return `(${n.children.map(emit).join(n.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'cmp': {
        const { field, key } = n.ref;
        const negate = n.op === 'ne' || n.op === 'out' || n.op === 'notlike';
        const op: FilterOp = n.op === 'ne' ? 'eq' : n.op === 'out' ? 'in' : n.op === 'notlike' ? 'like' : n.op;
        let positive: string;
        if (field.kind === 'list') {
          positive = `EXISTS (SELECT 1 FROM unnest(${column(field.column)}) AS rg_elem(v) WHERE ${comparison('rg_elem.v', 'string', op, n.value, bind)})`;
        } else {
          const source = field.kind === 'map' ? `(${column(field.column)} ->> ${bind(key, '::text')})` : column(field.column);
          positive = `COALESCE(${comparison(source, field.kind, op, n.value, bind)}, false)`;
        }
        return negate ? `NOT ${positive}` : positive;
      }
    }
  };
  return { where: emit(node), values };
}

type Bind = (value: unknown, cast?: string) => string;

function comparison(source: string, kind: FieldKind, op: FilterOp, value: FilterValue, bind: Bind): string {
  const folds = kind === 'string' || kind === 'map' || kind === 'list';
  const folded = `lower(${source} COLLATE "C")`;
  switch (value.kind) {
    case 'pattern':
      if (value.segments.length === 1) return `${folded} = ${bind(foldCase(value.segments[0]))}`;
      return `${folded} LIKE ${bind(likePattern(value.segments.map(foldCase)))}`;
    case 'strings':
      return folds ? `${folded} = ANY(${bind(value.values.map(foldCase), '::text[]')})` : `${source} = ANY(${bind(value.values, '::text[]')})`;
    case 'numbers':
      return `${source} = ANY(${bind(value.values, '::bigint[]')})`;
    case 'number':
      return `${source} ${sqlOperator(op)} ${bind(value.value, '::bigint')}`;
    case 'string':
      if (op === 'eq') return folds ? `${folded} = ${bind(foldCase(value.value))}` : `${source} = ${bind(value.value)}`;
      return `${source} COLLATE "C" ${sqlOperator(op)} ${bind(value.value, '::text')}`;
  }
}

function sqlOperator(op: FilterOp): string {
  switch (op) {
    case 'eq':
      return '=';
    case 'lt':
      return '<';
    case 'le':
      return '<=';
    case 'gt':
      return '>';
    case 'ge':
      return '>=';
    default:
      throw new Error(`operator ${op} is not a plain comparison`);
  }
}
