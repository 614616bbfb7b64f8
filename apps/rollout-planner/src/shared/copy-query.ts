import { unescapeCopy } from '@rollgate/event-store';
import { escapeLiteral, type Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * Runs a SELECT as `COPY (…) TO STDOUT` and yields its rows a network chunk at a time, each row as its fields
 * (text, COPY-unescaped; NULL as null).
 * For result sets of a million rows: COPY streams plain text lines, where a SELECT costs the driver a
 * protocol message and a parser call per field, several times the time. COPY takes no bind parameters, so
 * the values are written into the statement as literals (inlineParameters); anything but text, numbers,
 * booleans and arrays of them is refused.
 */
export async function* copyRows(pool: Pool, text: string, values: readonly unknown[]): AsyncGenerator<Array<Array<string | null>>> {
  const statement = `COPY (${inlineParameters(text, values)}) TO STDOUT`;
  const client = await pool.connect();
  try {
    let rest = '';
    for await (const chunk of client.query(copyTo(statement)) as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      yield lines.map((line) => line.split('\t').map(fieldOf));
    }
  } finally {
    client.release();
  }
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
