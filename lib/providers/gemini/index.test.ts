import { startFakeGemini, type FakeGemini } from '../../../test/fakes/gemini';
import type { ChatRequest, StreamEvent } from '../../canonical/types';
import { createUpstreamClient, type UpstreamClient } from '../../upstream/http';
import type { CallContext } from '../types';
import { geminiProvider } from './index';

const KEY = 'AIza-upstream-key';
const TIMEOUTS = { headersMs: 5_000, idleMs: 5_000 };
const call = (baseUrl: string, over: Partial<CallContext> = {}): CallContext => ({
  provider: { id: 'google', type: 'gemini', baseUrl },
  account: { id: 'main', weight: 1 },
  apiKey: KEY,
  timeouts: TIMEOUTS,
  ...over,
});
const ask = (text: string, over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-2.5-flash',
  system: [],
  messages: [{ role: 'user', parts: [{ type: 'text', text }] }],
  stream: false,
  ...over,
});

describe('geminiProvider.buildRequest', () => {
  it('posts JSON to generateContent with the key in x-goog-api-key and the account headers', async () => {
    // Act
    const upstream = await geminiProvider.buildRequest(ask('Hi'), call('https://generativelanguage.googleapis.com', { account: { id: 'a', weight: 1, headers: { 'x-extra': '1' } } }));

    // Assess
    expect(upstream).toMatchObject({
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent',
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-goog-api-key': KEY, 'x-extra': '1' },
      headersTimeoutMs: 5_000,
      idleTimeoutMs: 5_000,
    });
    expect(JSON.parse(upstream.body as string)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it("uses the account base URL over the provider one, the SSE URL for streams, and the call's timeouts", async () => {
    // Prepare
    const context = { ...call('https://provider.example', { account: { id: 'a', weight: 1, baseUrl: 'https://account.example/' }, provider: { id: 'g', type: 'gemini' } }), timeouts: { headersMs: 1_000, idleMs: 9 } };

    // Act
    const upstream = await geminiProvider.buildRequest(ask('Hi', { stream: true }), context);

    // Assess
    expect(upstream.url).toBe('https://account.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(upstream.headers.accept).toBe('text/event-stream');
    expect(upstream.idleTimeoutMs).toBe(9);
  });

  it('falls back to Google\'s endpoint when the provider names no base URL', async () => {
    // Act
    const upstream = await geminiProvider.buildRequest(ask('Hi'), call('', { provider: { id: 'g', type: 'gemini' } }));

    // Assess
    expect(upstream.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
  });
});

describe('geminiProvider against the fake Gemini API', () => {
  let fake: FakeGemini;
  let client: UpstreamClient;

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: KEY });
    client = createUpstreamClient();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  async function exchange(req: ChatRequest, apiKey = KEY) {
    const res = await client.send(await geminiProvider.buildRequest(req, call(fake.url, { apiKey })));
    if (res.status >= 400) return { error: geminiProvider.parseError(res.status, res.headers, await res.body.text(), 'google') };
    if (!req.stream) return { response: geminiProvider.parseResponse(JSON.parse(await res.body.text()), req) };
    const events: StreamEvent[] = [];
    for await (const event of geminiProvider.parseStream(res.body, req)) events.push(event);
    return { events };
  }

  it('gets a whole answer with usage', async () => {
    // Act
    const { response } = await exchange(ask('hello there'));

    // Assess
    expect(response).toMatchObject({ model: 'gemini-2.5-flash', parts: [{ type: 'text', text: 'Echo: hello there' }], finishReason: 'stop', usage: { output: 3 } });
  });

  it('streams a function call and sends its result back by name, with the signature and a schema Gemini accepts', async () => {
    // Prepare
    fake.reply({ kind: 'function_calls', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'c2ln' }] });
    const tools = [
      { name: 'weather', parameters: { type: 'object', properties: { city: { type: ['string', 'null'], format: 'uri' } }, additionalProperties: false, $schema: 'x' } },
      { name: 'clock', parameters: { type: 'object', properties: {} } },
    ];
    const first = ask('weather in Oslo?', { stream: true, tools });

    // Act
    const { events } = await exchange(first);
    const start = events?.find((e) => e.type === 'tool_call_start');
    fake.reply({ kind: 'text', text: 'Sunny.' });
    const followUp: ChatRequest = {
      ...first,
      stream: false,
      messages: [
        ...first.messages,
        { role: 'assistant', parts: [{ type: 'tool_call', id: start?.type === 'tool_call_start' ? start.id : '', name: 'weather', arguments: '{"city":"Oslo"}', signature: 'c2ln' }] },
        { role: 'user', parts: [{ type: 'tool_result', toolCallId: start?.type === 'tool_call_start' ? start.id : '', content: 'sunny, 21°C' }] },
      ],
    };
    const { response, error } = await exchange(followUp);

    // Assess
    expect(events?.map((e) => e.type)).toEqual(['start', 'tool_call_start', 'tool_call_delta', 'tool_call_end', 'usage', 'finish']);
    expect(events?.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
    expect(error).toBeUndefined();
    expect(response?.parts).toEqual([{ type: 'text', text: 'Sunny.' }]);
    expect((fake.requests[1]?.body as { contents: unknown[] }).contents.slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'c2ln' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { content: 'sunny, 21°C' } } }] },
    ]);
  });

  it('reports a wrong key as the gateway\'s credential failing (502)', async () => {
    // Act
    const { error } = await exchange(ask('x'), 'AIza-wrong');

    // Assess
    expect(error).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
  });

  it('reports a 429 with the body\'s retry delay as retry-after', async () => {
    // Prepare
    fake.reply({ kind: 'error', status: 429, retryDelay: '2.5s' });

    // Act
    const { error } = await exchange(ask('x', { stream: true }));

    // Assess
    expect(error).toMatchObject({ status: 429, kind: 'rate_limit', headers: { 'retry-after': '3' } });
  });

  it('passes on what arrived before a dropped connection, then throws the transport failure for the pipeline to handle', async () => {
    // Prepare
    fake.reply({ kind: 'drop', afterEvents: 1 });
    const req = ask('one two three', { stream: true });
    const res = await client.send(await geminiProvider.buildRequest(req, call(fake.url)));
    const events: StreamEvent[] = [];

    // Act
    const read = (async () => {
      for await (const event of geminiProvider.parseStream(res.body, req)) events.push(event);
    })();

    // Assess
    await expect(read).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(events.map((e) => e.type)).toEqual(['start', 'text_delta', 'usage']);
  });
});
