export * from './tenant-config.rules';
export * from './tenant-config.decider';
export * from './target.decider';
export * from './software-module.decider';
export * from './distribution-set.decider';
export * from './target-filter.decider';
export * from './target-tag.decider';
