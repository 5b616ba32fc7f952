/**
 * A fake Amazon S3 on 127.0.0.1 for the audit log's sink: path-style `PUT /<bucket>/<key>` to the
 * buckets it was given, each request's SigV4 signature checked as S3 checks it (service `s3`, the
 * payload's SHA-256 in `x-amz-content-sha256`, which S3 requires), objects kept with their
 * headers, and S3's XML errors. It can be told to fail or stall the next PUTs.
 *
 * @example
 * const s3 = await startFakeS3({ accessKeyId: 'AKID', secretAccessKey: 'secret', region: 'eu-west-1', buckets: ['audit-bucket'] });
 * // … new S3AuditSink({ endpoint: s3.url, bucket: 'audit-bucket', … }) …
 * expect([...s3.objects.keys()]).toEqual(['audit-bucket/audit/2026/11/26/22/req-1.json.gz']);
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { closeServer, listenOnLoopback, readBodyBytes, recordRequest, sleep } from './http';
import { checkSigV4 } from './sigv4-check';

export interface FakeS3Options {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Buckets that exist; a PUT to another answers NoSuchBucket. */
  buckets: readonly string[];
}

/** One object the fake stored. */
export interface StoredObject {
  body: Buffer;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** When the PUT arrived (epoch ms). */
  at: number;
}

export interface FakeS3 {
  url: string;
  /** By `<bucket>/<key>`. */
  objects: Map<string, StoredObject>;
  /** Requests refused, with the error code each got. */
  refused: string[];
  /** The next `count` PUTs answer 503 SlowDown. */
  failNext(count: number): void;
  /** Every PUT waits this long before it is answered (a slow or stuck S3). */
  delay(ms: number): void;
  /** A stored object's JSON, gunzipped. */
  json(bucketAndKey: string): unknown;
  close(): Promise<void>;
}

export async function startFakeS3(options: FakeS3Options): Promise<FakeS3> {
  const objects = new Map<string, StoredObject>();
  const refused: string[] = [];
  let failures = 0;
  let delayMs = 0;
  const closing = new AbortController();
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBodyBytes(req);
      const record = recordRequest(req, '', Date.now());
      const { accessKeyId, secretAccessKey, region } = options;
      if (!req.headers['x-amz-content-sha256']) return fail(res, refused, 400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
      const rejection = await checkSigV4(req, record, raw, { accessKeyId, secretAccessKey, region, service: 's3' });
      if (rejection) return fail(res, refused, rejection.status, rejection.type === 'InvalidSignatureException' ? 'SignatureDoesNotMatch' : 'AccessDenied', rejection.message);
      if (req.method !== 'PUT') return fail(res, refused, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      const [, bucket = '', ...rest] = record.path.split('/');
      const key = decodeURIComponent(rest.join('/'));
      if (!options.buckets.includes(bucket)) return fail(res, refused, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (!key) return fail(res, refused, 400, 'InvalidRequest', 'A key is required');
      if (delayMs) await sleep(delayMs, closing.signal);
      if (closing.signal.aborted) return;
      if (failures > 0) {
        failures--;
        return fail(res, refused, 503, 'SlowDown', 'Please reduce your request rate.');
      }
      objects.set(`${bucket}/${key}`, { body: raw, contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], at: Date.now() });
      res.writeHead(200, { etag: `"${randomUUID()}"` });
      res.end();
    })();
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    objects,
    refused,
    failNext: (count) => {
      failures = count;
    },
    delay: (ms) => {
      delayMs = ms;
    },
    json: (bucketAndKey) => {
      const stored = objects.get(bucketAndKey);
      if (!stored) throw new Error(`no object ${bucketAndKey}; have ${[...objects.keys()].join(', ') || 'none'}`);
      return JSON.parse(gunzipSync(stored.body).toString('utf8')) as unknown;
    },
    close: () => {
      // A reply still waiting out its delay ends now: its timer would hold the test's process open.
      closing.abort();
      return closeServer(server);
    },
  };
}

function fail(res: ServerResponse, refused: string[], status: number, code: string, message: string): void {
  refused.push(code);
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`);
}
