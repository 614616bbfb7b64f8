import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * Benchmarks print a table and write `bench/results/<suite>.json` as
 * `{ suite, machine, metrics: { <name>: { value, unit, reference?, ratio? } } }`.
 * The machine is shared and noisy: every suite measures a raw reference (bare PostgreSQL insert, bare
 * JetStream publish, bare node:http, ...) in the same run, and the ratio is what to compare across runs.
 */
export interface Metric {
  value: number;
  unit: string;
  reference?: number;
  ratio?: number;
  /** what the goal is, printed beside the figure, e.g. ">= 0.6x raw insert" */
  goal?: string;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(report: BenchReport): Promise<void>;
}

export class BenchReport {
  readonly metrics: Record<string, Metric> = {};

  /** Records a figure; when a reference is given, the ratio value/reference is computed. */
  metric(name: string, value: number, unit: string, extra: { reference?: number; goal?: string; higherIsBetter?: boolean } = {}): void {
    const metric: Metric = { value: round(value), unit };
    if (extra.reference !== undefined) {
      metric.reference = round(extra.reference);
      metric.ratio = round(value / extra.reference, 3);
    }
    if (extra.goal) metric.goal = extra.goal;
    this.metrics[name] = metric;
  }
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export function writeResults(resultsDir: string, suite: string, report: BenchReport): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${suite}.json`);
  const metrics = Object.fromEntries(Object.entries(report.metrics).map(([name, { goal: _goal, ...m }]) => [name, m]));
  writeFileSync(file, `${JSON.stringify({ suite, machine: machineDescription(), metrics }, null, 2)}\n`);
  return file;
}

export function printTable(suite: string, report: BenchReport): void {
  const rows = Object.entries(report.metrics).map(([name, m]) => ({
    metric: name,
    value: `${fmt(m.value)} ${m.unit}`,
    reference: m.reference === undefined ? '' : `${fmt(m.reference)} ${m.unit}`,
    ratio: m.ratio === undefined ? '' : `${m.ratio.toFixed(2)}x`,
    goal: m.goal ?? '',
  }));
  const headers = ['metric', 'value', 'reference', 'ratio', 'goal'] as const;
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => r[h].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${suite} (${machineDescription()})`);
  console.log(line([...headers]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(headers.map((h) => r[h])));
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function fmt(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
