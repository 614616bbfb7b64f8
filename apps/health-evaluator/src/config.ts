import type { ServiceDefaults } from '@rollgate/service-kit';

/**
 * health-evaluator: baselines, health gates, canary verdicts and rollback triggers. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const HEALTH_EVALUATOR_DEFAULTS: ServiceDefaults = { service: 'health-evaluator', port: 8084 };
