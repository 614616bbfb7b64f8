import type { MigrationClass } from '@rollgate/event-store';
import { CreateSchedulerTables1764800000000 } from './1764800000000-create-scheduler-tables';
import { AddQueuedMembers1764800000001 } from './1764800000001-add-queued-members';

/** group-scheduler's own tables, applied after the event store's and the bus's. */
export const SCHEDULER_MIGRATIONS: MigrationClass[] = [CreateSchedulerTables1764800000000, AddQueuedMembers1764800000001];
