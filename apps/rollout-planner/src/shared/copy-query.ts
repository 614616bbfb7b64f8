import { unescapeCopy } from '@rollgate/event-store';
import { escapeLiteral, type Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** work_mem of a COPY's session while it runs. */
const SORT_MEMORY = '128MB';
/**
 * random_page_cost of a COPY's session while it runs: the read models' pages are in memory or on SSD, where a
 * page read out of order costs about what a sequential one does, not the default's four times (spinning
 * disks). At 4 PostgreSQL sorted 100,000 candidates (~150-200 ms) rather than read them in order from the
 * primary key (tenant, controller_id) (~80 ms) even when the rows lie in that order.
 */
const RANDOM_PAGE_COST = 1.1;

/**
 * Runs a SELECT as `COPY (…) TO STDOUT` and hands each row to `onRow` as its fields (text, COPY-unescaped;
 * NULL as null), in order.
 * For result sets of a million rows: COPY streams plain text lines, where a SELECT costs the driver a
 * protocol message and a parser call per field, several times the time. The lines are cut with indexOf and
 * the fields array is reused from row to row (copy out what you keep): splitting every line into fresh
 * arrays cost more than the COPY itself. COPY takes no bind parameters, so the values are written into the
 * statement as literals (inlineParameters); anything but text, numbers, booleans and arrays of them is refused.
 */
export async function forEachCopyRow(pool: Pool, text: string, values: readonly unknown[], onRow: (fields: ReadonlyArray<string | null>) => void): Promise<void> {
  const statement = `COPY (${inlineParameters(text, values)}) TO STDOUT`;
  const client = await pool.connect();
  let reset = false;
  try {
    // A million rows sorted (ORDER BY without a usable index, or before the table's statistics caught up with
    // a bulk import) spill to disk at the default 4 MB: sort them in memory for this statement.
    await client.query(`SET work_mem = '${SORT_MEMORY}'; SET random_page_cost = ${RANDOM_PAGE_COST}`);
    reset = true;
    const fields: Array<string | null> = [];
    let rest = '';
    for await (const chunk of client.query(copyTo(statement)) as AsyncIterable<Buffer>) {
      rest = copyLines(rest.length > 0 ? rest + chunk.toString('utf8') : chunk.toString('utf8'), fields, onRow);
    }
    if (rest.length > 0) copyLines(`${rest}\n`, fields, onRow);
  } finally {
    // The connection goes back to the pool as it came (a failed RESET discards it).
    const failure = reset ? await client.query('RESET work_mem; RESET random_page_cost').then(() => undefined, (error: Error) => error) : undefined;
    client.release(failure);
  }
}

/** Each complete line of COPY text to `onRow` as its fields (in the reused `fields`); returns the incomplete rest. */
export function copyLines(data: string, fields: Array<string | null>, onRow: (fields: ReadonlyArray<string | null>) => void): string {
  let start = 0;
  for (let end = data.indexOf('\n', start); end !== -1; end = data.indexOf('\n', start)) {
    fieldsOf(data, start, end, fields);
    onRow(fields);
    start = end + 1;
  }
  return start === 0 ? data : data.slice(start);
}

/** The tab-separated fields of `data[start, end)` into `fields` (its length set to their count). */
function fieldsOf(data: string, start: number, end: number, fields: Array<string | null>): void {
  let n = 0;
  let from = start;
  for (;;) {
    const tab = data.indexOf('\t', from);
    const to = tab === -1 || tab > end ? end : tab;
    fields[n++] = fieldOf(data.slice(from, to));
    if (to === end) break;
    from = to + 1;
  }
  fields.length = n;
}

const fieldOf = (field: string): string | null => (field === '\\N' ? null : unescapeCopy(field));

/** `$n` placeholders replaced by the values as SQL literals (the statement must hold no other `$`). */
export function inlineParameters(text: string, values: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= values.length) throw new Error(`no value for parameter $${n}`);
    return literal(values[index]);
  });
}

function literal(value: unknown): string {
  if (typeof value === 'string') return escapeLiteral(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  // An array literal's element type comes from the cast that follows the placeholder (e.g. `$3::text[]`).
  if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(', ')}]`;
  throw new TypeError(`a ${typeof value} cannot be written as an SQL literal`);
}
