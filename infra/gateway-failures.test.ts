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
import { GATEWAY_FAILURE_METRICS, GatewayFailureMetrics, INTERNAL_FAILURE_LINES, RUNTIME_FAILURE_PHRASES } from './constructs/gateway-failures';
import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';

/*
 * The ProxyErrors alarm reads the metric filters of GatewayFailureMetrics. Here the Lambda door
 * (`createProxyHandler`) runs with the real Powertools logger in front of a dynalite table and a
 * fake upstream, and the lines it writes to stdout and stderr (what Lambda sends to the log group)
 * are checked against what the patterns compare: the message of the gateway's own failures, the
 * platform's phrases. No CloudWatch filter-pattern evaluator is published as a maintained package,
 * so the patterns themselves are pinned below, and their meaning follows CloudWatch's documented
 * syntax: `{ ($.message = "x") || … }` matches a JSON event whose top-level `message` equals one of
 * the strings; `?"a b" ?"c"` matches an event that contains any of the quoted phrases.
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
      pattern: '{ ($.message = "request failed") || ($.message = "streamed body failed") || ($.message = "invocation failed before the gateway answered") }',
    },
    { name: 'RuntimeFailures', pattern: '?"Task timed out after" ?"Runtime exited with error" ?"Runtime exited without providing a reason" ?"Process exited before completing request"' },
    { name: 'UpstreamUnavailable', pattern: '{ ($.message = "request") && ($.status >= 502) && ($.status <= 504) }' },
  ])('publishes $name, 1 per matching line of the proxy\'s log group, with the pattern $pattern', ({ name, pattern }) => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern,
      LogGroupName: { Ref: Match.stringLikeRegexp('^ProxyLogs') },
      MetricTransformations: [{ MetricName: name, MetricNamespace: 'Aigw/T', MetricValue: '1', Unit: 'Count', Dimensions: Match.absent(), DefaultValue: Match.absent() }],
    });
  });

  it('makes one filter per metric, and nothing else', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', Object.keys(GATEWAY_FAILURE_METRICS).length);
  });
});

describe('the lines the Lambda door writes, against the failure patterns', () => {
  let db: Awaited<ReturnType<typeof startTestTable>>;
  let upstream: FakeOpenAI;
  let gateway: Gateway;
  let key: string;
  /** The lines of each scenario, by name. */
  const written = new Map<string, Line[]>();
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
    // A gateway stuck past the invocation: middy gives up 5 ms before its end.
    const stuck: Gateway = { ...gateway, handle: async (req) => (await sleep(400), gateway.handle(req)) };
    await invoke('a gateway stuck past the invocation', door(stuck), new RecordingStream(), runningLambdaContext(200, 'lambda-stuck'), undefined, 500);
  });

  afterAll(async () => {
    if (devMode !== undefined) process.env.POWERTOOLS_DEV = devMode;
    await gateway.close();
    await upstream.close();
    await db.close();
  });

  const internal = (l: Line) => (INTERNAL_FAILURE_LINES as readonly unknown[]).includes(l.message);
  const runtime = (l: Line) => RUNTIME_FAILURE_PHRASES.some((phrase) => l.raw.includes(phrase));
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

  it.each([
    { scenario: 'a gateway that throws', message: 'request failed' },
    { scenario: 'an answer whose body throws', message: 'streamed body failed' },
    { scenario: 'a gateway stuck past the invocation', message: 'invocation failed before the gateway answered' },
  ])('counts $scenario once in InternalFailures: an ERROR line "$message"', ({ scenario, message }) => {
    // Act
    const counted = written.get(scenario)!.filter(internal);

    // Assess: a string field `message`, at the top level of the line, as the JSON pattern compares it.
    expect(counted).toEqual([expect.objectContaining({ level: 'ERROR', message })]);
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

  it('never writes a platform phrase from the gateway\'s own lines, in any scenario', () => {
    expect([...written.values()].flat().filter(runtime)).toEqual([]);
  });
});
