// Public API of @rollgate/health-domain (pure rules; no I/O).
export * from './health.types';
export * from './stats';
export * from './device-telemetry';
export * from './fleet-window';
export * from './baseline';
export * from './gate-config';
export * from './gate-device';
export * from './gate-checks';
export * from './cohort-comparison';
export * from './canary-phases';
export * from './gate-evaluation';
export * from './rollback-triggers';
export * from './device-verification';
export * from './rollout-fleet';
export * from './health.decider';
export * from './audit-recheck';
