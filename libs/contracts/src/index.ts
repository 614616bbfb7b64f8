export * from './cloud-event';
export * from './event-type';
export * from './subjects';
