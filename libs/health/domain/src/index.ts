// Public API of @rollgate/health-domain (pure rules; no I/O).
export {};
