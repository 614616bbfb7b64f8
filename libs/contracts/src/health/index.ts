// Event payload schemas owned by the health side; see docs/event-flow.md.
export {};
