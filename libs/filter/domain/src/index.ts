export * from './filter.fields';
export * from './filter.errors';
export * from './filter.parser';
export * from './filter.predicate';
export * from './filter.sql';
export * from './filter.compiler';
export { foldCase } from './filter-text';
