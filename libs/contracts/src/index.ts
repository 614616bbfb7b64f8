export * from './cloud-event';
export * from './event-type';
export * from './subjects';
export * from './artifacts';
export * from './catalog';
