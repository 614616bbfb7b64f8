import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP forward proxy that plays a slow network link between the device and Rollgate: every request is
 * forwarded unchanged to the real service it names, and only artifact downloads (`/artifacts/...`) come back
 * at `bytesPerSecond`. It exists because a download on loopback finishes in milliseconds, too fast for an
 * operator's cancel to reach the device while it downloads; on a real device link it takes minutes.
 * (Debian's swupdate 2022.12 accepts suricatta's `-n` download limit but does not apply it.)
 */
export class SlowLinkProxy {
  private server: Server | undefined;
  /** bytes of artifact content passed to the device so far */
  artifactBytesForwarded = 0;

  constructor(private readonly bytesPerSecond: number) {}

  async start(): Promise<string> {
    const server = createServer((request, response) => this.forward(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private forward(request: IncomingMessage, response: ServerResponse): void {
    let target: URL;
    try {
      // A proxied request names the whole URL ("GET http://host:port/path HTTP/1.1").
      target = new URL(request.url ?? '');
    } catch {
      response.writeHead(400).end('a proxy request needs an absolute URL');
      return;
    }
    const headers = { ...request.headers };
    delete headers['proxy-connection'];
    const upstream = httpRequest(target, { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      if (target.pathname.startsWith('/artifacts/') && request.method === 'GET') this.trickle(answer, response);
      else answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  }

  /** Passes the body on in small slices, one every tick, at the link's speed. */
  private trickle(answer: IncomingMessage, response: ServerResponse): void {
    const sliceBytes = Math.max(1, Math.floor(this.bytesPerSecond / 10));
    const pending: Buffer[] = [];
    let ended = false;
    answer.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      answer.pause();
    });
    answer.on('end', () => (ended = true));
    const tick = setInterval(() => {
      if (response.destroyed) {
        clearInterval(tick);
        answer.destroy();
        return;
      }
      const head = pending[0];
      if (!head) {
        if (ended) {
          clearInterval(tick);
          response.end();
        } else answer.resume();
        return;
      }
      const slice = head.subarray(0, sliceBytes);
      if (slice.length === head.length) pending.shift();
      else pending[0] = head.subarray(sliceBytes);
      this.artifactBytesForwarded += slice.length;
      response.write(slice);
    }, 100);
    response.on('close', () => {
      clearInterval(tick);
      answer.destroy();
    });
  }
}
