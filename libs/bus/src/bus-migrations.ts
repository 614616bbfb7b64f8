import type { MigrationClass } from '@rollgate/event-store';
import { CreateBusTables1763790000000 } from './migrations/1763790000000-create-bus-tables';

/** The consumer host's tables; a service runs these after EVENT_STORE_MIGRATIONS and before its own. */
export const BUS_MIGRATIONS: MigrationClass[] = [CreateBusTables1763790000000];
