import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway certificate authority and a signing certificate issued by it, made with the openssl CLI for
 * one test run. swupdate (built with CMS signing, as Debian's is) verifies `sw-description.sig` against the
 * CA given with `-k`; the signer certificate travels inside the CMS structure.
 */
export interface SigningIdentity {
  /** the CA certificate (PEM) that swupdate trusts: its `-k` argument */
  caCertPath: string;
  signerCertPath: string;
  signerKeyPath: string;
}

export function createSigningIdentity(dir: string): SigningIdentity {
  const caKeyPath = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.crt');
  const signerKeyPath = join(dir, 'signer.key');
  const signerCsrPath = join(dir, 'signer.csr');
  const signerCertPath = join(dir, 'signer.crt');
  const signerExtPath = join(dir, 'signer.ext');

  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKeyPath, '-out', caCertPath, '-days', '2',
    '-subj', '/CN=Rollgate suricatta e2e throwaway CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', signerKeyPath, '-out', signerCsrPath,
    '-subj', '/CN=Rollgate suricatta e2e image signer']);
  // swupdate checks the signer's purpose (emailProtection unless --cert-purpose says otherwise).
  writeFileSync(signerExtPath, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n');
  openssl(['x509', '-req', '-in', signerCsrPath, '-CA', caCertPath, '-CAkey', caKeyPath, '-CAcreateserial',
    '-out', signerCertPath, '-days', '2', '-extfile', signerExtPath]);
  return { caCertPath, signerCertPath, signerKeyPath };
}

/** A detached CMS signature (DER) of `contentPath`, in the form swupdate expects for `sw-description.sig`. */
export function signCms(identity: SigningIdentity, contentPath: string): Buffer {
  return openssl(['cms', '-sign', '-in', contentPath, '-signer', identity.signerCertPath, '-inkey', identity.signerKeyPath,
    '-outform', 'DER', '-nosmimecap', '-binary']);
}

function openssl(args: string[]): Buffer {
  try {
    return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8') ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`);
  }
}
