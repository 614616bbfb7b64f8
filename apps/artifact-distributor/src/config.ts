import type { ServiceDefaults } from '@rollgate/service-kit';

/**
 * artifact-distributor: content-addressed artifact storage, signatures and resumable downloads. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const ARTIFACT_DISTRIBUTOR_DEFAULTS: ServiceDefaults = { service: 'artifact-distributor', port: 8082 };
