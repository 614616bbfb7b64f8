import type { DeviceSpec } from './fleet-generator';

export interface RegisterFleetOptions {
  /** rollout-planner's base URL, e.g. http://127.0.0.1:8080 */
  plannerUrl: string;
  tenant: string;
  username: string;
  password: string;
  devices: readonly DeviceSpec[];
  /** targets per POST; default 2,000 (the planner takes at most 10,000 and 1 MiB per body) */
  chunkSize?: number;
}

export class RegistrationError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

const MAX_CHUNK = 10_000;

/**
 * Creates the fleet's targets through the Management API (`POST /rest/v1/targets`, bulk, Basic auth as
 * `<tenant>\<user>`), each with its securityToken, so the devices can authenticate with TargetToken. Device type
 * and region go into the description; the devices report them as attributes (configData) themselves.
 */
export async function registerFleet(options: RegisterFleetOptions): Promise<{ created: number }> {
  const chunkSize = Math.min(MAX_CHUNK, options.chunkSize ?? 2_000);
  const authorization = `Basic ${Buffer.from(`${options.tenant}\\${options.username}:${options.password}`).toString('base64')}`;
  const url = `${options.plannerUrl.replace(/\/$/, '')}/rest/v1/targets`;
  let created = 0;
  for (let start = 0; start < options.devices.length; start += chunkSize) {
    const chunk = options.devices.slice(start, start + chunkSize).map((device) => ({
      controllerId: device.controllerId,
      name: device.controllerId,
      description: `simulated ${device.deviceType} in ${device.region}`,
      ...(device.securityToken !== undefined ? { securityToken: device.securityToken } : {}),
    }));
    const response = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(chunk) });
    const text = await response.text();
    if (response.status !== 201 && response.status !== 200) {
      const code = safeCode(text);
      // The body may echo the request; never put tokens into an error message, only the planner's code.
      throw new RegistrationError(response.status, code, `registering targets ${start + 1}-${start + chunk.length} failed: HTTP ${response.status}${code ? ` ${code}` : ''}`);
    }
    created += (JSON.parse(text) as unknown[]).length;
  }
  return { created };
}

function safeCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
