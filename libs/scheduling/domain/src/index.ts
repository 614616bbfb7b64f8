// Public API of @rollgate/scheduling-domain (pure rules; no I/O).
export * from './action-transition';
export * from './pacing';
export * from './scheduler-reactions';
export * from './rollback-plan';
