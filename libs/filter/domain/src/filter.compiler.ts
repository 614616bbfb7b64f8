import type { FilterTarget } from './filter.fields';
import { parseFilter, type FilterNode } from './filter.parser';
import { compilePredicate, type TargetPredicate } from './filter.predicate';
import { compileSql, type SqlFilter, type SqlFilterOptions } from './filter.sql';

export interface CompiledFilter {
  query: string;
  ast: FilterNode;
  /** The in-memory predicate. */
  matches: TargetPredicate;
  /** The same filter as a parameterised WHERE clause. */
  toSql(options?: SqlFilterOptions): SqlFilter;
}

/** Parses and checks once; the predicate and the SQL select the same targets (property-tested on PostgreSQL). */
export function compileFilter(query: string): CompiledFilter {
  const ast = parseFilter(query);
  const matches = compilePredicate(ast);
  return { query, ast, matches, toSql: (options) => compileSql(ast, options) };
}

export function filterTargets<T extends FilterTarget>(query: string, targets: readonly T[]): T[] {
  const { matches } = compileFilter(query);
  return targets.filter(matches);
}
