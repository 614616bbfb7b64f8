import type { ServiceDefaults } from '@rollgate/service-kit';

/**
 * rollout-planner: the Management API and the plans: targets, software, distribution sets, filters, rollout plans, approvals. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const ROLLOUT_PLANNER_DEFAULTS: ServiceDefaults = { service: 'rollout-planner', port: 8080 };
