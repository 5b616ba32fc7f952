import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../../../test/fakes/azure-openai';
import type { ChatRequest, StreamEvent } from '../../canonical/types';
import type { ProviderConfig } from '../../config/schema';
import { relayOpenAIStream } from '../../surfaces/openai-chat/relay';
import { createUpstreamClient, type UpstreamClient } from '../../upstream/http';
import { OpenAIStreamMeter } from '../openai/stream-meter';
import type { CallContext } from '../types';
import { operationRequest, type OpenAIChatCall } from '../openai/request';
import { azureOpenAIProvider, azureOperationTarget, azurePassthroughRequest, azureResponsesRequest } from './index';

const KEY = 'azure-key-0123456789';
const timeouts = { headersMs: 5_000, idleMs: 5_000 };
const req: ChatRequest = {
  model: 'gpt4o',
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'hello' }] }],
  maxTokens: 50,
  stream: false,
};

function callFor(provider: Record<string, unknown>, account: Record<string, unknown> = {}): CallContext {
  return { provider: { id: 'az', type: 'azure-openai', ...provider }, account: { id: 'a', weight: 1, ...account }, apiKey: KEY, timeouts };
}

describe('azureOpenAIProvider.buildRequest, mended', () => {
  it('sends the body the call’s mend returns for the one it wrote', async () => {
    const mend = jest.fn((body: Record<string, unknown>) => ({ ...body, mended: true }));

    const upstream = await azureOpenAIProvider.buildRequest(req, { ...callFor({ baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-10-21' }), mend });

    expect(mend).toHaveBeenCalledWith(expect.objectContaining({ max_completion_tokens: 50 }));
    expect(JSON.parse(String(upstream.body))).toMatchObject({ max_completion_tokens: 50, mended: true });
  });
});

describe('azureOpenAIProvider.buildRequest', () => {
  const cases: { name: string; call: CallContext; stream: boolean; url: string; body: Record<string, unknown>; noModel?: boolean }[] = [
    {
      name: 'uses the deployments path with api-version and leaves the model out of the body',
      call: callFor({ baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-10-21' }),
      stream: false,
      url: 'https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
      body: { max_completion_tokens: 50, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }] },
      noModel: true,
    },
    {
      name: 'uses the v1 path without api-version, naming the deployment as model, and asks for usage on streams',
      call: callFor({ baseUrl: 'https://res.openai.azure.com/' }),
      stream: true,
      url: 'https://res.openai.azure.com/openai/v1/chat/completions',
      body: { model: 'gpt4o', stream: true, stream_options: { include_usage: true } },
    },
    {
      name: "prefers the account's resource and accepts a pasted endpoint ending in /openai/v1",
      call: callFor({ baseUrl: 'https://other.openai.azure.com' }, { baseUrl: 'https://mine.openai.azure.com/openai/v1/', headers: { 'x-ms-client': 'gw' } }),
      stream: false,
      url: 'https://mine.openai.azure.com/openai/v1/chat/completions',
      body: { model: 'gpt4o' },
    },
  ];

  it.each(cases)('$name', async ({ call, stream, url, body, noModel }) => {
    // Act
    const upstream = await azureOpenAIProvider.buildRequest({ ...req, stream }, call);

    // Assess
    expect(upstream.url).toBe(url);
    expect(upstream.headers['api-key']).toBe(KEY);
    expect(upstream.headers).not.toHaveProperty('authorization');
    expect(upstream.headers.accept).toBe(stream ? 'text/event-stream' : 'application/json');
    const sent = JSON.parse(String(upstream.body)) as Record<string, unknown>;
    expect(sent).toMatchObject(body);
    if (noModel) expect(sent).not.toHaveProperty('model');
    if (call.account.headers) expect(upstream.headers['x-ms-client']).toBe('gw');
  });
});

describe('azureOpenAIProvider against the fake Azure resource', () => {
  let fake: FakeAzureOpenAI;
  let client: UpstreamClient;
  let call: CallContext;
  beforeAll(async () => {
    fake = await startFakeAzureOpenAI({ apiKey: KEY });
    client = createUpstreamClient();
    call = callFor({ baseUrl: fake.url, apiVersion: '2024-10-21' });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  async function streamEvents(): Promise<StreamEvent[]> {
    const res = await client.send(await azureOpenAIProvider.buildRequest({ ...req, stream: true }, call));
    const events: StreamEvent[] = [];
    for await (const event of azureOpenAIProvider.parseStream(res.body, req)) events.push(event);
    return events;
  }

  it('decodes a stream with the filter chunks skipped, the content_filter finish and usage after it', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'one two three', finishReason: 'content_filter', usage: { prompt: 9, completion: 3 } });

    // Act
    const events = await streamEvents();

    // Assess
    expect(events.map((e) => e.type)).toEqual(['start', 'text_delta', 'text_delta', 'text_delta', 'finish', 'usage']);
    expect(events[0]).toMatchObject({ type: 'start', id: expect.stringMatching(/^chatcmpl-/), model: 'gpt4o' });
    expect(events.at(-2)).toEqual({ type: 'finish', reason: 'content_filter' });
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { input: 9, output: 3, cacheRead: 0, cacheWrite: 0, reasoning: 0 } });
  });

  it('decodes parallel tool calls with stable ids and distinct indexes', async () => {
    // Prepare
    fake.reply({ kind: 'tool_calls', calls: [{ id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' }, { id: 'call_b', name: 'time', arguments: '{}' }] });

    // Act
    const events = await streamEvents();

    // Assess
    const starts = events.filter((e) => e.type === 'tool_call_start');
    expect(starts).toEqual([
      { type: 'tool_call_start', toolIndex: 0, id: 'call_a', name: 'weather' },
      { type: 'tool_call_start', toolIndex: 1, id: 'call_b', name: 'time' },
    ]);
    const args = (i: number) => events.flatMap((e) => (e.type === 'tool_call_delta' && e.toolIndex === i ? [e.arguments] : [])).join('');
    expect([args(0), args(1)]).toEqual(['{"city":"Paris"}', '{}']);
    expect(events.find((e) => e.type === 'finish')).toEqual({ type: 'finish', reason: 'tool_calls' });
  });

  it('decodes a whole answer', async () => {
    // Act
    const res = await client.send(await azureOpenAIProvider.buildRequest(req, call));
    const answer = azureOpenAIProvider.parseResponse(JSON.parse(await res.body.text()), req);

    // Assess
    expect(answer).toMatchObject({ model: 'gpt4o', parts: [{ type: 'text', text: 'Echo: hello' }], finishReason: 'stop', usage: { input: 10, output: 3 } });
  });

  it.each([
    { name: 'a filtered prompt passes as a 400 with code content_filter', reply: { kind: 'prompt_filtered' as const }, expected: { status: 400, code: 'content_filter', param: 'prompt' } },
    { name: "a 429 keeps Azure's retry-after", reply: { kind: 'error' as const, status: 429 }, expected: { status: 429, kind: 'rate_limit', headers: { 'retry-after': '6' } } },
    { name: "Azure's 401 for the gateway's key becomes a 502", reply: undefined, expected: { status: 502, code: 'upstream_auth_failed' } },
  ])('reports errors: $name', async ({ reply, expected }) => {
    // Prepare
    if (reply) fake.reply(reply);
    const target = reply ? call : { ...call, apiKey: 'wrong-key' };

    // Act
    const res = await client.send(await azureOpenAIProvider.buildRequest(req, target));
    const error = azureOpenAIProvider.parseError(res.status, res.headers, await res.body.text(), 'az');

    // Assess
    expect(error).toMatchObject(expected);
  });
});

describe('azurePassthroughRequest', () => {
  const provider = (apiVersion?: string): ProviderConfig => ({
    id: 'az',
    type: 'azure-openai',
    baseUrl: 'https://res.openai.azure.com',
    accounts: [{ id: 'a', weight: 1 }],
    ...(apiVersion ? { apiVersion } : {}),
  });
  const body = { model: 'client-name', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 2 }, stream: true, stream_options: { include_obfuscation: false } };

  it.each([
    { name: 'removes the model on the deployments path', apiVersion: '2024-10-21', url: 'https://res.openai.azure.com/openai/deployments/dep%201/chat/completions?api-version=2024-10-21', model: undefined },
    { name: 'sets the model to the deployment on the v1 path', apiVersion: undefined, url: 'https://res.openai.azure.com/openai/v1/chat/completions', model: 'dep 1' },
  ])('$name, keeps unknown fields and forces usage on streams', ({ apiVersion, url, model }) => {
    // Act
    const upstream = azurePassthroughRequest({ provider: provider(apiVersion), account: { id: 'a', weight: 1 }, apiKey: KEY, model: 'dep 1', body, stream: true, timeouts });

    // Assess
    const sent = JSON.parse(String(upstream.body)) as Record<string, unknown>;
    expect(upstream.url).toBe(url);
    expect(upstream.headers['api-key']).toBe(KEY);
    expect(sent.model).toBe(model);
    expect(sent).toMatchObject({ logit_bias: { '1': 2 }, stream_options: { include_obfuscation: false, include_usage: true } });
  });

  describe('with the existing relay and meter', () => {
    let fake: FakeAzureOpenAI;
    let client: UpstreamClient;
    beforeAll(async () => {
      fake = await startFakeAzureOpenAI({ apiKey: KEY });
      client = createUpstreamClient();
    });
    afterAll(async () => {
      await client.close();
      await fake.close();
    });

    it.each([
      { name: 'passes the bytes unchanged when the client asked for usage', stripUsage: false },
      { name: 'drops only the usage chunk when the client did not ask for usage', stripUsage: true },
    ])('meters an Azure stream with its extra chunks and $name', async ({ stripUsage }) => {
      // Prepare
      fake.reply({ kind: 'text', text: 'one two three four', usage: { prompt: 11, completion: 4, cached: 2 } });
      const azure: ProviderConfig = { ...provider('2024-10-21'), baseUrl: fake.url };
      const res = await client.send(azurePassthroughRequest({ provider: azure, account: { id: 'a', weight: 1 }, apiKey: KEY, model: 'gpt4o', body: { messages: body.messages, stream: true }, stream: true, timeouts }));
      const meter = new OpenAIStreamMeter(0, () => 5);

      // Act
      let out = '';
      for await (const piece of relayOpenAIStream(res.body, { meter, stripUsage })) out += Buffer.from(piece).toString('utf8');

      // Assess
      expect(meter).toMatchObject({ usage: { input: 11, output: 4, cacheRead: 2 }, finishReason: 'stop', sawDone: true, firstTokenMs: 5, error: undefined });
      expect(out).toContain('"prompt_filter_results"');
      expect(out).toContain('"content_filter_offsets"');
      expect(out.includes('"prompt_tokens":11')).toBe(!stripUsage);
      expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
    });
  });
});

describe('Azure auth headers on every request builder', () => {
  const entra = {
    tenantId: 'tenant',
    clientId: 'client',
    clientSecret: { env: 'AZURE_CLIENT_SECRET' },
    authorityHost: 'https://login.microsoftonline.com',
    scope: 'https://cognitiveservices.azure.com/.default',
  };
  const TOKEN = 'eyJ0eXAiOiJKV1Qi.entra-access-token.sig';
  const chat = { messages: [{ role: 'user', content: 'hi' }] };
  // One call that serves the translating adapter (a CallContext) and the passthrough builders (an OpenAIChatCall).
  type EveryCall = CallContext & OpenAIChatCall;
  const builders: [string, (call: EveryCall) => { headers: Record<string, string> }][] = [
    ['translated chat', (call) => azureOpenAIProvider.buildRequest(req, call) as { headers: Record<string, string> }],
    ['passed-through chat', (call) => azurePassthroughRequest(call)],
    ['embeddings', (call) => operationRequest(call, azureOperationTarget(call, 'embeddings'))],
    ['images', (call) => operationRequest(call, azureOperationTarget(call, 'images/generations'))],
    ['Responses', (call) => azureResponsesRequest(call)],
  ];
  const accounts: [string, Record<string, unknown>, Record<string, unknown>, Record<string, string>][] = [
    ['a key account', {}, { apiKey: { env: 'AZURE_KEY' } }, { 'api-key': TOKEN }],
    ['an Entra account', {}, { entra }, { authorization: `Bearer ${TOKEN}` }],
    ['an account of a provider with Entra', { entra }, {}, { authorization: `Bearer ${TOKEN}` }],
    ['a key account of a provider with Entra', { entra }, { apiKey: { env: 'AZURE_KEY' } }, { 'api-key': TOKEN }],
  ];

  it.each(builders.flatMap(([what, build]) => accounts.map(([who, provider, account, auth]) => [what, who, build, provider, account, auth] as const)))(
    '%s for %s sends the right header and no other',
    (_what, _who, build, provider, account, auth) => {
      // Prepare
      const azure = { id: 'az', type: 'azure-openai', baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-10-21', accounts: [], ...provider } as ProviderConfig & Record<string, unknown>;
      const call: EveryCall = { ...callFor({}, account), provider: azure, apiKey: TOKEN, model: 'gpt4o', body: chat, stream: false };

      // Act
      const { headers } = build(call);

      // Assess
      const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name === 'api-key' || name === 'authorization'));
      expect(sent).toEqual(auth);
    },
  );
});
