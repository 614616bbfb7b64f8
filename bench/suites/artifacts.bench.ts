import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { get as httpGet, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { connectTestNats, createTestDatabase, deleteTestStreams, testBusNames } from '@rollgate/testing';
import type { BenchReport, BenchSuite } from '../harness';

/**
 * artifact-distributor over loopback, each figure beside a raw reference measured in the same run:
 *   download                 GET of the whole artifact  vs fs.createReadStream piped to a bare TCP socket
 *   concurrent_range_errors  200 concurrent 1 MiB Range GETs checked byte for byte against the file
 *   upload_hash              multipart upload (hash sha256+sha1+md5, write, fsync, link)
 *                            vs raw crypto hashing (the same three digests) of the same bytes
 * The service runs as its own process from dist/, as in production, on a fresh database and bus names.
 */
const ARTIFACT_BYTES = Number(process.env.BENCH_ARTIFACT_BYTES ?? 256 * 1024 * 1024);
const ROUNDS = 3;
const RANGE_REQUESTS = 200;
const RANGE_BYTES = 1024 * 1024;
const TOKEN = 'bench-token-0123456789abcdef';
const MB = 1024 * 1024;

export const suite: BenchSuite = {
  name: 'artifacts',
  description: `upload, download and ${RANGE_REQUESTS} concurrent Range downloads of a ${ARTIFACT_BYTES / MB} MiB artifact against raw fs/net/crypto`,
  async run(report: BenchReport) {
    const work = await mkdtemp(join(tmpdir(), 'rg-bench-artifacts-'));
    const db = await createTestDatabase('rg_bench');
    const names = testBusNames();
    let service: { child: ChildProcess; url: string } | undefined;
    try {
      const file = join(work, 'artifact.bin');
      await writeRandomFile(file, ARTIFACT_BYTES);
      service = await startService(db.url, names, join(work, 'store'));

      const upload = new Pair();
      let sha256 = '';
      for (let round = 0; round < ROUNDS; round += 1) {
        await upload.measure(round, () => rawHash(file), async () => {
          sha256 = await uploadFile(service!.url, file);
        });
      }
      report.metric('raw_hash', upload.referenceRate(ARTIFACT_BYTES), 'MB/s');
      report.metric('upload_hash', upload.subjectRate(ARTIFACT_BYTES), 'MB/s', { reference: upload.referenceRate(ARTIFACT_BYTES), goal: '>= 0.8x raw crypto' });

      const download = new Pair();
      const url = `${service.url}/artifacts/v1/bench/${sha256}`;
      for (let round = 0; round < ROUNDS; round += 1) {
        await download.measure(round, () => rawSocketDownload(file, ARTIFACT_BYTES), () => httpDownload(url, ARTIFACT_BYTES));
      }
      report.metric('raw_socket', download.referenceRate(ARTIFACT_BYTES), 'MB/s');
      report.metric('download', download.subjectRate(ARTIFACT_BYTES), 'MB/s', { reference: download.referenceRate(ARTIFACT_BYTES), goal: '>= 0.7x fs -> socket' });

      const errors = await concurrentRanges(url, file, ARTIFACT_BYTES);
      report.metric('concurrent_range_errors', errors, 'errors', { goal: `0 of ${RANGE_REQUESTS}` });
    } finally {
      if (service) await stopService(service.child);
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** Times reference and subject back to back, alternating which goes first, and keeps the best of each. */
class Pair {
  private reference = Infinity;
  private subject = Infinity;

  async measure(round: number, reference: () => Promise<unknown>, subject: () => Promise<unknown>): Promise<void> {
    const timed = async (work: () => Promise<unknown>) => {
      const started = process.hrtime.bigint();
      await work();
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    if (round % 2 === 0) {
      this.reference = Math.min(this.reference, await timed(reference));
      this.subject = Math.min(this.subject, await timed(subject));
    } else {
      this.subject = Math.min(this.subject, await timed(subject));
      this.reference = Math.min(this.reference, await timed(reference));
    }
  }

  referenceRate(bytes: number): number {
    return bytes / MB / this.reference;
  }

  subjectRate(bytes: number): number {
    return bytes / MB / this.subject;
  }
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const chunk = 16 * MB;
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let written = 0; written < bytes; written += chunk) yield randomBytes(Math.min(chunk, bytes - written));
  }
  await pipeline(chunks(), createWriteStream(path));
}

async function startService(databaseUrl: string, names: ReturnType<typeof testBusNames>, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const main = join(__dirname, '..', '..', 'apps', 'artifact-distributor', 'src', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      LOG_LEVEL: 'info',
      ROLLGATE_SUBJECT_ROOT: names.subjectRoot,
      ROLLGATE_EVENTS_STREAM: names.eventsStream,
      ROLLGATE_TELEMETRY_STREAM: names.telemetryStream,
      ARTIFACTS_DIR: dir,
      ARTIFACTS_MAX_BYTES: String(2 * ARTIFACT_BYTES),
      ARTIFACTS_UPLOAD_TOKEN: TOKEN,
      ARTIFACTS_DOWNLOAD_TOKEN: TOKEN,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`artifact-distributor exited with ${code} before listening:\n${output}`)));
  });
  return { child, url };
}

async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function rawHash(file: string): Promise<void> {
  const hashes = ['sha256', 'sha1', 'md5'].map((a) => createHash(a));
  for await (const chunk of createReadStream(file, { highWaterMark: MB })) for (const hash of hashes) hash.update(chunk as Buffer);
  hashes.forEach((h) => h.digest());
}

/** A streamed multipart upload (the file is never in memory here either); resolves the stored sha256. */
async function uploadFile(base: string, file: string): Promise<string> {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="artifact.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const request = httpRequest(`${base}/artifacts/v1/bench`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + ARTIFACT_BYTES + tail.length },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  request.write(head);
  await pipeline(createReadStream(file, { highWaterMark: MB }), request, { end: false });
  request.end(tail);
  const answer = await response;
  const body = await readAll(answer);
  if (answer.statusCode !== 201) throw new Error(`upload answered ${answer.statusCode}: ${body.toString()}`);
  return (JSON.parse(body.toString()) as { sha256: string }).sha256;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rawSocketDownload(file: string, bytes: number): Promise<void> {
  const server = createServer((socket) => createReadStream(file).pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const received = await new Promise<number>((resolve, reject) => {
      let count = 0;
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.on('data', (chunk: Buffer) => (count += chunk.length));
      socket.on('end', () => resolve(count));
      socket.on('error', reject);
    });
    if (received !== bytes) throw new Error(`raw socket delivered ${received} of ${bytes} bytes`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function httpDownload(url: string, bytes: number): Promise<void> {
  const received = await new Promise<number>((resolve, reject) => {
    httpGet(url, { headers: { authorization: `Bearer ${TOKEN}` } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`download answered ${response.statusCode}`));
      let count = 0;
      response.on('data', (chunk: Buffer) => (count += chunk.length));
      response.on('end', () => resolve(count));
      response.on('error', reject);
    }).on('error', reject);
  });
  if (received !== bytes) throw new Error(`download delivered ${received} of ${bytes} bytes`);
}

/** Every request at once; an error is a failed request, a status other than 206, or a byte that differs. */
async function concurrentRanges(url: string, file: string, size: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const outcomes = await Promise.allSettled(
      Array.from({ length: RANGE_REQUESTS }, async () => {
        const start = Math.floor(Math.random() * (size - RANGE_BYTES));
        const end = start + RANGE_BYTES - 1;
        const body = await new Promise<Buffer>((resolve, reject) => {
          httpGet(url, { headers: { authorization: `Bearer ${TOKEN}`, range: `bytes=${start}-${end}` } }, (response) => {
            if (response.statusCode !== 206) reject(new Error(`range answered ${response.statusCode}`));
            readAll(response).then(resolve, reject);
          }).on('error', reject);
        });
        const expected = Buffer.alloc(RANGE_BYTES);
        await handle.read(expected, 0, RANGE_BYTES, start);
        if (!body.equals(expected)) throw new Error(`range ${start}-${end} differs`);
      }),
    );
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failures.length > 0) console.error(`range errors, first: ${String(failures[0].reason)}`);
    return failures.length;
  } finally {
    await handle.close();
  }
}
