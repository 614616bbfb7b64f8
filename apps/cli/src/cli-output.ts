import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { activeContext, readConfig } from './cli-config';

export interface GlobalOptions {
  databaseUrl: string;
  context?: string;
  output: 'table' | 'json';
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** A client for the context chosen by --context, else the current one. */
export function apiFor(command: Command): ApiClient {
  return new ApiClient(activeContext(readConfig(), globals(command).context));
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Rows as an aligned table, or as JSON with `-o json` (for scripts). */
export function printRows<T>(command: Command, rows: readonly T[], columns: ReadonlyArray<Column<T>>, raw: unknown = rows): void {
  if (globals(command).output === 'json') {
    console.log(JSON.stringify(raw, null, 2));
    return;
  }
  const cells = rows.map((row) => columns.map((c) => text(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  console.log(line(columns.map((c) => c.header)));
  for (const row of cells) console.log(line(row));
}

/** One resource: JSON with `-o json`, else `key: value` lines of its scalar fields. */
export function printResource(command: Command, resource: Record<string, unknown>): void {
  if (globals(command).output === 'json') {
    console.log(JSON.stringify(resource, null, 2));
    return;
  }
  for (const [key, value] of Object.entries(resource)) {
    if (key === '_links' || value === undefined) continue;
    console.log(`${key}: ${text(value)}`);
  }
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Reads all of stdin (a token or password piped in, never typed on the command line where `ps` shows it). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}
