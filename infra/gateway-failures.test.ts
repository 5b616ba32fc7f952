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
import { GATEWAY_FAILURE_METRICS, GatewayFailureMetrics, INTERNAL_FAILURE_LINES, RUNTIME_FAILURE_PHRASES } from './constructs/gateway-failures';
import { matchesTermPattern } from '../test/filter-pattern';
import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';

/*
 * The ProxyErrors alarm reads the metric filters of GatewayFailureMetrics. Here the Lambda door
 * (`createProxyHandler`) runs with the real Powertools logger in front of a dynalite table and a
 * fake upstream, and the lines it writes to stdout and stderr (what Lambda sends to the log group)
 * are checked against what the patterns compare: the message of the gateway's own failures, the
 * platform's phrases. No CloudWatch filter-pattern evaluator is published as a maintained package,
 * so the patterns themselves are pinned below, and their meaning follows CloudWatch's documented
 * syntax: `{ ($.level = "ERROR") && (($.message = "x") || …) }` matches a JSON event whose
 * top-level `level` and `message` are those (mirrored by `internal` below); the text filters are
 * run as synthesized, over the raw lines, by `matchesTermPattern` (test/filter-pattern.ts), a term
 * pattern being simple enough to evaluate as documented.
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

/** The metric filters GatewayFailureMetrics synthesizes, by logical id. */
function synthesizedFilters(): Record<string, { FilterPattern: string; MetricTransformations: { MetricName: string }[] }> {
  const stack = new Stack(new App(), 'T');
  new GatewayFailureMetrics(stack, 'Failures', { logGroup: new LogGroup(stack, 'ProxyLogs'), namespace: 'Aigw/T' });
  const filters = Template.fromStack(stack).findResources('AWS::Logs::MetricFilter');
  return Object.fromEntries(Object.entries(filters).map(([id, r]) => [id, r.Properties]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GatewayFailureMetrics in the template', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(new App(), 'T');
    const logGroup = new LogGroup(stack, 'ProxyLogs');
    new GatewayFailureMetrics(stack, 'Failures', { logGroup, namespace: 'Aigw/T' });
    template = Template.fromStack(stack);
  });

  it.each([
    {
      name: 'InternalFailures',
      pattern: '{ ($.level = "ERROR") && (($.message = "request failed") || ($.message = "streamed body failed") || ($.message = "invocation failed before the gateway answered")) }',
    },
    ...RUNTIME_FAILURE_PHRASES.map((phrase) => ({ name: 'RuntimeFailures', pattern: `"${phrase}" -"sampling_rate"` })),
    { name: 'UpstreamUnavailable', pattern: '{ ($.message = "request") && ($.status >= 502) && ($.status <= 504) }' },
  ])('publishes $name, 1 per matching line of the proxy\'s log group, with the pattern $pattern', ({ name, pattern }) => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern,
      LogGroupName: { Ref: Match.stringLikeRegexp('^ProxyLogs') },
      MetricTransformations: [{ MetricName: name, MetricNamespace: 'Aigw/T', MetricValue: '1', Unit: 'Count', Dimensions: Match.absent(), DefaultValue: Match.absent() }],
    });
  });

  it('makes one filter per pattern (one per platform phrase), and nothing else', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', Object.values(GATEWAY_FAILURE_METRICS).reduce((n, spec) => n + spec.patterns.length, 0));
    expect(Object.keys(template.findResources('AWS::Logs::MetricFilter'))).toHaveLength(2 + RUNTIME_FAILURE_PHRASES.length);
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
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', price: { input: 1, output: 2 }, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
    });
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

  const internal = (l: Line) => l.level === 'ERROR' && (INTERNAL_FAILURE_LINES as readonly unknown[]).includes(l.message);
  /** RuntimeFailures' patterns as synthesized, run over the raw line as CloudWatch reads it. */
  const runtimePatterns = Object.values(synthesizedFilters()).filter((f) => f.MetricTransformations[0]!.MetricName === 'RuntimeFailures').map((f) => f.FilterPattern);
  const runtime = (l: Line) => runtimePatterns.some((pattern) => matchesTermPattern(pattern, l.raw));
  const upstreamUnavailable = (l: Line) => l.message === 'request' && typeof l.status === 'number' && l.status >= 502 && l.status <= 504;

  it.each(['a response stream that breaks mid-answer', 'a response stream destroyed mid-answer'])('writes the WARN "response stream failed" line for %s, which no failure pattern matches', (scenario) => {
    // Act
    const lines = written.get(scenario)!;
    const broken = lines.filter((l) => l.message === 'response stream failed before the answer ended');

    // Assess: the line is there, as Powertools writes it, and nothing of the invocation is counted.
    expect(broken).toEqual([expect.objectContaining({ level: 'WARN', service: 'aigw', requestId: 'lambda-req-1' })]);
    expect(lines.filter((l) => internal(l) || runtime(l) || upstreamUnavailable(l))).toEqual([]);
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('counts nothing for an answer streamed to its end', () => {
    expect(written.get('an answer streamed to its end')!.filter((l) => internal(l) || runtime(l) || upstreamUnavailable(l))).toEqual([]);
  });

  it('counts nothing for raw audio cut off upstream, whose transfer the door aborts on purpose', () => {
    // Assess: the audio had started (its status and first bytes went), and no line of the door's is counted.
    expect(audioStream.prelude).toMatchObject({ statusCode: 200 });
    expect(audioStream.writes.length).toBeGreaterThan(0);
    expect(written.get('raw audio cut off upstream')!.filter((l) => l.level === 'ERROR' || internal(l) || runtime(l))).toEqual([]);
  });

  it.each([
    { scenario: 'a gateway that throws', message: 'request failed' },
    { scenario: 'an internal error inside the gateway', message: 'request failed' },
    { scenario: 'an answer whose body throws', message: 'streamed body failed' },
    { scenario: 'a gateway stuck past the invocation', message: 'invocation failed before the gateway answered' },
  ])('counts $scenario once in InternalFailures: an ERROR line "$message"', ({ scenario, message }) => {
    // Act
    const counted = written.get(scenario)!.filter(internal);

    // Assess: a string field `message`, at the top level of the line, as the JSON pattern compares it.
    expect(counted).toEqual([expect.objectContaining({ level: 'ERROR', message })]);
  });

  it.each([
    { scenario: 'a gateway stuck past the invocation whose answer then breaks', late: 'streamed body failed' },
    { scenario: 'a gateway stuck past the invocation that then throws', late: 'request failed' },
  ])('counts $scenario once: the invocation it failed, not what went wrong after it was given up', ({ scenario, late }) => {
    // Act
    const lines = written.get(scenario)!;

    // Assess: the late failure is still logged (a bug), but the request is counted once.
    expect(lines.filter((l) => (l.message as string).startsWith(late))).toHaveLength(1);
    expect(lines.filter(internal)).toEqual([expect.objectContaining({ level: 'ERROR', message: 'invocation failed before the gateway answered' })]);
  });

  it('counts an internal error inside the gateway once, though its access line says 500 too', () => {
    // Act
    const lines = written.get('an internal error inside the gateway')!;

    // Assess: the access line is there (status 500), and only the ERROR line is counted.
    expect(lines.filter((l) => l.message === 'request')).toEqual([expect.objectContaining({ status: 500, outcome: 'error' })]);
    expect(lines.filter((l) => internal(l) || runtime(l) || upstreamUnavailable(l))).toHaveLength(1);
  });

  it('has a scenario for each message InternalFailures counts (none of them stale)', () => {
    const seen = new Set([...written.values()].flat().filter(internal).map((l) => l.message));
    expect([...seen].sort()).toEqual([...INTERNAL_FAILURE_LINES].sort());
  });

  it('counts an upstream that cannot answer in UpstreamUnavailable only: a 503 on the access line, with a numeric status', () => {
    // Act
    const lines = written.get('an upstream that cannot answer')!;

    // Assess
    expect(lines.filter(upstreamUnavailable)).toEqual([expect.objectContaining({ message: 'request', status: 503, outcome: 'upstream_error' })]);
    expect(lines.filter((l) => internal(l) || runtime(l))).toEqual([]);
  });

  it.each(RUNTIME_FAILURE_PHRASES.map((phrase) => `a client that asks for the model "${phrase}"`))('counts nothing in RuntimeFailures for %s, though the access line carries it', (scenario) => {
    // Act
    const lines = written.get(scenario)!;

    // Assess: the phrase is in the gateway's JSON line (a client can write it), and no pattern counts the line.
    expect(lines.some((l) => RUNTIME_FAILURE_PHRASES.some((phrase) => l.raw.includes(phrase)))).toBe(true);
    expect(lines.filter((l) => internal(l) || runtime(l) || upstreamUnavailable(l))).toEqual([]);
  });

  it('marks every line the gateway writes with "sampling_rate", the field RuntimeFailures excludes', () => {
    const lines = [...written.values()].flat();
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => !l.raw.includes('"sampling_rate":'))).toEqual([]);
  });

  it('never writes a platform phrase from the gateway\'s own lines, in any scenario', () => {
    expect([...written.values()].flat().filter(runtime)).toEqual([]);
  });
});
