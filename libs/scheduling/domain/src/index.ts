// Public API of @rollgate/scheduling-domain (pure rules; no I/O).
export {};
