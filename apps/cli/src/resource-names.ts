import type { ApiClient } from './api-client';
import { CliError } from './cli-context';

type Resource = Record<string, unknown>;
interface Page {
  content: Resource[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Operators name things; the API wants ids (derived from names, shaped as UUIDs). A rollout is given by id
 * or by name; a distribution set or software module by id or `name:version`.
 */
export async function rolloutId(api: ApiClient, idOrName: string): Promise<string> {
  if (UUID.test(idOrName)) return idOrName;
  const page = await api.get<Page>('/rest/v1/rollouts', { q: `name==${fiqlValue(idOrName)}`, limit: 2 });
  const match = page.content.find((r) => r.name === idOrName);
  if (!match) throw new CliError('rollout_not_found', `no rollout named ${idOrName}`);
  return String(match.id);
}

export async function versionedId(api: ApiClient, resource: 'distributionsets' | 'softwaremodules', reference: string): Promise<string> {
  const colon = reference.lastIndexOf(':');
  if (UUID.test(reference) || colon <= 0) return reference;
  const [name, version] = [reference.slice(0, colon), reference.slice(colon + 1)];
  const page = await api.get<Page>(`/rest/v1/${resource}`, { q: `name==${fiqlValue(name)}`, limit: 500 });
  const match = page.content.find((r) => r.name === name && r.version === version);
  const kind = resource === 'distributionsets' ? 'distribution_set' : 'software_module';
  if (!match) throw new CliError(`${kind}_not_found`, `no ${kind.replace('_', ' ')} ${name} version ${version}`);
  return String(match.id);
}

/** Quoted when it holds FIQL's reserved characters. */
function fiqlValue(value: string): string {
  return /^[A-Za-z0-9._~-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
