import { authenticateDevice, AUTH_KEYS, type AuthContext, type DeviceCredentials } from './device-auth';
import type { DeviceEntry } from '../memory/gateway-memory';

const device: DeviceEntry = { controllerId: 'dev-1', securityToken: 'tok1', attributes: {}, version: 1, deleted: false, open: new Map() };
const context = (config: Record<string, unknown>, overrides: Partial<AuthContext> = {}): AuthContext => ({
  controllerId: 'dev-1', device, config: (key) => config[key] as never, trustedProxies: new Set(['10.0.0.1']), ...overrides,
});
const credentials = (overrides: Partial<DeviceCredentials> = {}): DeviceCredentials => ({ certificateIssuerHashes: [], remoteAddress: '192.168.1.5', ...overrides });
const all = { [AUTH_KEYS.targetToken]: true, [AUTH_KEYS.gatewayToken]: true, [AUTH_KEYS.gatewayTokenKey]: 'gwkey', [AUTH_KEYS.header]: true, [AUTH_KEYS.headerAuthority]: 'abc123' };

describe('device authentication', () => {
  it('TargetToken: only the device\'s own token, only when enabled', () => {
    expect(authenticateDevice(credentials({ authorization: 'TargetToken tok1' }), context(all))).toEqual({ ok: true, method: 'target-token' });
    expect(authenticateDevice(credentials({ authorization: 'TargetToken tok2' }), context(all))).toMatchObject({ ok: false, code: 'credentials_invalid' });
    expect(authenticateDevice(credentials({ authorization: 'TargetToken tok1' }), context(all, { device: undefined }))).toMatchObject({ ok: false, code: 'credentials_invalid' });
    expect(authenticateDevice(credentials({ authorization: 'TargetToken tok1' }), context({}))).toMatchObject({ ok: false, code: 'target_token_disabled' });
    expect(authenticateDevice(credentials({ authorization: 'targettoken tok1' }), context(all))).toMatchObject({ ok: true });
  });

  it('GatewayToken: the tenant key, only when enabled and set', () => {
    expect(authenticateDevice(credentials({ authorization: 'GatewayToken gwkey' }), context(all, { device: undefined }))).toEqual({ ok: true, method: 'gateway-token' });
    expect(authenticateDevice(credentials({ authorization: 'GatewayToken gwke' }), context(all))).toMatchObject({ ok: false, code: 'credentials_invalid' });
    expect(authenticateDevice(credentials({ authorization: 'GatewayToken ' }), context({ ...all, [AUTH_KEYS.gatewayTokenKey]: '' }))).toMatchObject({ ok: false, code: 'gateway_token_disabled' });
    expect(authenticateDevice(credentials({ authorization: 'Basic eDp5' }), context(all))).toMatchObject({ ok: false, code: 'credentials_invalid' });
  });

  it('client certificate headers count only from a trusted proxy, with CN = controller id and a known issuer', () => {
    const cert = { certificateCn: 'dev-1', certificateIssuerHashes: ['ABC123'], remoteAddress: '10.0.0.1' };
    expect(authenticateDevice(credentials(cert), context(all))).toEqual({ ok: true, method: 'certificate' });
    expect(authenticateDevice(credentials({ ...cert, remoteAddress: '10.0.0.2' }), context(all))).toMatchObject({ ok: false, code: 'credentials_missing' });
    expect(authenticateDevice(credentials({ ...cert, certificateCn: 'dev-2' }), context(all))).toMatchObject({ ok: false, code: 'credentials_invalid' });
    expect(authenticateDevice(credentials({ ...cert, certificateIssuerHashes: ['other'] }), context(all))).toMatchObject({ ok: false, code: 'credentials_invalid' });
    expect(authenticateDevice(credentials(cert), context({}))).toMatchObject({ ok: false, code: 'certificate_auth_disabled' });
  });

  it('anonymous only where the tenant enabled it', () => {
    expect(authenticateDevice(credentials(), context(all))).toMatchObject({ ok: false, code: 'credentials_missing' });
    expect(authenticateDevice(credentials(), context({ [AUTH_KEYS.anonymous]: true }))).toEqual({ ok: true, method: 'anonymous' });
  });
});
