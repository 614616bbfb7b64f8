import type { ServiceDefaults } from '@rollgate/service-kit';

/**
 * device-gateway: the device protocol (hawkBit DDI), device auth and telemetry intake. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const DEVICE_GATEWAY_DEFAULTS: ServiceDefaults = { service: 'device-gateway', port: 8081 };
