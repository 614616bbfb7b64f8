// Event payload schemas owned by the device side; see docs/event-flow.md.
export {};
