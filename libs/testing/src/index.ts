export * from './eventually';
export * from './infra-urls';
export * from './test-bus';
export * from './test-database';
export * from './test-pool';
