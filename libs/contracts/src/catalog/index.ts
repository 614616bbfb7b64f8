// Event payload schemas of the rollout-planner's catalog and identity (targets, software modules,
// distribution sets, target filters, tenant configuration, users and tokens).
export * from './catalog-events';
// Rollouts and their deployment groups as rollout-planner creates and steers them.
export * from './rollout-events';
