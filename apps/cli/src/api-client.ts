import { CliError } from './cli-context';
import type { ServerContext } from './cli-config';

/** One HTTP call's answer, JSON-decoded when it has a body. */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * The Management API as the CLI uses it: authenticated from the context, every refusal turned into one
 * CliError line carrying the API's stable code (and the offending field paths when the API names them).
 */
export class ApiClient {
  constructor(
    private readonly context: ServerContext,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get tenant(): string {
    return this.context.tenant;
  }

  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T> {
    return this.call<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body?: unknown, query?: Record<string, string | number | undefined>): Promise<T> {
    return this.call<T>('POST', withQuery(path, query), body === undefined ? undefined : { body: JSON.stringify(body), contentType: 'application/json' });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, { body: JSON.stringify(body), contentType: 'application/json' });
  }

  delete(path: string): Promise<unknown> {
    return this.call('DELETE', path);
  }

  /** multipart/form-data (an artifact upload); the file is a lazily read Blob, not a buffer. */
  upload<T>(path: string, form: FormData): Promise<T> {
    return this.call<T>('POST', path, { body: form });
  }

  async call<T>(method: string, path: string, payload?: { body: string | FormData; contentType?: string }): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: this.authorization() };
    if (payload?.contentType) headers['content-type'] = payload.contentType;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.context.server), { method, headers, body: payload?.body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliError('server_unreachable', `cannot reach ${this.context.server} (${cause})`);
    }
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) throw apiError(response.status, body, text);
    return body as T;
  }

  private authorization(): string {
    if (this.context.token) return `Bearer ${this.context.token}`;
    if (this.context.user) {
      const password = this.env.ROLLGATE_PASSWORD;
      if (!password) throw new CliError('password_missing', `context uses user ${this.context.user}: set ROLLGATE_PASSWORD (or store a token with \`rollgate login\`)`);
      return `Basic ${Buffer.from(`${this.context.tenant}\\${this.context.user}:${password}`).toString('base64')}`;
    }
    throw new CliError('credentials_missing', 'the context has neither a token nor a user: `rollgate context set <name> --token-stdin` or `--user <name>`');
  }
}

function withQuery(path: string, query?: Record<string, string | number | undefined>): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== '');
  if (entries.length === 0) return path;
  return `${path}?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const STATUS_CODES: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large', 422: 'unprocessable', 429: 'too_many_requests' };

/** `{code, message, issues?, state?}` from the API; Nest's own 401/403 bodies have no code, so the status gives one. */
function apiError(status: number, body: unknown, text: string): CliError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown; state?: unknown };
  const code = typeof b.code === 'string' ? b.code : (STATUS_CODES[status] ?? `http_${status}`);
  let message = typeof b.message === 'string' ? b.message : Array.isArray(b.message) ? b.message.join('; ') : text.slice(0, 200) || `HTTP ${status}`;
  if (typeof b.state === 'string') message += ` (rollout is ${b.state})`;
  return new CliError(code, `${message} [HTTP ${status}]`);
}
