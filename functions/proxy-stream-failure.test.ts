import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway, type Gateway } from '../lib/gateway';
import type { GatewayLogger } from '../lib/observe/logger';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoRateWindows } from '../lib/store/rate-windows';
import { DynamoSpendStore } from '../lib/store/spend';
import { DynamoUsageSink } from '../lib/store/usage';
import { startTestTable } from '../test/dynalite';
import { usageSince } from '../test/integration/usage-since';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';
import { BreakingStream, RecordingStream, functionUrlEvent as event, lambdaContext as context, runningLambdaContext, type StreamHandler } from '../test/lambda';
import { createProxyHandler } from './proxy';
import { GatewayError } from '../lib/http/errors';
import { TransferAborted } from '../lib/http/transfer-aborted';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Each log call the door and the gateway made: level, message, fields. */
function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, message, fields });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as GatewayLogger;
  return { lines, logger };
}

/**
 * The Lambda door when its response stream fails part-way (its connection to the runtime API
 * broke): the usage record is in the table before the handler settles (once it has, the runtime
 * may freeze the instance), the call is booked as the client gone, and nothing is left to reject
 * unhandled.
 */
describe('the Lambda proxy handler, when the response stream fails under an answer', () => {
  let db: Awaited<ReturnType<typeof startTestTable>>;
  /** Words 800 ms apart: the test can tell a call cut short from one whose next word was waited for. */
  let paced: FakeOpenAI;
  let gateway: Gateway;
  let key: string;
  let keyId: string;
  let log: ReturnType<typeof recordingLogger>;
  let handler: StreamHandler;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  const ANSWER = 'one two three four five six seven eight nine ten eleven twelve';
  const GAP_MS = 800;

  beforeAll(async () => {
    db = await startTestTable();
    paced = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: GAP_MS });
    const minted = mintKey({ name: 'lambda', models: ['*'] }, new Date());
    key = minted.key;
    keyId = minted.record.id;
    await new DynamoKeyStore(db.table).put(minted.record);
    const config = parseConfig({
      providers: [{ id: 'paced', type: 'openai', baseUrl: paced.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', price: { input: 1, output: 2 }, targets: [{ provider: 'paced', model: 'gpt-4o-mini' }] }],
    });
    log = recordingLogger();
    gateway = createGateway({
      config,
      keys: new DynamoKeyStore(db.table),
      rates: new DynamoRateWindows(db.table),
      spend: new DynamoSpendStore(db.table),
      usage: new DynamoUsageSink(db.table, { retentionDays: 30 }),
      credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
      logger: log.logger,
    });
    handler = createProxyHandler(() => gateway, log.logger) as unknown as StreamHandler;
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await gateway.close();
    await paced.close();
    await db.close();
  });
  beforeEach(() => {
    paced.reset();
    log.lines.length = 0;
    unhandled.length = 0;
  });

  /** The usage rows of the test's key, as the table holds them now. */
  const rows = async () => usageSince(db.table, keyId, STARTED_AT);
  const chat = (stream: boolean) => event({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'count to twelve' }] }, { authorization: `Bearer ${key}` });

  it.each([
    ['its third write fails', 'write fails'],
    ['it is destroyed after its third write, while the next word is awaited', 'destroyed'],
  ] as const)('books a streamed chat answer as the client gone, in the table before the handler settles, when %s', async (_name, how) => {
    // Prepare
    paced.reply({ kind: 'text', text: ANSWER });
    const stream = new BreakingStream(3, how);
    const writes = jest.spyOn(stream, 'write');
    const ends = jest.spyOn(stream, 'end');
    const before = (await rows()).length;

    // Act
    const settled = await handler(chat(true), stream, context(60_000)).then(
      () => ({ rejected: false as const }),
      (error: unknown) => ({ rejected: true as const, error }),
    );
    const settledAt = performance.now();
    // Taken as the handler settles: once it has, the runtime may freeze the instance.
    const atSettle = (await rows()).slice(before);

    // Assess: the invocation fails with the stream's error (the runtime's to report), after the record was written.
    expect(settled).toEqual({ rejected: true, error: stream.error });
    // The door stopped at the break: no word written after it, and the stream not ended as if the
    // answer were whole (the runtime fails such an invocation whatever the handler returns).
    expect(writes).toHaveBeenCalledTimes(3);
    expect(ends).not.toHaveBeenCalled();
    expect(atSettle).toEqual([expect.objectContaining({ requestId: 'lambda-req-1', stream: true, status: 200, outcome: 'aborted' })]);
    expect(atSettle[0]).not.toHaveProperty('errorCode');
    // The upstream call was cut short, not read to its end nor to its next word (the rest is the table's write).
    expect(settledAt - stream.brokeAt!).toBeLessThan(GAP_MS - 200);
    expect(stream.body).toContain('data: ');
    expect(stream.body).not.toContain('twelve');
    // One line from the door, with the request id; the upstream is not blamed.
    expect(log.lines.filter((l) => l.level !== 'info')).toEqual([
      { level: 'warn', message: 'response stream failed before the answer ended', fields: { requestId: 'lambda-req-1', error: stream.error } },
    ]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'request', fields: expect.objectContaining({ requestId: 'lambda-req-1', outcome: 'aborted' }) }));
    expect(unhandled).toEqual([]);
  });

  it('books a streamed chat answer as the client gone, in the table before the handler settles, when the response stream broke before the answer began', async () => {
    // Prepare: the runtime's request aborted while the gateway was still working (before any write).
    paced.reply({ kind: 'text', text: ANSWER });
    const stream = new RecordingStream();
    const error = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    stream.on('error', () => undefined);
    stream.destroy(error);
    const before = (await rows()).length;

    // Act
    const settled = await handler(chat(true), stream, context(60_000)).then(() => undefined, (e: unknown) => e);
    const atSettle = (await rows()).slice(before);

    // Assess
    expect(settled).toBeDefined();
    expect(stream.writes).toEqual([]);
    expect(atSettle).toEqual([expect.objectContaining({ requestId: 'lambda-req-1', stream: true, outcome: 'aborted' })]);
    expect(unhandled).toEqual([]);
  });

  it.each([
    ['streamed', true],
    ['whole', false],
  ] as const)('has a %s answer\'s record in the table before the handler settles, when the response stream fails only as it ends, after the body has closed', async (_name, streamed) => {
    // Prepare: every write taken, the end refused (the runtime's connection broke after the last chunk).
    paced.reply({ kind: 'text', text: 'one' });
    const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const stream = new RecordingStream();
    stream._final = (done: (err?: Error) => void) => setTimeout(done, 20, error);
    const before = (await rows()).length;

    // Act
    const settled = await handler(chat(streamed), stream, context(60_000)).then(() => undefined, (e: unknown) => e);
    const atSettle = (await rows()).slice(before);

    // Assess
    expect(settled).toBe(error);
    expect(stream.body).toContain('one');
    expect(atSettle).toEqual([expect.objectContaining({ requestId: 'lambda-req-1', stream: streamed, status: 200 })]);
    expect(unhandled).toEqual([]);
  });

  it('has a whole answer\'s record in the table before the handler settles, when the response stream fails on its one write', async () => {
    // Prepare
    paced.reply({ kind: 'text', text: 'short' });
    const stream = new BreakingStream(1, 'write fails');
    const before = (await rows()).length;

    // Act
    const error = await handler(chat(false), stream, context(60_000)).then(() => undefined, (e: unknown) => e);
    const atSettle = (await rows()).slice(before);

    // Assess
    expect(error).toBe(stream.error);
    expect(atSettle).toEqual([expect.objectContaining({ requestId: 'lambda-req-1', stream: false, status: 200, outcome: 'ok', costMicros: expect.any(Number) })]);
    expect(unhandled).toEqual([]);
  });

  it('fails the invocation with the response stream\'s error, and logs the drain\'s by request id, when the drain itself fails', async () => {
    // Prepare: writes after the answer that fail (a bucket refusing an audit record, say).
    paced.reply({ kind: 'text', text: 'short' });
    const failing: Gateway = { ...gateway, drain: async () => Promise.reject(new Error('audit bucket refused the write')) };
    const stream = new BreakingStream(1, 'write fails');

    // Act
    const error = await (createProxyHandler(() => failing, log.logger) as unknown as StreamHandler)(chat(false), stream, context(60_000)).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(error).toBe(stream.error);
    expect(log.lines).toContainEqual({ level: 'error', message: 'writes after the answer failed', fields: { requestId: 'lambda-req-1', error: expect.objectContaining({ message: 'audit bucket refused the write' }) } });
    expect(unhandled).toEqual([]);
    await gateway.drain();
  });

  it('answers a 500 in OpenAI\'s shape, logs the failure by request id, and drains, when the gateway itself throws', async () => {
    // Prepare: a gateway that breaks its contract (`handle` never throws) after it has booked the call.
    const handle = gateway.handle.bind(gateway);
    const broken: Gateway = {
      ...gateway,
      handle: async (req) => {
        await handle(req);
        throw new TypeError('Cannot read properties of undefined');
      },
    };
    let drained = 0;
    broken.drain = async () => {
      drained++;
      await gateway.drain();
    };
    const stream = new RecordingStream();

    // Act
    await (createProxyHandler(() => broken, log.logger) as unknown as StreamHandler)(chat(false), stream, context(60_000));

    // Assess: a stack never reaches the client.
    expect(stream.prelude).toEqual({ statusCode: 500, headers: { 'content-type': 'application/json', 'x-request-id': 'lambda-req-1' } });
    expect(JSON.parse(stream.body)).toEqual({ error: { message: 'The gateway failed to handle this request.', type: 'server_error', param: null, code: null } });
    expect(log.lines).toContainEqual({ level: 'error', message: 'request failed', fields: { requestId: 'lambda-req-1', error: expect.objectContaining({ name: 'TypeError' }) } });
    expect(drained).toBe(1);
  });
  it.each([
    ['before the gateway has called the upstream (a slow key lookup)', 'before'],
    ['after the upstream\'s stream has started (its body not yet read)', 'after'],
  ] as const)('books the call once, when middy\'s own timeout (5 ms before the end) fails the invocation while the gateway is stuck %s', async (_name, where) => {
    // Prepare: a gateway stuck past the whole invocation, deaf to its signal; a clock that runs.
    paced.reply({ kind: 'text', text: ANSWER });
    const STUCK_MS = 1_900;
    const stuck: Gateway = {
      ...gateway,
      handle: async (req) => {
        if (where === 'before') await sleep(STUCK_MS);
        const res = await gateway.handle(req);
        if (where === 'after') await sleep(STUCK_MS);
        return res;
      },
    };
    const stream = new RecordingStream();
    const before = (await rows()).length;
    const started = Date.now();
    // The door's deadline 300 ms in (time enough for the upstream's stream to start on a busy machine), middy's timeout 1,795 ms in.
    const running = runningLambdaContext(1_800, `lambda-timeout-${where}`);

    // Act
    const error = await (createProxyHandler(() => stuck, log.logger) as unknown as StreamHandler)(chat(true), stream, running).then(() => undefined, (e: unknown) => e);
    // The instance runs again later (the next invocation): what was stuck finishes then, and that invocation drains.
    await sleep(STUCK_MS + 300 - (Date.now() - started));
    await gateway.drain();
    const written = (await rows()).slice(before);

    // Assess: middy's error is the invocation's; the call has exactly one record, booked to the deadline.
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(stream.writes).toEqual([]);
    expect(written).toEqual([expect.objectContaining({ requestId: `lambda-timeout-${where}` })]);
    expect(written[0]).toMatchObject(where === 'before' ? { status: 504 } : { status: 200, outcome: 'interrupted', errorCode: 'deadline_exceeded' });
    // One ERROR from the door (the gateway's failure, which the stack's InternalFailures metric counts).
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([
      { level: 'error', message: 'invocation failed before the gateway answered', fields: { requestId: `lambda-timeout-${where}`, error: expect.objectContaining({ name: 'TimeoutError' }) } },
    ]);
    expect(unhandled).toEqual([]);
  });

  it('does not crash, nor log a broken contract, when raw audio handed over after middy\'s own timeout throws TransferAborted as it is read to its end', async () => {
    // Prepare: raw audio cut off (its pipeline has booked and logged it), handed over after middy gave up.
    const stuck: Gateway = {
      ...gateway,
      handle: async (req) => {
        await sleep(150);
        return {
          status: 200,
          headers: { 'content-type': 'audio/mpeg', 'x-request-id': req.requestId },
          body: (async function* () {
            yield Buffer.from('ID3');
            throw new TransferAborted(new GatewayError('upstream_timeout', 'The request ran out of time before the upstream provider finished.', { code: 'deadline_exceeded' }));
          })(),
        };
      },
    };
    const running = runningLambdaContext(100, 'lambda-timeout-audio');

    // Act
    const error = await (createProxyHandler(() => stuck, log.logger) as unknown as StreamHandler)(chat(false), new RecordingStream(), running).then(() => undefined, (e: unknown) => e);
    await sleep(300);

    // Assess: an unhandled 'error' event would have failed this test (jest reports it as the test's).
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(unhandled).toEqual([]);
    expect(log.lines.filter((l) => l.message === 'streamed body failed')).toEqual([]);
  });

  it('sends the status and headers of a streamed answer that has no chunks, in one zero-length write', async () => {
    // Prepare: a gateway whose stream has nothing to say (Lambda sends the prelude only with a write).
    const empty: Gateway = {
      ...gateway,
      handle: async (req) => ({ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': req.requestId }, body: (async function* () {})() }),
    };
    const stream = new RecordingStream();

    // Act
    await (createProxyHandler(() => empty, log.logger) as unknown as StreamHandler)(chat(true), stream, context(60_000));

    // Assess
    expect(stream.prelude).toEqual({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'lambda-req-1' } });
    expect(stream.writes).toEqual([{ text: '', preludeBefore: true }]);
    expect(stream.writableFinished).toBe(true);
  });
});
