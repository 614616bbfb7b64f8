import { createHmac } from 'node:crypto';
import { downloadLinkPayload, type ArtifactStored } from '@rollgate/contracts';
import type { ArtifactLinks } from '../ddi/ddi-answers';

/** Long enough for a slow device to finish (and resume) a large download; the distributor uses the same. */
export const LINK_TTL_SECONDS = 6 * 3600;

/**
 * Download links signed for artifact-distributor (HMAC-SHA256 with the shared ARTIFACTS_LINK_SECRET over
 * `downloadLinkPayload`), made in memory: handing out a link costs no call to the distributor. The gateway
 * signs only for artifacts of the device's own open actions; the distributor checks the signature.
 * Without a secret, links point at the gateway's own download path, which then answers 503.
 */
export function signedArtifactLinks(options: { secret?: string; artifactsUrl?: string; now: () => number }, tenant: string, ddiBase: string): ArtifactLinks {
  return {
    download(moduleId: string, artifact: ArtifactStored & { fileName: string }) {
      if (!options.secret || !options.artifactsUrl) {
        const own = `${ddiBase}/softwaremodules/${encodeURIComponent(moduleId)}/artifacts/${encodeURIComponent(artifact.fileName)}`;
        return { href: own, md5sumHref: `${own}.MD5SUM` };
      }
      // Rounded to the hour, so the deploymentBase answer (and its ETag) stays the same between polls.
      const expires = Math.ceil(options.now() / 1000 / 3600) * 3600 + LINK_TTL_SECONDS;
      const signature = createHmac('sha256', options.secret).update(downloadLinkPayload(tenant, artifact.sha256, expires)).digest('hex');
      const path = `${options.artifactsUrl}/artifacts/v1/${tenant}/${artifact.sha256}`;
      const query = `expires=${expires}&signature=${signature}`;
      return { href: `${path}?${query}`, md5sumHref: `${path}.MD5SUM?${query}` };
    },
  };
}
