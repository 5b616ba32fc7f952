import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { mintKey } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway, type Gateway } from '../lib/gateway';
import { createLogger } from '../lib/observe/logger';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoRateWindows } from '../lib/store/rate-windows';
import { DynamoSpendStore } from '../lib/store/spend';
import { DynamoUsageSink } from '../lib/store/usage';
import { startTestTable } from '../test/dynalite';
import { startFakeOpenAI, type FakeOpenAI, type Reply } from '../test/fakes/openai';
import { BreakingStream, RecordingStream, functionUrlEvent, lambdaContext, runningLambdaContext, type StreamHandler } from '../test/lambda';
import { createProxyHandler } from '../functions/proxy';
import { GatewayError } from '../lib/http/errors';
import { TransferAborted } from '../lib/http/transfer-aborted';
import { INTERNAL_FAILURE_LINES, RECORD_LOST_LINES, RUNTIME_FAILURE_PHRASES, SPEND_UNCHECKED_LINE, USAGE_RECORDS_LOST_LINE } from './constructs/gateway-failures';
import { LOG_METRICS, LogMetrics, type LogMetricName } from './constructs/log-metrics';
import { matchesFilterPattern, matchesTermPattern, publishedValue } from '../test/filter-pattern';
import { createTableRef } from '../lib/store/dynamo';
import { usageLossReporter } from '../lib/observe/lost-records';
import { OWN_FAULT_LINE } from '../lib/pipeline/broke-off';
import { OpenAIChunkDecoder } from '../lib/providers/openai/translate-stream';
import { MEDIA_INTERRUPTED } from '../lib/pipeline/raw-media';
import { UpstreamBody } from '../lib/upstream/response-body';
import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';

/*
 * The ProxyErrors and RecordsLost alarms read metric filters of LogMetrics. Here the Lambda door
 * (`createProxyHandler`) runs with the real Powertools logger in front of a dynalite table and a
 * fake upstream, and the lines it writes to stdout and stderr (what Lambda sends to the log group)
 * are run through every metric filter the construct synthesizes, as CloudWatch runs each filter on
 * each event, by a small evaluator of CloudWatch's documented filter-pattern syntax
 * (`test/filter-pattern.ts`): what each scenario counts, in which metric, is asserted from the
 * synthesized patterns themselves. The patterns are pinned too, and Lambda's own platform lines
 * (which the gateway cannot write) are run through the text filters.
 */

type Line = Record<string, unknown> & { raw: string };

/** Every JSON line Powertools writes to stdout and stderr while `run` runs, with its raw text. */
async function linesOf(run: () => Promise<unknown>): Promise<Line[]> {
  const lines: Line[] = [];
  const write = ((chunk: string | Uint8Array) => {
    for (const text of String(chunk).split('\n')) if (text.startsWith('{')) lines.push({ ...(JSON.parse(text) as Record<string, unknown>), raw: text });
    return true;
  }) as typeof process.stdout.write;
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(write);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return lines;
}

type Filter = { FilterPattern: string; MetricTransformations: { MetricName: LogMetricName; MetricValue: string }[] };

/** The metric filters LogMetrics synthesizes, by logical id. */
function synthesizedFilters(): Record<string, Filter> {
  const stack = new Stack(new App(), 'T');
  new LogMetrics(stack, 'Metrics', { logGroup: new LogGroup(stack, 'ProxyLogs'), namespace: 'Aigw/T' });
  const filters = Template.fromStack(stack).findResources('AWS::Logs::MetricFilter');
  return Object.fromEntries(Object.entries(filters).map(([id, r]) => [id, r.Properties as Filter]));
}

const FILTERS = Object.values(synthesizedFilters());

/** What the lines publish in each metric, every synthesized filter run over every line: metric name to the sum of its values (metrics with nothing left out). */
function countsOf(lines: readonly Line[], only?: readonly LogMetricName[]): Partial<Record<LogMetricName, number>> {
  const counts: Partial<Record<LogMetricName, number>> = {};
  for (const filter of FILTERS) {
    const { MetricName: name, MetricValue: value } = filter.MetricTransformations[0]!;
    if (only && !only.includes(name)) continue;
    for (const line of lines) {
      if (!matchesFilterPattern(filter.FilterPattern, line.raw)) continue;
      counts[name] = (counts[name] ?? 0) + (publishedValue(value, line.raw) ?? 0);
    }
  }
  return counts;
}

/** The metrics that page: the gateway's own failures and records lost. */
const PAGED: readonly LogMetricName[] = ['InternalFailures', 'RuntimeFailures', 'RecordsLost'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the failure and lost-record metrics in the template (LogMetrics)', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(new App(), 'T');
    const logGroup = new LogGroup(stack, 'ProxyLogs');
    new LogMetrics(stack, 'Metrics', { logGroup, namespace: 'Aigw/T' });
    template = Template.fromStack(stack);
  });

  it.each([
    {
      name: 'InternalFailures',
      pattern:
        '{ ($.level = "ERROR") && (($.message = "request failed") || ($.message = "streamed body failed") || ($.message = "invocation failed before the gateway answered") || ($.message = "gateway fault after the first byte") || ($.message = "spend limit not checked: the store failed; request refused")) }',
      value: '1',
    },
    ...RUNTIME_FAILURE_PHRASES.map((phrase) => ({ name: 'RuntimeFailures', pattern: `"${phrase}" -"sampling_rate"`, value: '1' })),
    { name: 'UpstreamUnavailable', pattern: '{ ($.message = "request") && ($.status >= 502) && ($.status <= 504) }', value: '1' },
    // The usage sink's count of records lost, as a number field the pattern tests (a value field must be matched by the pattern).
    { name: 'RecordsLost', pattern: '{ ($.level = "ERROR") && ($.message = "usage records could not be written") && ($.lost > 0) }', value: '$.lost' },
    { name: 'RecordsLost', pattern: '{ ($.level = "ERROR") && (($.message = "audit record could not be written") || ($.message = "writes after the answer failed")) }', value: '1' },
  ])('publishes $name ($value) from the proxy\'s lines matching $pattern', ({ name, pattern, value }) => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern,
      LogGroupName: { Ref: Match.stringLikeRegexp('^ProxyLogs') },
      MetricTransformations: [{ MetricName: name, MetricNamespace: 'Aigw/T', MetricValue: value, Unit: 'Count', Dimensions: Match.absent(), DefaultValue: Match.absent() }],
    });
  });

  it('makes one filter per pattern of the table (one per platform phrase), and nothing else', () => {
    const patterns = Object.values(LOG_METRICS).reduce((n, spec) => n + spec.filters.length, 0);
    template.resourceCountIs('AWS::Logs::MetricFilter', patterns);
    expect(FILTERS.filter((f) => f.MetricTransformations[0]!.MetricName === 'RuntimeFailures')).toHaveLength(RUNTIME_FAILURE_PHRASES.length);
    expect(FILTERS.filter((f) => f.MetricTransformations[0]!.MetricName === 'RecordsLost')).toHaveLength(2);
  });

  it.each([
    // Lambda's plain-text lines for a timeout, a crash or an out-of-memory kill, and a process gone mid-invocation.
    { line: '2026-11-27T19:00:00.000Z\t3b5c7a4e-0d2f-4a51-9b8e-7f1d2c3e4a5b\tTask timed out after 900.00 seconds', counted: 1 },
    { line: 'RequestId: 3b5c7a4e-0d2f-4a51-9b8e-7f1d2c3e4a5b Error: Runtime exited with error: signal: killed\nRuntime.ExitError', counted: 1 },
    { line: 'RequestId: 3b5c7a4e-0d2f-4a51-9b8e-7f1d2c3e4a5b Error: Runtime exited without providing a reason\nRuntime.ExitError', counted: 1 },
    { line: 'RequestId: 3b5c7a4e-0d2f-4a51-9b8e-7f1d2c3e4a5b Process exited before completing request', counted: 1 },
    // A handler's rejection (a response stream that broke under the answer): not the runtime failing.
    { line: '2026-11-27T19:00:00.000Z\t3b5c7a4e-0d2f-4a51-9b8e-7f1d2c3e4a5b\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"write EPIPE"}', counted: 0 },
    { line: 'REPORT RequestId: 3b5c7a4e-0d2f-4a51-9b8e-7f1d2c3e4a5b\tDuration: 900000.00 ms\tBilled Duration: 900000 ms\tMemory Size: 1024 MB\tMax Memory Used: 180 MB\tStatus: timeout', counted: 0 },
  ])('counts $counted in RuntimeFailures for the platform line $line', ({ line, counted }) => {
    // Act: every RuntimeFailures filter of the template over the line, as CloudWatch runs each filter on each event.
    const patterns = Object.values(template.findResources('AWS::Logs::MetricFilter')).filter((r) => r.Properties.MetricTransformations[0].MetricName === 'RuntimeFailures').map((r) => r.Properties.FilterPattern as string);

    // Assess
    expect(patterns.filter((pattern) => matchesTermPattern(pattern, line))).toHaveLength(counted);
  });
});

describe('the lines the Lambda door writes, against the failure patterns', () => {
  let db: Awaited<ReturnType<typeof startTestTable>>;
  let upstream: FakeOpenAI;
  let gateway: Gateway;
  let key: string;
  /** The lines of each scenario, by name. */
  const written = new Map<string, Line[]>();
  /** Where the cut-off audio went: its status, then its first bytes. */
  const audioStream = new RecordingStream();
  /** Where the relayed speech went, cut off by the upstream and by a fault of the gateway's own. */
  const speechCutByUpstream = new RecordingStream();
  const speechCutByFault = new RecordingStream();
  /** The engine's own TypeError (a property read off null), as a bug would throw it. */
  const engineTypeError = (): TypeError => {
    try {
      return (null as unknown as { length: TypeError }).length;
    } catch (err) {
      return err as TypeError;
    }
  };
  const heldFault = engineTypeError();
  const devMode = process.env.POWERTOOLS_DEV;

  const chat = (stream: boolean) => functionUrlEvent({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'count to twelve' }] }, { authorization: `Bearer ${key}` });

  /** Runs one invocation of the door, its failure swallowed (the runtime's to report), and keeps its lines. */
  async function invoke(scenario: string, handler: StreamHandler, stream: Writable, context: Context, reply?: Reply, settleMs = 0): Promise<void> {
    if (reply) upstream.reply(reply);
    const lines = await linesOf(async () => {
      await handler(chat(true), stream, context).catch(() => undefined);
      // What was stuck finishes later, when the instance runs again: its lines are the invocation's too.
      await sleep(settleMs);
      await gateway.drain();
    });
    written.set(scenario, lines);
  }

  beforeAll(async () => {
    // In dev mode Powertools writes through the global console (jest's), not to stdout as on Lambda.
    delete process.env.POWERTOOLS_DEV;
    db = await startTestTable();
    upstream = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: 50 });
    const minted = mintKey({ name: 'failures', models: ['*'] }, new Date());
    key = minted.key;
    await new DynamoKeyStore(db.table).put(minted.record);
    const configInput = {
      providers: [{ id: 'up', type: 'openai' as const, baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [
        { name: 'gpt-4o-mini', price: { input: 1, output: 2 }, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
        { name: 'tts', price: { perRequest: 0.015 }, targets: [{ provider: 'up', model: 'gpt-4o-mini-tts' }] },
      ],
    };
    const config = parseConfig(configInput);
    const logger = createLogger({ serviceName: 'aigw', level: 'INFO' });
    gateway = createGateway({
      config,
      keys: new DynamoKeyStore(db.table),
      rates: new DynamoRateWindows(db.table),
      spend: new DynamoSpendStore(db.table),
      usage: new DynamoUsageSink(db.table, { retentionDays: 30 }),
      credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
      logger,
    });
    const door = (g: Gateway) => createProxyHandler(() => g, logger) as unknown as StreamHandler;
    const text: Reply = { kind: 'text', text: 'one two three four five six seven eight' };

    // A client gone (or the runtime's connection lost) mid-stream: the response stream fails at its third write.
    await invoke('a response stream that breaks mid-answer', door(gateway), new BreakingStream(3, 'write fails'), lambdaContext(60_000), text);
    await invoke('a response stream destroyed mid-answer', door(gateway), new BreakingStream(3, 'destroyed'), lambdaContext(60_000), text);
    await invoke('an answer streamed to its end', door(gateway), new RecordingStream(), lambdaContext(60_000), text);
    // The upstream answers 503: after failover (none left) the client gets it.
    await invoke('an upstream that cannot answer', door(gateway), new RecordingStream(), lambdaContext(60_000), { kind: 'error', status: 503 });
    // A bug below the door: the gateway throws instead of answering.
    const broken: Gateway = { ...gateway, handle: async () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'id')")) };
    await invoke('a gateway that throws', door(broken), new RecordingStream(), lambdaContext(60_000));
    // A bug inside the gateway (here under its usage sink's backlog): lib/gateway.ts answers 500 and logs it, the door does not.
    const failingSink = new (class extends DynamoUsageSink {
      override backlog(): Promise<void> {
        return Promise.reject(new TypeError("Cannot read properties of undefined (reading 'home')"));
      }
    })(db.table, { retentionDays: 30 });
    const failsInside = createGateway({ config, keys: new DynamoKeyStore(db.table), rates: new DynamoRateWindows(db.table), spend: new DynamoSpendStore(db.table), usage: failingSink, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), logger });
    await invoke('an internal error inside the gateway', door(failsInside), new RecordingStream(), lambdaContext(60_000));
    await failsInside.close();
    // An answer whose body throws after its first byte (not raw audio's TransferAborted).
    const breaksPromise: Gateway = {
      ...gateway,
      handle: async (req) => ({
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'x-request-id': req.requestId },
        body: (async function* () {
          yield Buffer.from('data: {}\n\n');
          throw new RangeError('translator bug');
        })(),
      }),
    };
    await invoke('an answer whose body throws', door(breaksPromise), new RecordingStream(), lambdaContext(60_000));
    // Raw audio cut off upstream after its first byte: the body aborts the transfer on purpose (TransferAborted).
    const cutOffAudio: Gateway = {
      ...gateway,
      handle: async (req) => ({
        status: 200,
        headers: { 'content-type': 'audio/mpeg', 'x-request-id': req.requestId },
        body: (async function* () {
          yield Buffer.from([0xff, 0xfb, 0x90, 0x64]);
          throw new TransferAborted(new GatewayError('upstream_unavailable', 'The upstream provider broke off its answer.', { code: 'upstream_interrupted' }));
        })(),
      }),
    };
    await invoke('raw audio cut off upstream', door(cutOffAudio), audioStream, lambdaContext(60_000));
    // A gateway stuck past the invocation: middy gives up 5 ms before its end.
    const stuck: Gateway = { ...gateway, handle: async (req) => (await sleep(400), gateway.handle(req)) };
    await invoke('a gateway stuck past the invocation', door(stuck), new RecordingStream(), runningLambdaContext(200, 'lambda-stuck'), undefined, 500);
    // The same, and the answer it hands over at last breaks as it is read (nowhere): one request, one failure.
    const stuckThenBreaks: Gateway = { ...gateway, handle: async (req) => (await sleep(400), breaksPromise.handle(req)) };
    const stuckThenThrows: Gateway = { ...gateway, handle: async () => (await sleep(400), Promise.reject(new TypeError("Cannot read properties of undefined (reading 'id')"))) };
    await invoke('a gateway stuck past the invocation that then throws', door(stuckThenThrows), new RecordingStream(), runningLambdaContext(200, 'lambda-stuck-throws'), undefined, 500);
    await invoke('a gateway stuck past the invocation whose answer then breaks', door(stuckThenBreaks), new RecordingStream(), runningLambdaContext(200, 'lambda-stuck-breaks'), undefined, 500);
    // A translator's fault after the first byte: an Anthropic client's answer from an OpenAI upstream,
    // whose decoder fails on the second chunk (a spy throws the engine's TypeError on it, as a bug would:
    // no sound input makes the decoder throw, its own tests sweep every JSON value).
    const decode = OpenAIChunkDecoder.prototype.data;
    const faulty = jest.spyOn(OpenAIChunkDecoder.prototype, 'data').mockImplementation(function faultyData(this: OpenAIChunkDecoder, data: string) {
      if (data.includes('FAULT')) return (null as unknown as { events: ReturnType<typeof decode> }).events;
      return decode.call(this, data);
    });
    upstream.reply({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      delayMs: 20,
      body: [
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }] })}\n\n`,
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: ' FAULT' }, finish_reason: null }] })}\n\n`,
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
        'data: [DONE]\n\n',
      ],
    });
    const claudeEvent = functionUrlEvent({ model: 'gpt-4o-mini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, '/v1/messages');
    written.set('a translator\'s fault after the first byte', await linesOf(async () => (await door(gateway)(claudeEvent, new RecordingStream(), lambdaContext(60_000)), await gateway.drain())));
    faulty.mockRestore();
    // Speech relayed through the real pipeline (rawMediaAnswer), cut off after its first audio piece:
    // by the upstream (its connection dropped), and by a fault of the gateway's own (a spy makes the
    // second read of the upstream body throw the engine's TypeError, as a bug under the relay would).
    const speech = functionUrlEvent({ model: 'tts', input: 'Read this aloud, slowly.', voice: 'alloy' }, { authorization: `Bearer ${key}` }, '/v1/audio/speech');
    upstream.reply({ kind: 'drop', afterChunks: 1 });
    written.set('raw audio the upstream cut off, relayed', await linesOf(async () => (await door(gateway)(speech, speechCutByUpstream, lambdaContext(60_000)).catch(() => undefined), await gateway.drain())));
    const iterate = UpstreamBody.prototype[Symbol.asyncIterator];
    const faultyRead = jest.spyOn(UpstreamBody.prototype, Symbol.asyncIterator).mockImplementation(function faultyIterator(this: UpstreamBody) {
      const chunks = iterate.call(this);
      let reads = 0;
      return { ...chunks, next: () => (++reads === 2 ? Promise.reject(engineTypeError()) : chunks.next()), return: chunks.return?.bind(chunks) };
    });
    written.set('raw audio cut off by a fault of the gateway\'s own', await linesOf(async () => (await door(gateway)(speech, speechCutByFault, lambdaContext(60_000)).catch(() => undefined), await gateway.drain())));
    faultyRead.mockRestore();
    // A whole (held) answer whose reading throws the engine's TypeError: answered 500, logged `request failed`.
    const faultyBytes = jest.spyOn(UpstreamBody.prototype, 'bytes').mockRejectedValueOnce(heldFault);
    upstream.reply(text);
    written.set('a held answer whose reading throws', await linesOf(async () => (await door(gateway)(chat(false), new RecordingStream(), lambdaContext(60_000)), await gateway.drain())));
    faultyBytes.mockRestore();
    // An upstream that breaks off mid-stream: the WARN `stream interrupted`, the upstream's doing.
    await invoke('an upstream that breaks off mid-stream', door(gateway), new RecordingStream(), lambdaContext(60_000), { kind: 'drop', afterChunks: 2 });

    // The gateway's table out of reach (a table that does not exist) where it checks a spend limit: the call is refused 503.
    const missing = createTableRef({ tableName: 'missing-table', endpoint: db.dynamo.endpoint });
    const limited = mintKey({ name: 'limited', models: ['*'], limits: { usdPerDay: 5 } }, new Date());
    await new DynamoKeyStore(db.table).put(limited.record);
    const spendBlind = createGateway({ config, keys: new DynamoKeyStore(db.table), rates: new DynamoRateWindows(db.table), spend: new DynamoSpendStore(missing), usage: new DynamoUsageSink(db.table, { retentionDays: 30 }), credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), logger });
    const limitedChat = functionUrlEvent({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${limited.key}` });
    written.set('a spend limit the table could not check', await linesOf(async () => (await createProxyHandler(() => spendBlind, logger)(limitedChat, new RecordingStream(), lambdaContext(60_000)), await spendBlind.drain())));
    await spendBlind.close();
    // Usage records the sink gave up on (their table does not exist), reported as the door reports them.
    const losesUsage = createGateway({ config, keys: new DynamoKeyStore(db.table), rates: new DynamoRateWindows(db.table), spend: new DynamoSpendStore(db.table), usage: new DynamoUsageSink(missing, { retentionDays: 30, onError: usageLossReporter(logger) }), credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), logger });
    await invoke('usage records lost', door(losesUsage), new RecordingStream(), lambdaContext(60_000), text);
    await losesUsage.drain();
    await losesUsage.close();
    // An audit record the bucket refused.
    const audited = parseConfig({ ...configInput, audit: { mode: 'all' } });
    const losesAudit = createGateway({ config: audited, keys: new DynamoKeyStore(db.table), rates: new DynamoRateWindows(db.table), spend: new DynamoSpendStore(db.table), usage: new DynamoUsageSink(db.table, { retentionDays: 30 }), audit: () => ({ description: 'a refusing bucket', put: async () => Promise.reject(new Error('S3 PUT failed: 503 SlowDown')) }), credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), logger });
    await invoke('an audit record lost', door(losesAudit), new RecordingStream(), lambdaContext(60_000), text);
    await losesAudit.close();
    // The writes after an answer failing outright, as the door drains them when the response stream broke.
    const failingDrain: Gateway = { ...gateway, drain: async () => Promise.reject(new Error('audit bucket refused the write')) };
    await invoke('writes after the answer that fail', door(failingDrain), new BreakingStream(1, 'write fails'), lambdaContext(60_000), text);
    // A client's own text in the gateway's lines: a model named after each failure or loss message (answered 404).
    for (const message of [...INTERNAL_FAILURE_LINES, USAGE_RECORDS_LOST_LINE, ...RECORD_LOST_LINES]) {
      const event = functionUrlEvent({ model: message, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` });
      written.set(`a client that asks for the model "${message}"`, await linesOf(() => door(gateway)(event, new RecordingStream(), lambdaContext(60_000))));
    }
    // A client's own text in the gateway's lines: a model named after each platform phrase (answered 404, not upstream).
    for (const phrase of RUNTIME_FAILURE_PHRASES) {
      const event = functionUrlEvent({ model: phrase, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` });
      written.set(`a client that asks for the model "${phrase}"`, await linesOf(() => door(gateway)(event, new RecordingStream(), lambdaContext(60_000))));
    }
  });

  afterAll(async () => {
    if (devMode !== undefined) process.env.POWERTOOLS_DEV = devMode;
    await gateway.close();
    await upstream.close();
    await db.close();
  });

  it.each<[string, Partial<Record<LogMetricName, number>>]>([
    // No failure of the gateway's: a client gone, an answer to its end, an upstream's failure, audio cut off upstream.
    ['a response stream that breaks mid-answer', {}],
    ['a response stream destroyed mid-answer', {}],
    ['an answer streamed to its end', {}],
    ['an upstream that cannot answer', {}],
    ['an upstream that breaks off mid-stream', {}],
    ['raw audio cut off upstream', {}],
    ['raw audio the upstream cut off, relayed', {}],
    // The gateway's own failures: one each.
    ['a gateway that throws', { InternalFailures: 1 }],
    ['an internal error inside the gateway', { InternalFailures: 1 }],
    ['an answer whose body throws', { InternalFailures: 1 }],
    ['a translator\'s fault after the first byte', { InternalFailures: 1 }],
    ['raw audio cut off by a fault of the gateway\'s own', { InternalFailures: 1 }],
    ['a held answer whose reading throws', { InternalFailures: 1 }],
    ['a spend limit the table could not check', { InternalFailures: 1 }],
    ['a gateway stuck past the invocation', { InternalFailures: 1 }],
    // The late failure is still logged (a bug), but the request is counted once: the invocation it failed.
    ['a gateway stuck past the invocation that then throws', { InternalFailures: 1 }],
    ['a gateway stuck past the invocation whose answer then breaks', { InternalFailures: 1 }],
    // Records lost, apart from failures: the answer went, its record did not.
    ['usage records lost', { RecordsLost: 1 }],
    ['an audit record lost', { RecordsLost: 1 }],
    ['writes after the answer that fail', { RecordsLost: 1 }],
  ])('counts %s as %j in the metrics that page', (scenario, expected) => {
    // Act: every synthesized filter of the paging metrics over every line the invocation wrote.
    const counts = countsOf(written.get(scenario)!, PAGED);

    // Assess
    expect(counts).toEqual(expected);
  });

  it.each([...INTERNAL_FAILURE_LINES, USAGE_RECORDS_LOST_LINE, ...RECORD_LOST_LINES, ...RUNTIME_FAILURE_PHRASES])('counts nothing that pages for a client that asks for the model "%s", though its access line carries it', (message) => {
    // Act
    const lines = written.get(`a client that asks for the model "${message}"`)!;

    // Assess: the text is in the gateway's JSON line (a client can write it), and no pattern counts the line.
    expect(lines.some((l) => l.raw.includes(message))).toBe(true);
    expect(countsOf(lines, PAGED)).toEqual({});
  });

  it.each(['a response stream that breaks mid-answer', 'a response stream destroyed mid-answer'])('writes the WARN "response stream failed" line for %s, and no ERROR', (scenario) => {
    // Act
    const lines = written.get(scenario)!;

    // Assess: the line is there, as Powertools writes it, and nothing of the invocation is counted (above).
    expect(lines.filter((l) => l.message === 'response stream failed before the answer ended')).toEqual([expect.objectContaining({ level: 'WARN', service: 'aigw', requestId: 'lambda-req-1' })]);
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('writes a WARN, not an ERROR, for an upstream that breaks off mid-stream: the upstream\'s doing', () => {
    const lines = written.get('an upstream that breaks off mid-stream')!;
    expect(lines.filter((l) => l.level === 'WARN' && l.message === 'stream interrupted')).toEqual([expect.objectContaining({ code: 'upstream_interrupted' })]);
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('writes the ERROR line of a translator\'s fault, with its stack, and books the call internal_error', () => {
    // Act
    const lines = written.get('a translator\'s fault after the first byte')!;

    // Assess: Powertools writes the error's name, message and stack under `error`.
    expect(lines.filter((l) => l.message === OWN_FAULT_LINE)).toEqual([expect.objectContaining({ level: 'ERROR', code: 'internal_error', error: expect.objectContaining({ name: 'TypeError', stack: expect.any(String) }) })]);
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ status: 200, outcome: 'interrupted', errorCode: 'internal_error' })]);
  });

  it.each([
    // AbortedTransfers counts audio the upstream cut off (the WARN `media answer interrupted`); the gateway's own fault pages instead, once.
    { scenario: 'raw audio the upstream cut off, relayed', stream: speechCutByUpstream, expected: { AbortedTransfers: 1 } },
    { scenario: 'raw audio cut off by a fault of the gateway\'s own', stream: speechCutByFault, expected: { InternalFailures: 1 } },
  ])('counts $scenario, after its first audio byte went, as $expected', ({ scenario, stream, expected }) => {
    // Act
    const lines = written.get(scenario)!;

    // Assess: the client had audio (status 200, then bytes), and the books say interrupted.
    expect(stream.prelude).toMatchObject({ statusCode: 200 });
    expect(stream.writes.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ status: 200, outcome: 'interrupted' })]);
    expect(countsOf(lines, [...PAGED, 'AbortedTransfers', 'UpstreamUnavailable'])).toEqual(expected);
  });

  it('writes the ERROR line of raw audio cut off by a fault of the gateway\'s own, with its stack, and no WARN of an upstream break', () => {
    // Act
    const lines = written.get('raw audio cut off by a fault of the gateway\'s own')!;

    // Assess
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({ message: OWN_FAULT_LINE, while: MEDIA_INTERRUPTED, code: 'internal_error', error: expect.objectContaining({ name: 'TypeError', stack: expect.stringMatching(/^TypeError: [\s\S]*lib\/pipeline\/raw-media\.ts:/) }) }),
    ]);
    expect(lines.filter((l) => l.message === MEDIA_INTERRUPTED)).toEqual([]);
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ errorCode: 'internal_error' })]);
  });

  it('logs a held answer\'s fault once as `request failed`, carrying the TypeError\'s stack as Powertools writes a cause', () => {
    // Act
    const lines = written.get('a held answer whose reading throws')!;

    // Assess: one ERROR line; under `error`, the GatewayError told to the client, and under its `cause` the bug's own stack.
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({ message: 'request failed', error: expect.objectContaining({ name: 'GatewayError', code: 'internal_error', cause: expect.objectContaining({ name: 'TypeError', message: heldFault.message, stack: heldFault.stack }) }) }),
    ]);
    expect(heldFault.stack).toMatch(/^TypeError: .*null[\s\S]*\n\s+at /);
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ status: 500, outcome: 'error', errorCode: 'internal_error' })]);
  });

  it('counts a spend limit the table could not check once in InternalFailures, and its 503 in UpstreamUnavailable (graphed) as before', () => {
    // Act
    const lines = written.get('a spend limit the table could not check')!;

    // Assess
    expect(lines.filter((l) => l.message === SPEND_UNCHECKED_LINE)).toEqual([expect.objectContaining({ level: 'ERROR' })]);
    expect(countsOf(lines, ['UpstreamUnavailable'])).toEqual({ UpstreamUnavailable: 1 });
  });

  it('publishes the usage sink\'s count of records lost, a number on its line', () => {
    // Act
    const [line] = written.get('usage records lost')!.filter((l) => l.message === USAGE_RECORDS_LOST_LINE);

    // Assess
    expect(line).toMatchObject({ level: 'ERROR', lost: 1, requestIds: ['lambda-req-1'] });
  });

  it('publishes the sum of the usage records lost: 3 for a part of three, nothing for stored homes alone (lost: 0)', async () => {
    // Prepare: the door's reporter, as the usage sink calls it for a part lost and for homes lost.
    const report = usageLossReporter(createLogger({ serviceName: 'aigw', level: 'INFO' }));

    // Act
    const lines = await linesOf(async () => {
      report(new Error('ProvisionedThroughputExceededException'), ['r1', 'r2', 'r3'], [], []);
      report(new Error('closed with stored homes kept unwritten'), [], ['resp_1'], []);
    });

    // Assess
    expect(lines.filter((l) => l.message === USAGE_RECORDS_LOST_LINE).map((l) => l.lost)).toEqual([3, 0]);
    expect(countsOf(lines, ['RecordsLost'])).toEqual({ RecordsLost: 3 });
  });

  it.each(FILTERS.filter((f) => f.MetricTransformations[0]!.MetricValue.startsWith('$.')).map((f) => [f.MetricTransformations[0]!.MetricName, f.MetricTransformations[0]!.MetricValue, f.FilterPattern]))(
    'has %s publish %s only from lines whose pattern tests it as a number (a value field must be matched by the pattern)',
    (_name, value, pattern) => {
      expect(pattern).toMatch(new RegExp(`\\(\\${value.replace('.', '\\.')} (>|>=|=) -?\\d+\\)`));
    },
  );

  it('takes no line by two filters of one metric, over every line every scenario wrote', () => {
    // Prepare
    const lines = [...written.values()].flat();
    const byMetric = new Map<LogMetricName, Filter[]>();
    for (const f of FILTERS) byMetric.set(f.MetricTransformations[0]!.MetricName, [...(byMetric.get(f.MetricTransformations[0]!.MetricName) ?? []), f]);

    // Act: each line with the metrics that count it more than once.
    const twice = lines.flatMap((line) => [...byMetric].filter(([, filters]) => filters.filter((f) => matchesFilterPattern(f.FilterPattern, line.raw)).length > 1).map(([name]) => `${name}: ${line.raw}`));

    // Assess
    expect(lines.length).toBeGreaterThanOrEqual(written.size);
    expect(twice).toEqual([]);
  });

  it('counts an internal error inside the gateway once, though its access line says 500 too', () => {
    // Act
    const lines = written.get('an internal error inside the gateway')!;

    // Assess: the access line is there (status 500), and only the ERROR line pages.
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ status: 500, outcome: 'error' })]);
    expect(countsOf(lines)).toMatchObject({ InternalFailures: 1, ServerErrors: 1 });
  });

  it('has a scenario for each message InternalFailures and RecordsLost count (none of them stale)', () => {
    const counted = [...INTERNAL_FAILURE_LINES, USAGE_RECORDS_LOST_LINE, ...RECORD_LOST_LINES];
    const seen = new Set([...written.values()].flat().filter((l) => l.level === 'ERROR' && counted.includes(l.message as never)).map((l) => l.message));
    expect([...seen].sort()).toEqual([...counted].sort());
  });

  it('counts an upstream that cannot answer in UpstreamUnavailable only: a 503 on the access line, with a numeric status', () => {
    // Act
    const lines = written.get('an upstream that cannot answer')!;

    // Assess
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ status: 503, outcome: 'upstream_error' })]);
    expect(countsOf(lines, [...PAGED, 'UpstreamUnavailable'])).toEqual({ UpstreamUnavailable: 1 });
  });

  it('marks every line the gateway writes with "sampling_rate", the field RuntimeFailures excludes', () => {
    const lines = [...written.values()].flat();
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => !l.raw.includes('"sampling_rate":'))).toEqual([]);
  });

  it('never writes a platform phrase from the gateway\'s own lines, in any scenario', () => {
    expect(countsOf([...written.values()].flat(), ['RuntimeFailures'])).toEqual({});
  });
});
