import { startEndlessEventUpstream, type FakeEndlessEvent } from '../fakes/endless-event';
import { eventually, startHarness, type Harness } from './harness';

/**
 * An upstream that opens one event and never ends it (no blank line, an array element that never
 * closes, a Bedrock frame announcing megabytes) must not grow the gateway's memory: with
 * `limits.maxUpstreamEventBytes` at 1 MiB, each dialect's stream, passed through or translated,
 * ends with the client's own in-band error soon after a mebibyte of the event, the upstream is cut
 * off long before its 100 MiB, and the call is recorded as interrupted with what it used so far.
 */
const LIMIT = 1024 * 1024;
const TOTAL = 100 * 1024 * 1024;
// What may have left the fake before the gateway hung up: the bound, the chunk queue and the kernel's socket buffers on loopback.
const WRITTEN_AT_MOST = 24 * 1024 * 1024;
const PRICE = { input: 1, output: 2 };
const AWS = { accessKeyId: 'AKIDENDLESS', secretAccessKey: 'endless-secret', region: 'us-east-1' };

let h: Harness;
let endless: FakeEndlessEvent;
let caller: { id: string; key: string };

beforeAll(async () => {
  endless = await startEndlessEventUpstream({ totalBytes: TOTAL });
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [
        // A pool whose first account (by weight, nearly always) answers without end, and whose second answers well.
        {
          id: 'pool',
          type: 'openai',
          accounts: [
            { id: 'endless', baseUrl: `${endless.url}/v1`, weight: 1000, apiKey: { env: 'TEST_UPSTREAM_KEY' } },
            { id: 'sound', baseUrl: upstream, weight: 1, apiKey: { env: 'TEST_UPSTREAM_KEY' } },
          ],
        },
        { id: 'compat', type: 'openai-compatible', baseUrl: `${endless.url}/v1`, accounts: [{ id: 'vllm', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'oai', type: 'openai', baseUrl: `${endless.url}/v1`, accounts: [{ id: 'o', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: endless.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'gem', type: 'gemini', baseUrl: endless.url, accounts: [{ id: 'g', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: endless.url, accounts: [{ id: 'b', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
      ],
      models: [
        { name: 'compat-model', price: PRICE, targets: [{ provider: 'compat', model: 'served-model' }] },
        { name: 'oai-model', price: PRICE, targets: [{ provider: 'oai', model: 'gpt-4o' }] },
        { name: 'claude-model', price: PRICE, targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini-model', price: PRICE, targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }] },
        { name: 'nova-model', price: PRICE, targets: [{ provider: 'aws', model: 'amazon.nova-pro-v1:0' }] },
        { name: 'pool-model', price: PRICE, targets: [{ provider: 'pool', model: 'gpt-4o' }] },
        { name: 'bedrock-claude', price: PRICE, targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
      ],
      limits: { maxUpstreamEventBytes: LIMIT },
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey },
  });
  // A budget: every relay then counts the output it relays, which a cut-off stream is charged by.
  caller = await h.createKey({ name: 'endless', models: ['*'], limits: { usdPerDay: 10 } });
}, 30_000);
afterAll(async () => {
  await h.close();
  await endless.close();
});
beforeEach(() => {
  endless.reset();
  h.upstream.reset();
  h.health.clear();
});

const PROMPT = 'Write me something long about the sea';

/** POSTs to the gateway and reads the whole answer (the gateway must end it). */
async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; requestId: string }> {
  const res = await fetch(`${h.gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.key}`, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, text: await res.text(), requestId: res.headers.get('x-request-id') ?? '' };
}

/** The usage record of this request, once written. */
async function recordOf(requestId: string) {
  let found: Awaited<ReturnType<Harness['usage']>>[number] | undefined;
  await eventually(async () => {
    found = (await h.usage(caller.id)).find((u) => u.requestId === requestId);
    expect(found).toBeDefined();
  });
  return found!;
}

/** The fake's one answer: it was hung up on, after about the bound and far short of all of it. */
async function expectCutOffNearTheBound(): Promise<void> {
  await eventually(() => expect(endless.answers[0]?.hungUp).toBe(true));
  const { written, dialect } = endless.answers[0]!;
  if (process.env.ENDLESS_REPORT) console.log(`${dialect}: ${written} bytes of the endless event written before the gateway hung up`);
  expect(written).toBeGreaterThan(0);
  expect(written).toBeLessThan(WRITTEN_AT_MOST);
}

/** Each case: how the client asks, what its in-band error looks like, and which upstream dialect answers. */
const STREAMS: {
  name: string;
  model: string;
  call: () => Promise<{ status: number; text: string; requestId: string }>;
  inBandError: RegExp;
  upstream: string;
  /** An image stream relays no text: its output is charged by the images it finished (none here). */
  noTextOutput?: true;
}[] = [
  {
    name: 'OpenAI SSE passed through (openai-compatible)',
    model: 'compat-model',
    call: () => post('/v1/chat/completions', { model: 'compat-model', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /data: \{"error":\{"message":"The upstream provider sent a stream event larger than the gateway accepts\.[^\n]*"code":"upstream_event_too_large"\}\}\n\n$/,
    upstream: 'openai',
  },
  {
    name: 'an image stream passed through (openai-compatible)',
    model: 'compat-model',
    call: () => post('/v1/images/generations', { model: 'compat-model', stream: true, prompt: PROMPT, partial_images: 2 }),
    inBandError: /data: \{"error":\{"message":"The upstream provider sent a stream event larger than the gateway accepts\.[^\n]*"code":"upstream_event_too_large"\}\}\n\n$/,
    upstream: 'openai',
    noTextOutput: true,
  },
  {
    name: 'OpenAI SSE translated for an Anthropic client',
    model: 'compat-model',
    call: () => post('/v1/messages', { model: 'compat-model', max_tokens: 100, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream provider sent a stream event larger than the gateway accepts\."\}\}\n\n$/,
    upstream: 'openai',
  },
  {
    name: 'Anthropic SSE passed through',
    model: 'claude-model',
    call: () => post('/v1/messages', { model: 'claude-model', max_tokens: 100, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream provider sent a stream event larger than the gateway accepts\."\}\}\n\n$/,
    upstream: 'anthropic',
  },
  {
    name: 'Anthropic SSE translated for an OpenAI client',
    model: 'claude-model',
    call: () => post('/v1/chat/completions', { model: 'claude-model', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /data: \{"error":\{"message":"The upstream provider sent a stream event larger than the gateway accepts\.[^\n]*\}\}\n\n$/,
    upstream: 'anthropic',
  },
  {
    name: 'Responses API SSE passed through',
    model: 'oai-model',
    call: () => post('/v1/responses', { model: 'oai-model', stream: true, input: PROMPT }),
    // response.failed for the response the client got, then the error event, numbered on.
    inBandError: /event: response.failed\ndata: \{"type":"response.failed","response":\{"id":"resp_endless"[^\n]*"status":"failed"[^\n]*"code":"upstream_event_too_large"[^\n]*"sequence_number":2\}\n\nevent: error\ndata: \{"type":"error","code":"upstream_event_too_large","message":"The upstream provider sent a stream event larger than the gateway accepts\.[^\n]*"sequence_number":3\}\n\n$/,
    upstream: 'responses',
  },
  {
    name: 'Gemini SSE passed through',
    model: 'gemini-model',
    call: () => post('/v1beta/models/gemini-model:streamGenerateContent?alt=sse', { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }, { 'x-goog-api-key': caller.key }),
    inBandError: /data: \{"error":\{"code":502,"message":"The upstream provider sent a stream event larger than the gateway accepts\.","status":"[A-Z_]+"\}\}\r?\n\r?\n$/,
    upstream: 'gemini-sse',
  },
  {
    name: 'Gemini JSON array passed through',
    model: 'gemini-model',
    call: () => post('/v1beta/models/gemini-model:streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }, { 'x-goog-api-key': caller.key }),
    // The guard held the open element back: the client's array ends with the error element, still valid JSON.
    inBandError: /^\[\{\n {2}"candidates"[\s\S]*Hello there[\s\S]*"modelVersion": "gemini-2\.5-flash"\n\}\n,\r\n\{"error":\{"code":502,"message":"The upstream provider sent a stream event larger than the gateway accepts\.","status":"[A-Z_]+"\}\}\n\]$/,
    upstream: 'gemini-array',
  },
  {
    name: 'Gemini SSE translated for an OpenAI client',
    model: 'gemini-model',
    call: () => post('/v1/chat/completions', { model: 'gemini-model', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /data: \{"error":\{"message":"The upstream provider sent a stream event larger than the gateway accepts\.[^\n]*\}\}\n\n$/,
    upstream: 'gemini-sse',
  },
  {
    name: 'Bedrock event stream translated (ConverseStream)',
    model: 'nova-model',
    call: () => post('/v1/chat/completions', { model: 'nova-model', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /data: \{"error":\{"message":"The upstream provider sent a stream event larger than the gateway accepts\.[^\n]*\}\}\n\n$/,
    upstream: 'bedrock-converse',
  },
  {
    name: 'Bedrock event stream of Claude passed through (InvokeModelWithResponseStream)',
    model: 'bedrock-claude',
    call: () => post('/v1/messages', { model: 'bedrock-claude', max_tokens: 100, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    inBandError: /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream provider sent a stream event larger than the gateway accepts\."\}\}\n\n$/,
    upstream: 'bedrock-invoke',
  },
];

describe('one endless upstream event', () => {
  it.each(STREAMS)('$name: ends the stream with the in-band error soon after the bound, and records what was used', async ({ model, call, inBandError, upstream, noTextOutput }) => {
    const { status, text, requestId } = await call();

    expect(status).toBe(200);
    expect(endless.answers[0]?.dialect).toBe(upstream);
    expect(text).toContain('Hello there');
    expect(text).toMatch(inBandError);
    // What reached the client is the opening and the error: none of the endless event.
    expect(text).not.toContain('aaaa');
    await expectCutOffNearTheBound();
    const record = await recordOf(requestId);
    expect(record).toMatchObject({ model, status: 200, outcome: 'interrupted', errorCode: 'upstream_event_too_large' });
    expect(record.inputTokens).toBeGreaterThan(0);
    if (!noTextOutput) expect(record.outputTokens).toBeGreaterThan(0);
  }, 30_000);

  it("keeps the gateway's memory near the bound while 100 MiB of one event arrive", async () => {
    // Sampled while the stream runs: the gateway shares this process with the test.
    global.gc?.();
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed - before.heapUsed + now.arrayBuffers - before.arrayBuffers);
    }, 2);

    const { text } = await post('/v1/chat/completions', { model: 'compat-model', stream: true, messages: [{ role: 'user', content: PROMPT }] });
    clearInterval(sampler);

    expect(text).toContain('upstream_event_too_large');
    await expectCutOffNearTheBound();
    // Held whole, the event would be 100 MiB (200 MiB as a JS string); bounded, a few MiB and the runtime's noise.
    if (process.env.ENDLESS_REPORT) console.log(`peak growth of heap and buffers: ${peak} bytes`);
    expect(peak).toBeLessThan(48 * 1024 * 1024);
  }, 30_000);
});

describe('an endless whole answer', () => {
  it('is a 502 in the OpenAI error shape, passed through, after about eight times the bound', async () => {
    const { status, text, requestId } = await post('/v1/chat/completions', { model: 'compat-model', messages: [{ role: 'user', content: PROMPT }] });

    expect(status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { message: 'The upstream provider sent an answer larger than the gateway accepts.', code: 'upstream_answer_too_large' } });
    await expectCutOffNearTheBound();
    expect(await recordOf(requestId)).toMatchObject({ model: 'compat-model', status: 502, errorCode: 'upstream_answer_too_large' });
  }, 30_000);

  it('is a 502 in the Anthropic error shape, translated', async () => {
    const { status, text } = await post('/v1/messages', { model: 'compat-model', max_tokens: 100, messages: [{ role: 'user', content: PROMPT }] });

    expect(status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ type: 'error', error: { type: 'api_error', message: 'The upstream provider sent an answer larger than the gateway accepts.' } });
    await expectCutOffNearTheBound();
  }, 30_000);
});

describe('a pool whose first account answers without end', () => {
  it('ends a whole answer over its bound with the 502, without failover or rest: the next account would answer as large', async () => {
    // Act
    const { status, text, requestId } = await post('/v1/chat/completions', { model: 'pool-model', messages: [{ role: 'user', content: `${PROMPT}, whole` }] });

    // Assess: the size is the request's doing as far as the gateway can tell; asking the sound account would bill it again for the same refusal.
    expect(status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_answer_too_large' } });
    expect(endless.answers.map((a) => a.dialect)).toEqual(['whole']);
    await expectCutOffNearTheBound();
    expect(h.upstream.requests).toHaveLength(0);
    expect(h.health.isCooling('pool/endless')).toBe(false);
    expect(await recordOf(requestId)).toMatchObject({ provider: 'pool', account: 'endless', attempts: 1, status: 502, errorCode: 'upstream_answer_too_large' });
  }, 30_000);

  it('ends a stream already started with the in-band error, without failover or rest, as a stream that breaks off', async () => {
    // Act
    const { status, text, requestId } = await post('/v1/chat/completions', { model: 'pool-model', stream: true, messages: [{ role: 'user', content: `${PROMPT}, streamed` }] });

    // Assess: the opening had reached the client; a stream is not taken back, nor its account rested (the next call may go there again).
    expect(status).toBe(200);
    expect(text).toContain('Hello there');
    expect(text).toContain('upstream_event_too_large');
    expect(h.upstream.requests).toHaveLength(0);
    expect(h.health.isCooling('pool/endless')).toBe(false);
    expect(await recordOf(requestId)).toMatchObject({ account: 'endless', attempts: 1, outcome: 'interrupted', errorCode: 'upstream_event_too_large' });
  }, 30_000);
});
