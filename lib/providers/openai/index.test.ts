import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/openai';
import type { ChatRequest, StreamEvent } from '../../canonical/types';
import { createUpstreamClient, type UpstreamClient } from '../../upstream/http';
import type { CallContext } from '../types';
import { openAIProvider } from './index';

const KEY = 'sk-upstream-0123456789';
const timeouts = { headersMs: 5_000, idleMs: 6_000 };
const req: ChatRequest = { model: 'gpt-4o-mini', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'hello' }] }], maxTokens: 64, stream: false };

function callFor(provider: Record<string, unknown>, account: Record<string, unknown> = {}): CallContext {
  return { provider: { id: 'p', type: 'openai', ...provider }, account: { id: 'a', weight: 1, ...account }, apiKey: KEY, timeouts };
}

describe('openAIProvider.buildRequest', () => {
  const cases: { name: string; call: CallContext; url: string; body: Record<string, unknown>; headers: Record<string, string | undefined>; timeouts?: object }[] = [
    {
      name: "sends max_completion_tokens to OpenAI at its default URL with the account's headers",
      call: callFor({}, { headers: { 'OpenAI-Organization': 'org-1' } }),
      url: 'https://api.openai.com/v1/chat/completions',
      body: { model: 'gpt-4o-mini', max_completion_tokens: 64 },
      headers: { authorization: `Bearer ${KEY}`, 'OpenAI-Organization': 'org-1', 'content-type': 'application/json' },
    },
    {
      name: 'sends max_tokens to an OpenAI-compatible server at its base URL, without auth when it has no key',
      call: { ...callFor({ type: 'openai-compatible', baseUrl: 'http://localhost:11434/v1/' }), apiKey: undefined },
      url: 'http://localhost:11434/v1/chat/completions',
      body: { model: 'gpt-4o-mini', max_tokens: 64 },
      headers: { authorization: undefined },
    },
    {
      name: "prefers the account's base URL and sends the call's timeouts (the pipeline applies the provider's)",
      call: { ...callFor({ baseUrl: 'https://a.example/v1' }, { baseUrl: 'https://b.example/v1' }), timeouts: { headersMs: 5_000, idleMs: 99 } },
      url: 'https://b.example/v1/chat/completions',
      body: {},
      headers: {},
      timeouts: { headersTimeoutMs: 5_000, idleTimeoutMs: 99 },
    },
  ];

  it.each(cases)('$name', async ({ call, url, body, headers, timeouts: expectedTimeouts }) => {
    // Act
    const upstream = await openAIProvider.buildRequest(req, call);

    // Assess
    expect(upstream).toMatchObject({ url, method: 'POST', ...(expectedTimeouts ?? {}) });
    expect(JSON.parse(String(upstream.body))).toMatchObject(body);
    for (const [name, value] of Object.entries(headers)) expect(upstream.headers[name]).toBe(value);
  });

  it('sends the body the call’s mend returns for the one it wrote (a reasoning model’s, without temperature)', async () => {
    const mend = jest.fn((body: Record<string, unknown>) => {
      const { temperature: _refused, ...rest } = body;
      return rest;
    });

    const upstream = await openAIProvider.buildRequest({ ...req, model: 'o3', temperature: 0.2 }, { ...callFor({}), mend });

    expect(mend).toHaveBeenCalledWith(expect.objectContaining({ model: 'o3', temperature: 0.2, max_completion_tokens: 64 }));
    expect(JSON.parse(String(upstream.body))).toEqual({ model: 'o3', messages: [{ role: 'user', content: 'hello' }], max_completion_tokens: 64 });
  });
});

describe('openAIProvider against the fake OpenAI upstream', () => {
  let fake: FakeOpenAI;
  let client: UpstreamClient;
  let call: CallContext;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    client = createUpstreamClient();
    call = callFor({ baseUrl: fake.url });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  async function stream(): Promise<StreamEvent[]> {
    const res = await client.send(await openAIProvider.buildRequest({ ...req, stream: true }, call));
    const events: StreamEvent[] = [];
    for await (const event of openAIProvider.parseStream(res.body, req)) events.push(event);
    return events;
  }

  it('decodes a streamed tool-call answer and the usage chunk it asked for', async () => {
    // Prepare
    fake.reply({ kind: 'tool_calls', text: 'Sure.', calls: [{ id: 'call_x', name: 'weather', arguments: '{"city":"Paris"}' }], usage: { prompt: 20, completion: 9, cached: 8 } });

    // Act
    const events = await stream();

    // Assess
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(events.map((e) => e.type)).toEqual(['start', 'text_delta', 'tool_call_start', ...Array(5).fill('tool_call_delta'), 'tool_call_end', 'finish', 'usage']);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { input: 20, output: 9, cacheRead: 8, cacheWrite: 0, reasoning: 0 } });
  });

  it('throws a transport failure to the caller when the upstream resets the stream', async () => {
    // Prepare
    fake.reply({ kind: 'drop', afterChunks: 2 });

    // Act
    const pending = stream();

    // Assess: the caller tells a gone client from a broken upstream, so the decoder does not guess.
    await expect(pending).rejects.toThrow();
  });

  it('ends with an error event when the upstream closes cleanly before the finish', async () => {
    // Prepare
    fake.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: 'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n' });

    // Act
    const events = await stream();

    // Assess
    expect(events.map((e) => e.type)).toEqual(['start', 'text_delta', 'error']);
    expect(events[2]).toMatchObject({ error: { code: 'upstream_interrupted', status: 502 } });
  });

  it('turns an in-band error event into an error event', async () => {
    // Prepare
    fake.reply({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: ['data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n', 'data: {"error":{"message":"Server overloaded","type":"server_error","code":null}}\n\n'],
    });

    // Act
    const events = await stream();

    // Assess
    expect(events.map((e) => e.type)).toEqual(['start', 'text_delta', 'error']);
    // Worded as the HTTP path and the passthrough word it (`errorFromOpenAIEvent`): a server error of no named code is a 500.
    expect(events[2]).toMatchObject({ error: { message: 'Server overloaded', status: 500 } });
  });

  it('decodes a whole answer', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'Hello there', usage: { prompt: 5, completion: 2 } });

    // Act
    const res = await client.send(await openAIProvider.buildRequest(req, call));
    const answer = openAIProvider.parseResponse(JSON.parse(await res.body.text()), req);

    // Assess
    expect(answer).toMatchObject({ id: expect.stringMatching(/^chatcmpl-/), parts: [{ type: 'text', text: 'Hello there' }], finishReason: 'stop', usage: { input: 5, output: 2 } });
  });

  it('reports a 429 with its retry-after', async () => {
    // Prepare
    fake.reply({ kind: 'error', status: 429 });

    // Act
    const res = await client.send(await openAIProvider.buildRequest(req, call));
    const error = openAIProvider.parseError(res.status, res.headers, await res.body.text(), 'p');

    // Assess
    expect(error).toMatchObject({ status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } });
  });
});
