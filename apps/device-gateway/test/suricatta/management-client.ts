import { randomBytes } from 'node:crypto';
import { ADMIN } from './rollgate-stack';

export interface ApiAnswer {
  status: number;
  body: unknown;
  /** the planner's recent log, kept with server errors */
  serverLog?: string;
}

/** A Management API call that did not answer as the flow needs; the message carries the whole answer. */
export class ManagementApiError extends Error {
  constructor(what: string, answer: ApiAnswer) {
    super(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}${answer.serverLog ? `\n--- rollout-planner\n${answer.serverLog}` : ''}`);
  }
}

export interface ActionResource {
  id: number | string;
  type: string;
  status: string;
  detailStatus?: string;
  [key: string]: unknown;
}

/**
 * The hawkBit-compatible Management API (`/rest/v1`) of rollout-planner, as an operator's script uses it:
 * HTTP Basic as the bootstrapped administrator. Each step checks its status and says which call failed.
 */
export class ManagementClient {
  private readonly authorization = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;

  /** `serverLog`: the planner's recent log, appended to errors (a 500 says nothing by itself) */
  constructor(
    private readonly baseUrl: string,
    private readonly serverLog: () => string = () => '',
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error message
    }
    if (response.status >= 500) return { status: response.status, body: parsed, serverLog: this.serverLog() };
    return { status: response.status, body: parsed };
  }

  async setTenantConfig(key: string, value: unknown): Promise<void> {
    const answer = await this.request('PUT', `/rest/v1/system/configs/${encodeURIComponent(key)}`, { value });
    if (answer.status !== 200) throw new ManagementApiError(`PUT /rest/v1/system/configs/${key}`, answer);
  }

  /** Registers a target with a TargetToken chosen here (hawkBit accepts custom tokens) and returns it. */
  async createTarget(controllerId: string): Promise<{ controllerId: string; securityToken: string }> {
    const securityToken = randomBytes(16).toString('hex');
    const answer = await this.request('POST', '/rest/v1/targets', [{ controllerId, name: controllerId, securityToken }]);
    if (answer.status !== 201) throw new ManagementApiError('POST /rest/v1/targets', answer);
    return { controllerId, securityToken };
  }

  async createSoftwareModule(name: string, version: string): Promise<string> {
    const answer = await this.request('POST', '/rest/v1/softwaremodules', [{ name, version, type: 'os', vendor: 'Rollgate e2e' }]);
    if (answer.status !== 201) throw new ManagementApiError('POST /rest/v1/softwaremodules', answer);
    return String((answer.body as Array<{ id: string | number }>)[0].id);
  }

  /** `POST /rest/v1/softwaremodules/{id}/artifacts`, multipart field `file`, as hawkBit. */
  async uploadArtifact(moduleId: string, fileName: string, bytes: Buffer): Promise<Record<string, unknown>> {
    const form = new FormData();
    form.append('file', new Blob([bytes]), fileName);
    const path = `/rest/v1/softwaremodules/${encodeURIComponent(moduleId)}/artifacts`;
    const answer = await this.request('POST', path, form);
    if (answer.status !== 201) throw new ManagementApiError(`POST ${path}`, answer);
    return answer.body as Record<string, unknown>;
  }

  async createDistributionSet(name: string, version: string, moduleIds: string[]): Promise<string> {
    const answer = await this.request('POST', '/rest/v1/distributionsets', [{ name, version, type: 'os', modules: moduleIds.map((id) => ({ id })) }]);
    if (answer.status !== 201) throw new ManagementApiError('POST /rest/v1/distributionsets', answer);
    return String((answer.body as Array<{ id: string | number }>)[0].id);
  }

  /** Assigns the set to one target (a forced update) and returns the new action's id. */
  async assign(distributionSetId: string, controllerId: string): Promise<string> {
    const path = `/rest/v1/distributionsets/${encodeURIComponent(distributionSetId)}/assignedTargets`;
    const answer = await this.request('POST', path, [{ id: controllerId, type: 'forced' }]);
    if (answer.status !== 200 && answer.status !== 201) throw new ManagementApiError(`POST ${path}`, answer);
    const actions = (answer.body as { assignedActions?: Array<{ id: string | number }> }).assignedActions ?? [];
    if (actions.length !== 1) throw new ManagementApiError(`POST ${path} did not answer one assigned action`, answer);
    return String(actions[0].id);
  }

  async action(controllerId: string, actionId: string): Promise<ActionResource> {
    const path = `/rest/v1/targets/${encodeURIComponent(controllerId)}/actions/${encodeURIComponent(actionId)}`;
    const answer = await this.request('GET', path);
    if (answer.status !== 200) throw new ManagementApiError(`GET ${path}`, answer);
    return answer.body as ActionResource;
  }

  /** The action's status history, newest first (hawkBit's `sort=id:DESC`). */
  async actionStatusHistory(controllerId: string, actionId: string): Promise<Array<{ type: string; messages: string[] }>> {
    const path = `/rest/v1/targets/${encodeURIComponent(controllerId)}/actions/${encodeURIComponent(actionId)}/status?limit=500&sort=id:DESC`;
    const answer = await this.request('GET', path);
    if (answer.status !== 200) throw new ManagementApiError(`GET ${path}`, answer);
    return (answer.body as { content: Array<{ type: string; messages: string[] }> }).content;
  }

  /** `DELETE /rest/v1/targets/{controllerId}/actions/{actionId}`: hawkBit's (non-forced) cancel. */
  async cancelAction(controllerId: string, actionId: string): Promise<void> {
    const path = `/rest/v1/targets/${encodeURIComponent(controllerId)}/actions/${encodeURIComponent(actionId)}`;
    const answer = await this.request('DELETE', path);
    if (answer.status !== 204 && answer.status !== 200) throw new ManagementApiError(`DELETE ${path}`, answer);
  }
}
