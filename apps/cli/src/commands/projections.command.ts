import type { Command } from 'commander';
import { rebuildProjection, streamCatalogProjection, type Projection } from '@rollgate/event-store';
import { CATALOG_PROJECTIONS, rolloutsProjection, usersProjection } from '@rollgate/read-models';
import { CliError, withLog } from '../cli-context';

/** Projections the CLI can rebuild, by name. Services register theirs here as they gain read models. */
export const PROJECTIONS: ReadonlyMap<string, Projection> = new Map<string, Projection>([
  [streamCatalogProjection.name, streamCatalogProjection],
  ...[...CATALOG_PROJECTIONS, usersProjection, rolloutsProjection].map((projection): [string, Projection] => [projection.name, projection]),
]);

export function registerProjections(program: Command, databaseUrl: () => string): void {
  const projections = program.command('projections').description('read models built from the event log');

  projections
    .command('list')
    .description('name the projections that can be rebuilt')
    .action(() => {
      for (const [name, projection] of PROJECTIONS) console.log(`${name}\t(tables: ${projection.tables.join(', ')})`);
    });

  projections
    .command('rebuild')
    .argument('<name>', 'projection to rebuild')
    .description('replay the whole log into fresh tables and swap them in while the live projection keeps serving')
    .action(async (name: string) => {
      const projection = PROJECTIONS.get(name);
      if (!projection) throw new CliError('unknown_projection', `no projection named "${name}"; known: ${[...PROJECTIONS.keys()].join(', ')}`);
      const result = await withLog(databaseUrl(), (pool, store) => rebuildProjection(pool, store, projection));
      console.log(`rebuilt ${result.projection}: ${result.eventsReplayed} events replayed in ${result.millis} ms`);
    });
}
