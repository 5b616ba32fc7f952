import { mintKey, type KeyLimits } from '../lib/access/api-key';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway, type Gateway } from '../lib/gateway';
import { minuteClock } from '../test/minute-window';
import { TransferAborted } from '../lib/http/transfer-aborted';
import type { GatewayRequest } from '../lib/http/types';
import { createLogger } from '../lib/observe/logger';
import { MEDIA_INTERRUPTED } from '../lib/pipeline/raw-media';
import { MemoryKeyStore } from '../lib/store/keys';
import { MemoryRateWindows } from '../lib/store/rate-windows';
import { MemoryResponseCache } from '../lib/store/response-cache';
import { MemorySpendStore } from '../lib/store/spend';
import { MemoryUsageSink } from '../lib/usage/record';
import { FAKE } from '../lib/guardrails/fake-tokens';
import { startFakeOpenAI, type FakeOpenAI, type Reply } from '../test/fakes/openai';
import { LOG_METRICS, LOG_METRIC_NAMES, type LogFilterSpec, type LogMetricSpec } from './constructs/log-metrics';
import { matchesJsonPattern } from '../test/filter-pattern';

/*
 * The metric filters read fields of the proxy's access log line. Here the gateway runs in-process
 * with the real Powertools logger, and the lines it writes to stdout (what Lambda sends to the log
 * group) are checked against the filter patterns. No CloudWatch filter-pattern evaluator is
 * published as a maintained package, so the patterns are checked structurally: each clause names
 * a field the lines carry, with the JSON type it is compared as, and each string it compares with
 * is one the gateway writes. Which lines a pattern selects follows from that and from
 * CloudWatch's documented syntax; the rendered patterns are pinned in observability.test.ts.
 */

type AccessLine = Record<string, unknown>;

const NO_QUERY = new URLSearchParams();
const PRICE = { input: 2, output: 8 }; // USD per million tokens

interface Scenario {
  case: string;
  /** The key's limits; no key at all when null. */
  limits?: KeyLimits | null;
  /** Requests sent before the one whose line is kept (to use up a limit). */
  before?: number;
  path?: string;
  /** The model asked for (`gpt-4o-mini` unless told; `cached-mini` has a response cache). */
  model?: string;
  stream?: boolean;
  upstream?: Reply;
  /** The user message's text; "hi" by default. */
  content?: string;
  /** The client leaves after the first chunk of the answer. */
  leaves?: boolean;
  /** What the kept line must say of itself. */
  line: AccessLine;
}

const TEXT: Reply = { kind: 'text', text: 'Hello there', usage: { prompt: 30, completion: 10 } };

const SCENARIOS: Scenario[] = [
  { case: 'a streamed call', stream: true, line: { status: 200, outcome: 'ok', stream: true, attempts: 1, inputTokens: 30, outputTokens: 10, costMicros: 140 } },
  { case: 'a whole answer', line: { status: 200, outcome: 'ok', stream: false, attempts: 1, inputTokens: 30, outputTokens: 10, costMicros: 140 } },
  { case: 'a call over its key\'s requests per minute', limits: { requestsPerMinute: 1 }, before: 1, line: { status: 429, outcome: 'error', errorCode: 'rate_limit_exceeded', attempts: 0 } },
  { case: 'a call over its key\'s tokens per minute', limits: { tokensPerMinute: 20 }, before: 1, line: { status: 429, outcome: 'error', errorCode: 'tokens_rate_limit_exceeded', attempts: 0 } },
  { case: 'a call over its key\'s spend limit', limits: { usdPerDay: 0.000001 }, line: { status: 429, outcome: 'error', errorCode: 'insufficient_quota', attempts: 0 } },
  { case: 'an upstream 429 passed on', upstream: { kind: 'error', status: 429 }, line: { status: 429, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', attempts: 1 } },
  { case: 'an upstream 500 after failover', upstream: { kind: 'error', status: 500 }, line: { status: 500, outcome: 'upstream_error', attempts: 1 } },
  { case: 'an upstream that cannot answer (503)', upstream: { kind: 'error', status: 503 }, line: { status: 503, outcome: 'upstream_error', attempts: 1 } },
  { case: 'a call answered from the response cache', model: 'cached-mini', before: 1, line: { status: 200, outcome: 'ok', cache: 'hit', attempts: 0, costMicros: 0, savedMicros: 140 } },
  { case: 'a request without a key', limits: null, line: { status: 401, outcome: 'error', attempts: 0 } },
  { case: 'a health check', limits: null, path: '/health', line: { status: 200, outcome: 'ok', attempts: 0 } },
  { case: 'a call a guardrail flagged', content: `token ${FAKE.jwt}`, line: { status: 200, outcome: 'ok', attempts: 1 } },
  // Its transfer is aborted (the body throws), and it writes the line AbortedTransfers reads.
  // The client leaving is no failure: no line, and on Lambda the invocation ends normally.
  { case: 'speech whose client left mid-audio', path: '/v1/audio/speech', model: 'tts', leaves: true, upstream: { kind: 'drop', afterChunks: 1 }, line: { status: 200, outcome: 'aborted', attempts: 1 } },
  { case: 'speech cut off mid-audio', path: '/v1/audio/speech', model: 'tts', upstream: { kind: 'drop', afterChunks: 1 }, line: { status: 200, outcome: 'interrupted', errorCode: 'upstream_interrupted', attempts: 1 } },
];

const CLAUSE = /\$\.(\w+) (?:(=|!=|>=|<=|>|<) ("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)|IS (TRUE|FALSE))/g;

/**
 * Splits a JSON filter pattern into its comparisons (`$.status >= 500`, `$.stream IS TRUE`); `rest`
 * is what is left once they and the braces, parentheses, && and || are taken out (empty when
 * every clause was read). It reads the pattern's parts; it does not decide what a pattern matches.
 */
function clausesOf(pattern: string) {
  const clauses = [...pattern.matchAll(CLAUSE)].map(([, field, op, value, bool]) => ({
    field: field!,
    op: op ?? 'IS',
    value: value ?? bool!,
    type: bool ? 'boolean' : value!.startsWith('"') ? 'string' : 'number',
  }));
  const rest = pattern.replace(CLAUSE, '').replace(/&&|\|\||[{}()\s]/g, '');
  return { clauses, rest };
}

/** The messages of the lines metrics are read from: the access line, the guardrails' line, and raw audio cut off. */
const METRIC_LINES = new Set(['request', 'guardrail', MEDIA_INTERRUPTED]);

/** Collects the lines metrics read (`METRIC_LINES`) that Powertools writes to stdout and stderr (warnings; Lambda sends both to the log group) while `run` runs; other lines are dropped. */
async function accessLinesOf(run: () => Promise<void>): Promise<AccessLine[]> {
  const lines: AccessLine[] = [];
  const write = ((chunk: string | Uint8Array) => {
    for (const text of String(chunk).split('\n')) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as AccessLine;
      if (METRIC_LINES.has(line.message as string)) lines.push(line);
    }
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

/** The message a line filter's pattern compares (`$.message = "…"`). */
function messageOf(filter: LogFilterSpec): string | undefined {
  return /\$\.message = "([^"]*)"/.exec(filter.pattern.logPatternString)?.[1];
}

/**
 * The metrics read from the lines these scenarios write (`METRIC_LINES`); the gateway's failure
 * and lost-record lines, and Lambda's own, are gateway-failures.test.ts's.
 */
const METRICS_OF_THESE_LINES = LOG_METRIC_NAMES.filter((name) => LOG_METRICS[name].filters.every((f: LogFilterSpec) => METRIC_LINES.has(messageOf(f) ?? '') && !f.pattern.logPatternString.includes('$.level')));

describe('access log lines as the gateway writes them', () => {
  let upstream: FakeOpenAI;
  const lineOf = new Map<string, AccessLine>();
  let all: AccessLine[];
  /** The lines other than access lines that the scenarios wrote (the guardrails'). */
  const others: AccessLine[] = [];
  /** The lines a filter reads: those of the message its pattern names (the access lines, or the guardrails' and raw audio's). */
  const linesOf = (filter: LogFilterSpec) => {
    const message = messageOf(filter);
    return message === 'request' ? all : others.filter((l) => l.message === message);
  };

  const devMode = process.env.POWERTOOLS_DEV;

  beforeAll(async () => {
    // In dev mode Powertools writes through the global console (jest's), not to stdout as on Lambda.
    delete process.env.POWERTOOLS_DEV;
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [
        { name: 'gpt-4o-mini', price: PRICE, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
        { name: 'cached-mini', price: PRICE, cache: {}, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
        { name: 'tts', targets: [{ provider: 'up', model: 'gpt-4o-mini-tts' }] },
      ],
      guardrails: { rules: [{ detect: 'jwt', action: 'flag' }] },
    });
    for (const s of SCENARIOS) {
      const keys = new MemoryKeyStore();
      // A scenario's calls in one per-minute window, however slow the machine: its limits count on it.
      const clock = minuteClock();
      clock.startMinute();
      const gateway: Gateway = createGateway({
        config,
        now: clock.now,
        keys,
        rates: new MemoryRateWindows(),
        spend: new MemorySpendStore(),
        usage: new MemoryUsageSink(),
        responseCache: new MemoryResponseCache(),
        credentials: new LocalCredentials({ UP_KEY: 'sk-up' }),
        logger: createLogger({ serviceName: 'aigw', level: 'INFO' }),
      });
      const minted = mintKey({ name: 't', models: ['*'], ...(s.limits ? { limits: s.limits } : {}) }, new Date());
      await keys.put(minted.record);
      upstream.reply(TEXT);
      const lines = await accessLinesOf(async () => {
        for (let i = 0; i <= (s.before ?? 0); i++) {
          if (i === (s.before ?? 0) && s.upstream) upstream.reply(s.upstream);
          await drained(gateway, requestFor(s, s.limits === null ? undefined : minted.key), s.leaves);
        }
      });
      await gateway.close();
      lineOf.set(s.case, lines.filter((l) => l.message === 'request').at(-1)!);
      others.push(...lines.filter((l) => l.message !== 'request'));
    }
    all = [...lineOf.values()];
  });

  afterAll(async () => {
    if (devMode !== undefined) process.env.POWERTOOLS_DEV = devMode;
    await upstream.close();
  });

  it.each(SCENARIOS)('$case writes an access line saying so', (s) => {
    expect(lineOf.get(s.case)).toMatchObject({ level: 'INFO', message: 'request', ...s.line });
  });

  it('writes the AbortedTransfers line once for each transfer the door must abort (its body threw TransferAborted), at WARN, and for nothing else', () => {
    // Act
    const interrupted = others.filter((l) => l.message === MEDIA_INTERRUPTED);

    // Assess: WARN goes to stderr, which Lambda sends to the log group with stdout.
    expect(abortedTransfers).toEqual(['r-speech cut off mid-audio']);
    expect(interrupted).toEqual([expect.objectContaining({ level: 'WARN', requestId: 'r-speech cut off mid-audio' })]);
  });

  it('gives a streamed call its time to first token, and leaves out what it does not know', () => {
    // Assess: fields left undefined are absent (JSON.stringify drops them), so filters must test them.
    expect(lineOf.get('a streamed call')!.ttftMs).toEqual(expect.any(Number));
    expect(lineOf.get('a request without a key')).not.toHaveProperty('costMicros');
    expect(lineOf.get('a request without a key')).not.toHaveProperty('model');
  });

  it('tells our own refusals from upstream 429s by attempts, as RateLimited and OverBudget assume', () => {
    // Prepare
    const ownRefusals = ['a call over its key\'s requests per minute', 'a call over its key\'s tokens per minute', 'a call over its key\'s spend limit'];

    // Act
    const attempts = (c: string) => lineOf.get(c)!.attempts;

    // Assess: same status and error code upstream, but the upstream's has been tried.
    expect(ownRefusals.map(attempts)).toEqual([0, 0, 0]);
    expect(attempts('an upstream 429 passed on')).toBeGreaterThan(0);
  });

  describe.each(METRICS_OF_THESE_LINES)('the %s filter', (name) => {
    const spec: LogMetricSpec = LOG_METRICS[name];
    const [filter] = spec.filters as readonly LogFilterSpec[];
    const { clauses, rest } = clausesOf(filter!.pattern.logPatternString);

    it('is one filter, made only of field comparisons joined by && and ||', () => {
      expect(spec.filters).toHaveLength(1);
      expect(rest).toBe('');
      expect(clauses.length).toBeGreaterThan(0);
    });

    it.each(clauses)('compares $field ($op $value) as a field the lines carry, of that JSON type', ({ field, type }) => {
      // Act
      const types = new Set(linesOf(filter!).filter((l) => field in l).map((l) => typeof l[field]));

      // Assess
      expect([...types]).toEqual([type]);
    });

    it.each(clauses.filter((c) => c.type === 'string'))('compares $field with $value, a value the gateway writes', ({ field, value }) => {
      expect(linesOf(filter!).map((l) => l[field])).toContain(JSON.parse(value));
    });

    it('takes at least one line the scenarios wrote, as CloudWatch evaluates its pattern', () => {
      expect(linesOf(filter!).filter((l) => matchesJsonPattern(filter!.pattern.logPatternString, JSON.stringify(l))).length).toBeGreaterThan(0);
    });

    if (filter!.value) {
      const field = filter!.value.slice(2);
      it(`publishes ${filter!.value}, a number in every line that has it, and tests it in the pattern`, () => {
        expect(linesOf(filter!).some((l) => typeof l[field] === 'number' && l[field] > 0)).toBe(true);
        expect(linesOf(filter!).filter((l) => field in l).every((l) => typeof l[field] === 'number')).toBe(true);
        expect(clauses.map((c) => c.field)).toContain(field);
      });
    }

    for (const [dimension, selector] of Object.entries(spec.dimensions ?? {})) {
      const field = selector.slice(2);
      it(`takes its ${dimension} dimension from ${selector}, a string on every line that has the fields its pattern tests`, () => {
        const selectable = linesOf(filter!).filter((l) => clauses.every((c) => c.field in l));
        expect(selectable.length).toBeGreaterThan(0);
        expect(selectable.every((l) => typeof l[field] === 'string')).toBe(true);
      });
    }
  });

  it.each<[string, string[]]>([
    // What each scenario's access line counts in, every access-line filter run over it as CloudWatch would.
    ['a streamed call', ['Requests', 'Latency', 'TimeToFirstToken', 'InputTokens', 'OutputTokens', 'Cost', 'CostByModel']],
    ['a call over its key\'s spend limit', ['Requests', 'ClientErrors', 'OverBudget', 'Latency']],
    ['an upstream 429 passed on', ['Requests', 'ClientErrors', 'UpstreamErrors', 'Latency']],
    ['an upstream 500 after failover', ['Requests', 'ServerErrors', 'UpstreamErrors', 'Latency']],
    ['an upstream that cannot answer (503)', ['Requests', 'ServerErrors', 'UpstreamErrors', 'UpstreamUnavailable', 'Latency']],
    // A hit's line carries the stored answer's tokens (what the client got), at no cost.
    ['a call answered from the response cache', ['Requests', 'Latency', 'InputTokens', 'OutputTokens', 'CacheHits', 'CacheSaved']],
  ])('counts %s in %j', (scenario, metrics) => {
    // Act
    const line = JSON.stringify(lineOf.get(scenario));
    const counted = METRICS_OF_THESE_LINES.filter((name) => LOG_METRICS[name].filters.some((f) => matchesJsonPattern(f.pattern.logPatternString, line)));

    // Assess
    expect(counted).toEqual(metrics);
  });
});

function requestFor(s: Scenario, key: string | undefined): GatewayRequest {
  const speech = s.path === '/v1/audio/speech' ? { model: s.model, voice: 'alloy', input: s.content ?? 'hi' } : undefined;
  const body = speech ?? (s.path ? undefined : { model: s.model ?? 'gpt-4o-mini', stream: s.stream === true, messages: [{ role: 'user', content: s.content ?? 'hi' }] });
  return {
    method: body ? 'POST' : 'GET',
    path: s.path ?? '/v1/chat/completions',
    query: NO_QUERY,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: Buffer.from(body ? JSON.stringify(body) : ''),
    sourceIp: '127.0.0.1',
    requestId: `r-${s.case}`,
  };
}

/** The request ids whose answer's body threw TransferAborted: the transfers a door aborts (on Lambda by failing the invocation). */
const abortedTransfers: string[] = [];

/**
 * Sends one request, reads its answer to the end (or to its aborted transfer, or, for a client
 * that leaves, to its first chunk) and waits until its books are closed (its access line written).
 */
async function drained(gateway: Gateway, req: GatewayRequest, leaves = false): Promise<void> {
  // The door's connection signal (`GatewayRequest.signal`), fired when the client leaves.
  const connection = new AbortController();
  const res = await gateway.handle({ ...req, signal: connection.signal });
  if (typeof res.body === 'object' && res.body !== null && Symbol.asyncIterator in res.body) {
    try {
      for await (const _ of res.body as AsyncIterable<Uint8Array>) {
        // Read it all, as a client would; one that leaves closes its connection after the first chunk (what the door reads next fails, aborted).
        if (leaves) connection.abort(new Error('client gone'));
      }
    } catch (err) {
      if (!(err instanceof TransferAborted)) throw err;
      abortedTransfers.push(req.requestId);
    }
  }
  await gateway.drain();
}
