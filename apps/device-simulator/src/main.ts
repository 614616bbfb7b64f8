// The simulated fleet's entry point (see docs/event-flow.md and issue 6).
export {};
