export * from './permissions';
export * from './identity.rules';
export * from './user.decider';
export * from './api-token.decider';
