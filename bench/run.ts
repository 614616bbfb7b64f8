import { join } from 'node:path';
import { BenchReport, printTable, writeResults, type BenchSuite } from './harness';

/**
 * `npm run bench -- <suite> [<suite> ...]` runs the named suites from bench/suites/<suite>.bench.ts
 * (compiled to dist/) and writes bench/results/<suite>.json for each.
 */
async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  if (names.length === 0) {
    console.error('usage: npm run bench -- <suite> [<suite> ...]   (suites: files in bench/suites/*.bench.ts)');
    process.exit(2);
  }
  const resultsDir = join(__dirname, '..', '..', 'bench', 'results');
  for (const name of names) {
    let suite: BenchSuite;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      suite = require(join(__dirname, 'suites', `${name}.bench.js`)).suite;
    } catch (error) {
      console.error(`unknown bench suite "${name}": ${(error as Error).message}`);
      process.exit(2);
    }
    console.log(`running ${suite.name}: ${suite.description}`);
    const report = new BenchReport();
    await suite.run(report);
    printTable(suite.name, report);
    console.log(`wrote ${writeResults(resultsDir, suite.name, report)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
