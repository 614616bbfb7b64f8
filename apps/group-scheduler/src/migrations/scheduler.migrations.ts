import type { MigrationClass } from '@rollgate/event-store';
import { CreateSchedulerTables1764800000000 } from './1764800000000-create-scheduler-tables';
import { AddQueuedMembers1764800000001 } from './1764800000001-add-queued-members';
import { CreateDynamicMembers1764800000002 } from './1764800000002-create-dynamic-members';

/** group-scheduler's own tables, applied after the event store's and the bus's. */
export const SCHEDULER_MIGRATIONS: MigrationClass[] = [CreateSchedulerTables1764800000000, AddQueuedMembers1764800000001, CreateDynamicMembers1764800000002];
