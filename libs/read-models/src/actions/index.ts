// Actions (per target, with their status history) as the Management API lists them.
export * from './actions.projection';
export * from './action.queries';
