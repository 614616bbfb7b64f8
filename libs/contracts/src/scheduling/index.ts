// Event payload schemas owned by the scheduling side; see docs/event-flow.md.
export * from './scheduling-events';
