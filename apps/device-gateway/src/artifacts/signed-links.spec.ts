import { createHmac } from 'node:crypto';
import { downloadLinkPayload, type ArtifactStored } from '@rollgate/contracts';
import { LINK_TTL_SECONDS, signedArtifactLinks } from './signed-links';

const artifact: ArtifactStored = { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 1, fileName: 'fw bin.swu' };
const BASE = 'http://gw:8081/acme/controller/v1/dev-1';
const NOW = Date.UTC(2026, 11, 1, 10, 20, 30);

describe('signed artifact links', () => {
  it('signs a link the distributor can check, valid for the TTL from the next full hour (stable between polls)', () => {
    const secret = 's'.repeat(40);
    const links = signedArtifactLinks({ secret, artifactsUrl: 'http://dist:8082', now: () => NOW }, 'acme', BASE);
    const { href, md5sumHref } = links.download('sm-1', artifact);
    const url = new URL(href);
    expect(`${url.origin}${url.pathname}`).toBe(`http://dist:8082/artifacts/v1/acme/${'a'.repeat(64)}`);
    const expires = Number(url.searchParams.get('expires'));
    expect(expires).toBe(Date.UTC(2026, 11, 1, 11) / 1000 + LINK_TTL_SECONDS);
    expect(url.searchParams.get('signature')).toBe(createHmac('sha256', secret).update(downloadLinkPayload('acme', artifact.sha256, expires)).digest('hex'));
    expect(md5sumHref).toBe(`http://dist:8082/artifacts/v1/acme/${'a'.repeat(64)}.MD5SUM?${url.searchParams}`);
    expect(signedArtifactLinks({ secret, artifactsUrl: 'http://dist:8082', now: () => NOW + 60_000 }, 'acme', BASE).download('sm-1', artifact).href).toBe(href);
  });

  it('without a secret, points at the gateway\'s own download path (which then answers 503)', () => {
    const { href, md5sumHref } = signedArtifactLinks({ now: () => NOW }, 'acme', BASE).download('sm-1', artifact);
    expect(href).toBe(`${BASE}/softwaremodules/sm-1/artifacts/fw%20bin.swu`);
    expect(md5sumHref).toBe(`${href}.MD5SUM`);
  });
});
