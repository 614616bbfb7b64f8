/** Injection tokens of the distributor's own providers. */
export const ARTIFACTS_CONFIG = Symbol('rollgate.artifacts-config');
export const CONTENT_STORE = Symbol('rollgate.content-store');
export const HOT_CONTENT = Symbol('rollgate.hot-content');
