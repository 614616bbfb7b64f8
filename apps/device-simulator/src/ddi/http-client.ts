import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpClientOptions {
  /** sockets per origin and in total; the fleet's requests queue for them */
  maxSockets: number;
  /** no answer (or no byte of a download) for this long fails the request */
  timeoutMs: number;
}

/** Answers larger than this are refused: a device has no use for them, and a broken server must not eat memory. */
const MAX_ANSWER_BYTES = 1 << 20;

/**
 * HTTP/1.1 with keep-alive agents shared by the whole fleet: a few hundred sockets carry tens of thousands of
 * devices, as a real fleet's requests would arrive through a load balancer.
 */
export class HttpClient {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(private readonly options: HttpClientOptions) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxTotalSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'fifo' as const };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent(agentOptions);
  }

  /** Sends a request and reads the whole (small) answer. Network errors reject. */
  async request(url: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    const response = await this.open(url, options);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response) {
      size += (chunk as Buffer).length;
      if (size > MAX_ANSWER_BYTES) {
        response.destroy();
        throw new Error(`answer from ${new URL(url).pathname} exceeds ${MAX_ANSWER_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) };
  }

  /** Sends a request and hands back the streaming answer (for downloads). The caller must consume or destroy it. */
  open(url: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolve, reject) => {
      const request = send(
        target,
        { method: options.method ?? 'GET', headers, agent: secure ? this.httpsAgent : this.httpAgent, signal: options.signal, timeout: this.options.timeoutMs },
        resolve,
      );
      request.on('timeout', () => request.destroy(new Error(`no answer from ${target.host} within ${this.options.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(options.body);
    });
  }

  get socketsInUse(): number {
    return countSockets(this.httpAgent.sockets) + countSockets(this.httpsAgent.sockets);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function countSockets(sockets: NodeJS.ReadOnlyDict<unknown[]>): number {
  let count = 0;
  for (const list of Object.values(sockets)) count += list?.length ?? 0;
  return count;
}
