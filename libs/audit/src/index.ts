// Audit reads over the event log: history, as-of replay, evidence bundles and reports.
export * from './audit-event';
export * from './audit-log.reader';
export * from './rollout-history';
export * from './rollout-replay';
export * from './rollout-incidents';
export * from './evidence-bundle';
export * from './bundle-signature';
export * from './group-timeline';
export * from './rollout-reports';
export * from './audit-exports';
