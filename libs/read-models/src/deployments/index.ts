// Per target: assigned, installed and previously installed distribution set (docs/event-flow.md).
export * from './target-deployments.projection';
