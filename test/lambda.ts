/** What the Lambda handler tests feed the proxy: a Function URL event, a context, a response stream stand-in. */
import { Writable } from 'node:stream';
import type { TableRef } from '../lib/store/dynamo';
import { startTestTable } from './dynalite';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { RecordedPrelude } from './setup/awslambda';

/** What Lambda's response stream would have sent: the prelude, then each write in order. */
export class RecordingStream extends Writable {
  prelude?: RecordedPrelude;
  readonly writes: { text: string; preludeBefore: boolean }[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.writes.push({ text: chunk.toString(), preludeBefore: this.prelude !== undefined });
    done();
  }
  get body() {
    return this.writes.map((w) => w.text).join('');
  }
}

/**
 * A response stream that breaks at its `breakAt`th write, as Lambda's does when its connection to
 * the runtime API fails: `write fails` fails that write (an EPIPE on the runtime's socket);
 * `destroyed` takes it, then is destroyed from outside on the next turn, while the body is being
 * read (the runtime's request aborted: it calls `req.destroy(err)`). `brokeAt` is when
 * (`performance.now()`).
 */
export class BreakingStream extends RecordingStream {
  brokeAt?: number;
  constructor(
    readonly breakAt: number,
    readonly how: 'write fails' | 'destroyed',
    readonly error: Error = Object.assign(new Error(how === 'write fails' ? 'write EPIPE' : 'aborted'), { code: how === 'write fails' ? 'EPIPE' : 'ECONNRESET' }),
  ) {
    super();
  }
  override _write(chunk: Buffer, enc: string, done: (err?: Error) => void) {
    if (this.writes.length + 1 < this.breakAt) return super._write(chunk, enc, done);
    if (this.how === 'write fails') {
      this.brokeAt ??= performance.now();
      return done(this.error);
    }
    super._write(chunk, enc, done);
    setImmediate(() => {
      this.brokeAt ??= performance.now();
      this.destroy(this.error);
    });
  }
}

/** A POST through the function URL, its JSON body base64-encoded as Lambda delivers it. */
export function functionUrlEvent(body: object, headers: Record<string, string>, rawPath = '/v1/chat/completions'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: { http: { method: 'POST', path: '/v1/chat/completions', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' }, requestId: 'r' },
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEventV2;
}

export const lambdaContext = (remainingMs: number) => ({ awsRequestId: 'lambda-req-1', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

/** A context whose remaining time runs down from `remainingMs` as the clock does, as Lambda's does: for tests of middy's own timeout. */
export function runningLambdaContext(remainingMs: number, awsRequestId: string): Context {
  const started = Date.now();
  return { awsRequestId, getRemainingTimeInMillis: () => remainingMs - (Date.now() - started) } as unknown as Context;
}

/** middy's streamified handler takes (event, responseStream, context) once awslambda has wrapped it. */
export type StreamHandler = (event: APIGatewayProxyEventV2, stream: Writable, context: Context) => Promise<void>;

/**
 * A dynalite table with the Lambda environment pointing at it (`GATEWAY_TABLE_NAME`,
 * `DYNAMODB_ENDPOINT`), set before `load` imports a handler module: the entry points read their
 * environment once, at import, as on a cold start. Pass `() => require('./module')`: a `require`,
 * not `import()`, so that the import happens now.
 */
export async function loadOnTable<T>(load: () => T): Promise<{ module: T; table: TableRef; close(): Promise<void> }> {
  const test = await startTestTable();
  process.env.GATEWAY_TABLE_NAME = test.table.tableName;
  process.env.DYNAMODB_ENDPOINT = test.dynamo.endpoint;
  return {
    module: load(),
    table: test.table,
    async close() {
      delete process.env.GATEWAY_TABLE_NAME;
      delete process.env.DYNAMODB_ENDPOINT;
      await test.close();
    },
  };
}
