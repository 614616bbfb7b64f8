export * from './range.parser';
export * from './pre-deploy.rules';
export * from './region-cache.selection';
