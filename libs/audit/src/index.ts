// Audit reads over the event log: history, as-of replay, evidence bundles and reports.
export {};
