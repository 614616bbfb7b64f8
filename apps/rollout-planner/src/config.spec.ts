import { loadPlannerConfig } from './config';

describe('loadPlannerConfig', () => {
  it('has no administrator unless all three bootstrap variables are set, and sensible defaults', () => {
    expect(loadPlannerConfig({})).toEqual({ bootstrap: undefined, defaultTenant: undefined, authCacheTtlMs: 10_000, loginMaxFailures: 10, loginWindowMs: 300_000, artifacts: undefined });
    const config = loadPlannerConfig({ ROLLGATE_BOOTSTRAP_TENANT: 'acme', ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: 'a-long-password' });
    expect(config).toMatchObject({ bootstrap: { tenant: 'acme', username: 'admin', resetPassword: false }, defaultTenant: 'acme' });
    const local = { ROLLGATE_BOOTSTRAP_TENANT: 'demo', ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: 'a-long-password' };
    expect(loadPlannerConfig({ ...local, ROLLGATE_BOOTSTRAP_ADMIN_RESET: 'true' }).bootstrap).toMatchObject({ resetPassword: true });
    expect(() => loadPlannerConfig({ ...local, ROLLGATE_BOOTSTRAP_ADMIN_RESET: 'yes' })).toThrow('ROLLGATE_BOOTSTRAP_ADMIN_RESET is "yes", must be true or false');
  });
  it('names every bad variable and never prints the password', () => {
    let message = '';
    try {
      loadPlannerConfig({ ROLLGATE_BOOTSTRAP_TENANT: 'ACME!', ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: 'short-pw', ROLLGATE_AUTH_CACHE_TTL_MS: 'soon' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('ROLLGATE_BOOTSTRAP_TENANT is "ACME!"');
    expect(message).toContain('ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD must be at least 12 characters');
    expect(message).toContain('ROLLGATE_AUTH_CACHE_TTL_MS is "soon"');
    expect(message).not.toContain('short-pw');
    expect(() => loadPlannerConfig({ ROLLGATE_BOOTSTRAP_TENANT: 'acme' })).toThrow('must be set together');
  });
  it('takes the artifact-distributor address and upload token together, and never prints the token', () => {
    const token = 'upload-token-0123456789';
    expect(loadPlannerConfig({ ROLLGATE_ARTIFACTS_URL: 'http://127.0.0.1:8082/', ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: token }).artifacts).toEqual({ url: 'http://127.0.0.1:8082', uploadToken: token });
    expect(() => loadPlannerConfig({ ROLLGATE_ARTIFACTS_URL: 'http://127.0.0.1:8082' })).toThrow('must be set together');
    expect(() => loadPlannerConfig({ ROLLGATE_ARTIFACTS_URL: 'ftp://x/y', ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: token })).toThrow('ROLLGATE_ARTIFACTS_URL is "ftp://x/y"');
    let message = '';
    try {
      loadPlannerConfig({ ROLLGATE_ARTIFACTS_URL: 'http://127.0.0.1:8082', ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: 'short secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('ROLLGATE_ARTIFACTS_UPLOAD_TOKEN must be at least 16 characters');
    expect(message).not.toContain('short secret');
  });
});
