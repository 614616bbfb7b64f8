import type { ServiceDefaults } from '@rollgate/service-kit';

/**
 * group-scheduler: running rollouts: group cascade, pacing, timers, emergency stop and rollback. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const GROUP_SCHEDULER_DEFAULTS: ServiceDefaults = { service: 'group-scheduler', port: 8083 };
