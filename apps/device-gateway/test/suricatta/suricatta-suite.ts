import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { testPool } from '@rollgate/testing';
import { DeviceUpdateFlow } from './device-update.flow';
import { startRollgateStack, type RollgateStack } from './rollgate-stack';
import { createSigningIdentity } from './signing-identity';
import { ensureSwupdate } from './swupdate-installation';

export const GATEWAY_TOKEN = 'suricattae2egatewaytoken0123456789';

async function configureTenant(flow: DeviceUpdateFlow): Promise<void> {
  await flow.api.setTenantConfig('authentication.targettoken.enabled', true);
  await flow.api.setTenantConfig('authentication.gatewaytoken.enabled', true);
  await flow.api.setTenantConfig('authentication.gatewaytoken.key', GATEWAY_TOKEN);
  // suricatta follows the server's polling time (config.polling.sleep), not its own -p, once it has polled.
  await flow.api.setTenantConfig('minPollingTime', '00:00:01');
  await flow.api.setTenantConfig('pollingTime', '00:00:01');
}

export interface SuricattaSuite {
  flow: DeviceUpdateFlow;
  /** a fresh directory under this suite's temp dir: a device's "root filesystem" */
  rootfs(name: string): string;
  /** a path under this suite's temp dir that does not exist */
  missingPath(name: string): string;
}

/**
 * Registers the hooks every suricatta spec needs: swupdate installed (or the suite fails saying why), the
 * four services on a fresh database and bus, a throwaway signing CA, and the tenant configured as a
 * hawkBit operator would for these devices (both token kinds on, one-second polling so tests are quick).
 */
export function useSuricattaSuite(): SuricattaSuite {
  let stack: RollgateStack | undefined;
  let pool: Pool | undefined;
  let dir = '';
  let flow: DeviceUpdateFlow | undefined;

  beforeAll(async () => {
    ensureSwupdate();
    dir = mkdtempSync(join(tmpdir(), 'rg-suricatta-'));
    stack = await startRollgateStack();
    pool = testPool(stack.db.url, 2);
    flow = new DeviceUpdateFlow(stack, pool, createSigningIdentity(dir), dir);
    await configureTenant(flow);
  });

  afterEach(async () => {
    await flow?.stopDevices();
  });

  afterAll(async () => {
    await pool?.end();
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get flow() {
      if (!flow) throw new Error('the suricatta suite has not started');
      return flow;
    },
    rootfs(name) {
      const path = join(dir, `rootfs-${name}`);
      mkdirSync(path, { recursive: true });
      return path;
    },
    missingPath(name) {
      return join(dir, `missing-${name}`, 'firmware.bin');
    },
  };
}
