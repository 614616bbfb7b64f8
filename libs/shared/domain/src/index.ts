export * from './decider';
export * from './errors';
export * from './given-when-then';
export * from './ids';
export * from './seeded-random';
export * from './cron';
