import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic, type FakeAnthropic } from './anthropic';

const API_KEY = 'sk-ant-test-0123456789';
const MODEL = 'claude-sonnet-4-6';
const USER = [{ role: 'user' as const, content: 'hello world' }];
const TOOLS = [{ name: 'f', input_schema: { type: 'object' as const } }];
const use = (id: string) => ({ type: 'tool_use', id, name: 'f', input: {} });
const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' });

describe('fake Anthropic upstream', () => {
  let fake: FakeAnthropic;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY });
    client = new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0, timeout: 5_000 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('answers a non-stream create with an echo of the last user message', async () => {
    // Act
    const message = await client.messages.create({ model: MODEL, max_tokens: 100, messages: USER });

    // Assess
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, content: [{ type: 'text', text: 'Echo: hello world' }], stop_reason: 'end_turn', stop_sequence: null });
    expect(message.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
    expect(message.usage).toMatchObject({ output_tokens: 3, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it('records the request with its key, version and unknown fields', async () => {
    // Act
    await client.messages.create({ model: MODEL, max_tokens: 10, messages: USER, context_management: { edits: [] } } as Anthropic.MessageCreateParamsNonStreaming);

    // Assess
    const [sent] = fake.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/messages', body: { model: MODEL, max_tokens: 10, context_management: { edits: [] } } });
    expect(sent?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Current SDKs send the key as a Bearer token; the fake accepts both forms, like the real API.
    expect(sent?.headers.authorization ?? `Bearer ${sent?.headers['x-api-key']}`).toBe(`Bearer ${API_KEY}`);
  });

  it('streams text that the SDK assembles into the final message', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'Hello there, friend', chunks: ['Hel', 'lo there', ', friend'], usage: { input: 12, output: 4, cacheRead: 100, cacheWrite: 7 } });

    // Act
    const stream = client.messages.stream({ model: MODEL, max_tokens: 100, messages: USER });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const message = await stream.finalMessage();

    // Assess
    expect(deltas).toEqual(['Hel', 'lo there', ', friend']);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello there, friend' }]);
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 });
  });

  it('streams tool input as partial JSON that opens with an empty fragment', async () => {
    // Prepare
    fake.reply({ kind: 'tool_use', text: 'Let me look.', calls: [{ id: 'toolu_01abc', name: 'get_weather', input: { city: 'Graz', days: 3 } }] });

    // Act
    const message = await client.messages.stream({ model: MODEL, max_tokens: 100, messages: USER, tools: [{ name: 'get_weather', input_schema: { type: 'object' } }] }).finalMessage();
    const raw = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 10, stream: true, messages: USER }),
    }).then((r) => r.text());

    // Assess
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[1]).toEqual({ type: 'tool_use', id: 'toolu_01abc', name: 'get_weather', input: { city: 'Graz', days: 3 } });
    expect(fake.requests[0]?.headers['x-stainless-helper-method']).toBe('stream');
    expect(raw).toMatch(/^event: message_start\ndata: \{.*\}\s*\n\nevent: content_block_start\n.*\n\nevent: ping\ndata: \{"type": "ping"\}\n\n/);
  });

  it('streams thinking with its signature before the text', async () => {
    // Prepare
    fake.reply({ kind: 'thinking', thinking: 'Let me think about it.', signature: 'SIGNATURE==', text: 'Four.' });

    // Act
    const message = await client.messages.stream({ model: MODEL, max_tokens: 2000, messages: USER, thinking: { type: 'enabled', budget_tokens: 1024 } }).finalMessage();

    // Assess
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think about it.', signature: 'SIGNATURE==' },
      { type: 'text', text: 'Four.' },
    ]);
  });

  it.each([
    { status: 400, errorClass: Anthropic.BadRequestError, type: 'invalid_request_error' },
    { status: 403, errorClass: Anthropic.PermissionDeniedError, type: 'permission_error' },
    { status: 404, errorClass: Anthropic.NotFoundError, type: 'not_found_error' },
    { status: 429, errorClass: Anthropic.RateLimitError, type: 'rate_limit_error' },
    { status: 500, errorClass: Anthropic.InternalServerError, type: 'api_error' },
    { status: 529, errorClass: Anthropic.InternalServerError, type: 'overloaded_error' },
  ])('answers $status with the real error body, raised by the SDK as its typed error', async ({ status, errorClass, type }) => {
    // Prepare
    fake.reply({ kind: 'error', status });

    // Act
    const error = await client.messages.create({ model: MODEL, max_tokens: 10, messages: USER }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(errorClass);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type } });
  });

  it('sends retry-after with a 429', async () => {
    // Prepare
    fake.reply({ kind: 'error', status: 429 });

    // Act
    const error = (await client.messages.create({ model: MODEL, max_tokens: 10, messages: USER }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(error.headers?.get('retry-after')).toBe('1');
  });

  it('refuses a wrong key with 401 authentication_error', async () => {
    // Prepare
    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: fake.url, maxRetries: 0 });

    // Act
    const error = await wrong.messages.create({ model: MODEL, max_tokens: 10, messages: USER }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('refuses a request without anthropic-version', async () => {
    // Act
    const res = await fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': API_KEY }, body: JSON.stringify({ model: MODEL, max_tokens: 1, messages: USER }) });

    // Assess
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  });

  it.each([
    { name: 'an empty text block', messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }], tools: undefined, message: /non-whitespace text/ },
    { name: 'a tool id with a dot', messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'call.1', name: 'f', input: {} }] }], tools: [{ name: 'f', input_schema: { type: 'object' } }], message: /pattern/ },
    { name: 'tool history without tools', messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] }], tools: undefined, message: /must define tools/ },
    {
      name: 'a tool_use whose result is not in the next message',
      messages: [...USER, { role: 'assistant', content: [use('toolu_1'), use('toolu_2')] }, { role: 'user', content: [result('toolu_2')] }, { role: 'user', content: [result('toolu_1')] }],
      tools: TOOLS,
      message: /^400 .*messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1\./,
    },
    { name: 'a tool_result answering no tool_use just before', messages: [...USER, { role: 'user', content: [result('toolu_9')] }], tools: TOOLS, message: /messages\.1\.content\.0: unexpected `tool_use_id`/ },
    {
      name: 'a fifth cache breakpoint (tools and messages counted together)',
      messages: [{ role: 'user', content: ['a', 'b', 'c', 'd'].map((text) => ({ type: 'text', text, cache_control: { type: 'ephemeral' } })) }],
      tools: [{ ...TOOLS[0]!, cache_control: { type: 'ephemeral' } }],
      message: /A maximum of 4 blocks with cache_control may be provided\. Found 5\./,
    },
    {
      name: 'a fifth cache breakpoint inside a tool_result’s content (counted with the rest)',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'file', cache_control: { type: 'ephemeral' } }] },
            ...['b', 'c'].map((text) => ({ type: 'text', text, cache_control: { type: 'ephemeral' } })),
          ],
        },
      ],
      tools: [{ ...TOOLS[0]!, cache_control: { type: 'ephemeral' } }],
      message: /A maximum of 4 blocks with cache_control may be provided\. Found 5\./,
    },
  ])('refuses $name like the real API does', async ({ messages, tools, message }) => {
    // Act
    const error = await client.messages.create({ model: MODEL, max_tokens: 10, messages, ...(tools ? { tools } : {}) } as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toMatch(message);
  });

  const THINKING = { type: 'enabled', budget_tokens: 1024 } as const;

  it.each<{ name: string; extra: Record<string, unknown>; message: string }>([
    { name: 'a temperature other than 1', extra: { temperature: 0 }, message: '`temperature` may only be set to 1 when thinking is enabled.' },
    { name: 'a top_k', extra: { top_k: 40 }, message: '`top_k` must be unset when thinking is enabled.' },
    { name: 'tool use forced to any tool', extra: { tools: TOOLS, tool_choice: { type: 'any' } }, message: 'Thinking may not be enabled when tool_choice forces tool use.' },
    { name: 'tool use forced to one tool', extra: { tools: TOOLS, tool_choice: { type: 'tool', name: 'f' } }, message: 'Thinking may not be enabled when tool_choice forces tool use.' },
  ])('refuses $name beside thinking, in the real API’s words', async ({ extra, message }) => {
    // Act
    const error = await client.messages.create({ model: MODEL, max_tokens: 2000, messages: USER, thinking: THINKING, ...extra } as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain(message);
  });

  it('takes temperature 1, tool_choice auto and a top_k without thinking, as the real API does', async () => {
    // Act
    // The SDK's types no longer carry temperature or top_k (as in the refusals above).
    const thinking = await client.messages.create({ model: MODEL, max_tokens: 2000, messages: USER, thinking: THINKING, temperature: 1, tools: TOOLS, tool_choice: { type: 'auto' } } as Anthropic.MessageCreateParamsNonStreaming);
    const forced = await client.messages.create({ model: MODEL, max_tokens: 10, messages: USER, temperature: 0, top_k: 40, tools: TOOLS, tool_choice: { type: 'any' } } as Anthropic.MessageCreateParamsNonStreaming);

    // Assess
    expect([thinking.type, forced.type]).toEqual(['message', 'message']);
  });

  it('takes four cache breakpoints, its limit', async () => {
    // Act
    const content = ['a', 'b', 'c'].map((text) => ({ type: 'text' as const, text, cache_control: { type: 'ephemeral' as const } }));
    const res = await client.messages.create({ model: MODEL, max_tokens: 10, system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content }] });

    // Assess
    expect(res.type).toBe('message');
  });

  it('raises a mid-stream overloaded error through the SDK', async () => {
    // Prepare
    fake.reply({ kind: 'stream-error', afterEvents: 3 });

    // Act
    const error = await client.messages.stream({ model: MODEL, max_tokens: 10, messages: USER }).finalMessage().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('drops the connection mid-stream', async () => {
    // Prepare
    fake.reply({ kind: 'drop', afterEvents: 2 });

    // Act
    const error = await client.messages.stream({ model: MODEL, max_tokens: 10, messages: USER }).finalMessage().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
  });

  it('counts tokens and lists models in Anthropic shapes', async () => {
    // Act
    const count = await client.messages.countTokens({ model: MODEL, messages: USER });
    const page = await client.models.list();

    // Assess
    expect(count.input_tokens).toBeGreaterThan(0);
    expect(page.data.map((m) => m.id)).toContain(MODEL);
    expect(page.data[0]).toMatchObject({ type: 'model', created_at: expect.any(String), display_name: expect.any(String) });
  });

  it('times a client out with a hang', async () => {
    // Prepare
    fake.reply({ kind: 'hang' });
    const impatient = new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0, timeout: 200 });

    // Act
    const error = await impatient.messages.create({ model: MODEL, max_tokens: 10, messages: USER }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
  });
});
