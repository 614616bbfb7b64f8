import type { ArtifactStored } from '@rollgate/contracts';
import type { ArtifactLinks } from '../ddi/ddi-answers';

export interface DistributorLink {
  href: string;
  md5sumHref: string;
}

export interface RegionalLinkOptions {
  /** artifact-distributor as the gateway reaches it */
  distributorUrl?: string;
  /** its service download token, which its `/link` endpoint asks for */
  downloadToken?: string;
  timeoutMs?: number;
}

/** The device attribute (DDI configData) that names its region. */
export const DEVICE_ATTRIBUTE_REGION = 'region';

/**
 * Links to the device's region: artifact-distributor knows which region caches are healthy right now
 * (heartbeats live in its memory), so for a device that reported its region the gateway asks it, once per
 * artifact of a deploymentBase (a read a device is waiting on, as ARCHITECTURE.md allows), and falls back
 * to a link to the central store, signed here, when there is no region, no distributor or no answer in time.
 */
export class RegionalLinks {
  constructor(
    private readonly options: RegionalLinkOptions,
    private readonly fetchLink: typeof fetch = fetch,
  ) {}

  get enabled(): boolean {
    return Boolean(this.options.distributorUrl && this.options.downloadToken);
  }

  async forDevice(tenant: string, controllerId: string, region: string | undefined, sha256s: readonly string[], central: ArtifactLinks): Promise<ArtifactLinks> {
    if (!this.enabled || region === undefined || sha256s.length === 0) return central;
    const resolved = new Map<string, DistributorLink>();
    await Promise.all([...new Set(sha256s)].map(async (sha256) => {
      const link = await this.ask(tenant, controllerId, region, sha256);
      if (link) resolved.set(sha256, link);
    }));
    return {
      download: (moduleId: string, artifact: ArtifactStored) => resolved.get(artifact.sha256) ?? central.download(moduleId, artifact),
    };
  }

  private async ask(tenant: string, controllerId: string, region: string, sha256: string): Promise<DistributorLink | undefined> {
    const query = new URLSearchParams({ device: controllerId, region });
    try {
      const response = await this.fetchLink(`${this.options.distributorUrl}/artifacts/v1/${tenant}/${sha256}/link?${query}`, {
        headers: { authorization: `Bearer ${this.options.downloadToken}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return undefined;
      }
      const body = (await response.json()) as Partial<DistributorLink>;
      return typeof body.href === 'string' && typeof body.md5sumHref === 'string' ? { href: body.href, md5sumHref: body.md5sumHref } : undefined;
    } catch {
      return undefined;
    }
  }
}
