import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './local-stack';

/**
 * The local demo profile's first administrator. Rollgate has no built-in password: `rollgate up` makes a
 * random one on first use and keeps it in .data/local-admin.json (readable by the owner only), so that the
 * same login keeps working across restarts. Setting ROLLGATE_BOOTSTRAP_* yourself takes precedence.
 */
export interface LocalAdmin {
  tenant: string;
  user: string;
  password: string;
  file: string;
}

export const LOCAL_ADMIN_FILE = join(REPO_ROOT, '.data', 'local-admin.json');

export function localAdmin(file = LOCAL_ADMIN_FILE): LocalAdmin {
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Omit<LocalAdmin, 'file'>;
    return { ...stored, file };
  }
  const admin = { tenant: 'demo', user: 'admin', password: randomBytes(18).toString('base64url') };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(admin, null, 2)}\n`, { mode: 0o600 });
  return { ...admin, file };
}

/** The bootstrap variables for the services, unless the user configured them. */
export function bootstrapEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; admin?: LocalAdmin } {
  if (env.ROLLGATE_BOOTSTRAP_TENANT || env.ROLLGATE_BOOTSTRAP_ADMIN_USER || env.ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD) return { env };
  const admin = localAdmin();
  return {
    admin,
    // The password lives in this checkout: a database an earlier checkout set up gets it back (see BootstrapAdmin).
    env: { ...env, ROLLGATE_BOOTSTRAP_TENANT: admin.tenant, ROLLGATE_BOOTSTRAP_ADMIN_USER: admin.user, ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: admin.password, ROLLGATE_BOOTSTRAP_ADMIN_RESET: 'true' },
  };
}

/**
 * The local stack's service-to-service secrets (artifact upload token, download-link secret), random on first
 * use and kept in .data/local-secrets.json (owner only) like the demo admin. Set the variables yourself to
 * use your own.
 */
export function localServiceEnv(env: NodeJS.ProcessEnv, urls: { distributor: string }, file = join(dirname(LOCAL_ADMIN_FILE), 'local-secrets.json')): NodeJS.ProcessEnv {
  let secrets: { uploadToken: string; linkSecret: string };
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as typeof secrets;
  } else {
    secrets = { uploadToken: randomBytes(24).toString('base64url'), linkSecret: randomBytes(32).toString('base64url') };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  const uploadToken = env.ARTIFACTS_UPLOAD_TOKEN ?? secrets.uploadToken;
  return {
    ARTIFACTS_UPLOAD_TOKEN: uploadToken,
    ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: uploadToken,
    ROLLGATE_ARTIFACTS_URL: urls.distributor,
    ARTIFACTS_LINK_SECRET: secrets.linkSecret,
    ARTIFACTS_PUBLIC_URL: urls.distributor,
    // The local stack runs the demo's compressed timeline: rollback triggers and verification every 5 s.
    HEALTH_EVALUATION_INTERVAL_MS: '5000',
    // ... and telemetry aggregated in 2-second buckets, so that gate windows of seconds hold enough samples.
    HEALTH_BUCKET_MS: '2000',
    ...env,
  };
}
