import { DomainError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { listSql, type ListSpec, type Page, type PagingQuery } from './paging';

/** A page of a read model, always within the caller's tenant. */
export async function listPage<Row, T>(pool: Pool, spec: ListSpec, tenant: string, query: PagingQuery, toResource: (row: Row) => T): Promise<Page<T>> {
  const sql = listSql(spec, tenant, query);
  const n = sql.values.length;
  const [rows, count] = await Promise.all([
    pool.query(`SELECT * FROM ${spec.table} WHERE ${sql.where} ORDER BY ${sql.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`, [...sql.values, sql.limit, sql.offset]),
    pool.query(`SELECT count(*)::int AS total FROM ${spec.table} WHERE ${sql.where}`, sql.values),
  ]);
  const content = (rows.rows as Row[]).map(toResource);
  return { content, total: (count.rows[0] as { total: number }).total, size: content.length };
}

/** One row by key within the tenant; another tenant's row reads exactly like a missing one. */
export async function findOne<Row>(pool: Pool, table: string, keyColumn: string, tenant: string, key: string, notFound: string): Promise<Row> {
  const { rows } = await pool.query(`SELECT * FROM ${table} WHERE tenant = $1 AND ${keyColumn} = $2`, [tenant, key]);
  if (rows.length === 0) throw new DomainError(notFound, `no ${notFound.replace(/_not_found$/, '').replace(/_/g, ' ')} ${key}`);
  return rows[0] as Row;
}

/** Audit fields as hawkBit names them; bigint columns arrive from pg as strings. */
export function audit(row: { created_at: string; created_by: string; last_modified_at: string; last_modified_by: string }) {
  return { createdBy: row.created_by, createdAt: Number(row.created_at), lastModifiedBy: row.last_modified_by, lastModifiedAt: Number(row.last_modified_at) };
}

export const link = (path: string) => ({ self: { href: `/rest/v1/${path}` } });
