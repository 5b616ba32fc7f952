import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/anthropic';
import type { ChatRequest, StreamEvent } from '../../canonical/types';
import { createUpstreamClient, type UpstreamClient } from '../../upstream/http';
import type { CallContext } from '../types';
import { anthropicProvider } from './index';

const KEY = 'sk-ant-upstream';
const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'claude-sonnet-4-6',
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'Weather in Graz?' }] }],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
  stream: true,
  ...over,
});

describe('anthropicProvider against the fake Anthropic upstream', () => {
  let fake: FakeAnthropic;
  let upstream: UpstreamClient;
  let call: CallContext;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: KEY });
    upstream = createUpstreamClient();
    call = { provider: { id: 'anth', type: 'anthropic', baseUrl: fake.url, version: '2023-06-01' }, account: { id: 'a', weight: 1 }, apiKey: KEY, timeouts: { headersMs: 5000, idleMs: 5000 } };
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await upstream.close();
    await fake.close();
  });

  it('streams a tool call that the fake accepts and the decoder reassembles', async () => {
    // Prepare
    fake.reply({ kind: 'tool_use', text: 'Checking.', calls: [{ id: 'toolu_01x', name: 'get_weather', input: { city: 'Graz' } }], usage: { input: 40, output: 12, cacheRead: 8 } });

    // Act
    const res = await upstream.send(await anthropicProvider.buildRequest(request(), call));
    const events: StreamEvent[] = [];
    for await (const e of anthropicProvider.parseStream(res.body, request())) events.push(e);

    // Assess
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
    const args = events.flatMap((e) => (e.type === 'tool_call_delta' ? [e.arguments] : [])).join('');
    expect(JSON.parse(args)).toEqual({ city: 'Graz' });
    expect(events.slice(-2)).toEqual([
      { type: 'usage', usage: { input: 48, output: 12, cacheRead: 8, cacheWrite: 0, reasoning: 0 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('parses a whole answer', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'Sunny.', usage: { input: 10, output: 2 } });

    // Act
    const res = await upstream.send(await anthropicProvider.buildRequest(request({ stream: false }), call));
    const answer = anthropicProvider.parseResponse(JSON.parse(await res.body.text()), request());

    // Assess
    expect(answer).toMatchObject({ parts: [{ type: 'text', text: 'Sunny.' }], finishReason: 'stop', usage: { input: 10, output: 2 } });
  });

  it.each([
    { status: 529, expected: { status: 503, kind: 'overloaded' } },
    { status: 429, expected: { status: 429, kind: 'rate_limit', headers: { 'retry-after': '1' } } },
  ])('turns the fake $status into the client error', async ({ status, expected }) => {
    // Prepare
    fake.reply({ kind: 'error', status });

    // Act
    const res = await upstream.send(await anthropicProvider.buildRequest(request(), call));
    const error = anthropicProvider.parseError(res.status, res.headers, await res.body.text(), 'anth');

    // Assess
    expect(error).toMatchObject(expected);
  });

  it('sends tool history the fake accepts: ids sanitised alike, tools declared', async () => {
    // Prepare
    const messages: ChatRequest['messages'] = [
      { role: 'user', parts: [{ type: 'text', text: 'go' }] },
      { role: 'assistant', parts: [{ type: 'text', text: '' }, { type: 'tool_call', id: 'call.1', name: 'get_weather', arguments: '' }] },
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call.1', content: '' }] },
    ];

    // Act
    const res = await upstream.send(await anthropicProvider.buildRequest(request({ messages, tools: undefined, stream: false }), call));

    // Assess
    expect(res.status).toBe(200);
    await res.body.dump();
  });
});
