// Read models of the planner's catalog and identity, as event-store projections. They live here, not in the
// domain libs, because they speak SQL; the CLI rebuilds them by name.
export * from './read-model';
export * from './catalog';
export * from './identity/users.projection';
export * from './rollouts/rollouts.projection';
export * from './deployments';
export * from './actions';
