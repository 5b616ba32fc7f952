import type { ChatRequest, Message } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import type { CallContext } from '../types';
import { anthropicToolId } from './ids';
import { anthropicRequest, DEFAULT_MAX_TOKENS, toAnthropicBody } from './request';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const base = (over: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'claude-sonnet-4-5', system: [], messages: [user('Hi')], stream: false, ...over });
const HI = { role: 'user', content: [{ type: 'text', text: 'Hi' }] };

describe('toAnthropicBody', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; expected: Record<string, unknown> }>([
    { name: 'gives max_tokens its default when the client sent none', input: {}, expected: { model: 'claude-sonnet-4-5', max_tokens: DEFAULT_MAX_TOKENS, messages: [HI] } },
    { name: 'keeps the client max_tokens', input: { maxTokens: 77 }, expected: { max_tokens: 77 } },
    {
      name: 'sends the system prompt as text blocks with their cache_control, skipping blank ones',
      input: { system: [{ type: 'text', text: 'You are terse.', cacheControl: { type: 'ephemeral' } }, { type: 'text', text: '  ' }, { type: 'text', text: 'Be kind.' }] },
      expected: { system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Be kind.' }] },
    },
    { name: 'maps stop to stop_sequences without whitespace-only entries', input: { stop: ['\n', 'END', ' '] }, expected: { stop_sequences: ['END'] } },
    { name: 'passes sampling options on', input: { temperature: 0.2, topP: 0.9, topK: 40 }, expected: { temperature: 0.2, top_p: 0.9, top_k: 40 } },
    { name: 'maps user to metadata.user_id', input: { user: 'u-42' }, expected: { metadata: { user_id: 'u-42' } } },
    { name: 'asks for a stream when streaming', input: { stream: true }, expected: { stream: true } },
    { name: 'maps a thinking budget to thinking enabled', input: { maxTokens: 8000, reasoning: { budgetTokens: 2048 } }, expected: { thinking: { type: 'enabled', budget_tokens: 2048 }, max_tokens: 8000 } },
    { name: 'raises a budget under Anthropic\'s least (Gemini\'s go down to 128) to 1 024', input: { maxTokens: 8000, reasoning: { budgetTokens: 128 } }, expected: { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 8000 } },
    { name: 'maps reasoning effort to a thinking budget and leaves room for the answer', input: { reasoning: { effort: 'medium' } }, expected: { thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 4096 + DEFAULT_MAX_TOKENS } },
    {
      name: 'maps a json_schema response format to structured outputs',
      input: { responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' } } },
      expected: { output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } },
    },
    { name: 'sends nothing for a text response format', input: { responseFormat: { type: 'text' } }, expected: { messages: [HI] } },
  ])('$name', ({ input, expected }) => {
    // Act
    const body = toAnthropicBody(base(input));

    // Assess
    expect(body).toMatchObject(expected);
  });

  it('leaves off cache marks beyond Claude’s four, the earliest turns’ first, as Anthropic refuses a fifth', () => {
    // Prepare: the system prompt and five user turns marked
    const mark = { type: 'ephemeral' } as const;
    const turns: Message[] = ['a', 'b', 'c', 'd', 'e'].flatMap((text): Message[] => [
      { role: 'user', parts: [{ type: 'text', text, cacheControl: mark }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] },
    ]).slice(0, -1);

    // Act
    const body = toAnthropicBody(base({ system: [{ type: 'text', text: 'S', cacheControl: mark }], messages: turns })) as { messages: { content: { cache_control?: unknown }[] }[]; system: unknown };

    // Assess
    expect(body.system).toEqual([{ type: 'text', text: 'S', cache_control: mark }]);
    expect(body.messages.map((m) => m.content[0]!.cache_control ?? null)).toEqual([null, null, null, null, mark, null, mark, null, mark]);
  });

  /** Every cache_control in a body, nested ones too, as Anthropic counts them against its four. */
  const sentMarks = (value: unknown): number => {
    if (Array.isArray(value)) return value.reduce((n: number, v) => n + sentMarks(v), 0);
    if (typeof value !== 'object' || value === null) return 0;
    return Object.entries(value).reduce((n, [k, v]) => n + (k === 'cache_control' ? 1 : sentMarks(v)), 0);
  };

  it('counts the marks inside a tool result’s content, which go out too, against the four', () => {
    // Prepare: the system prompt, two turns and a tool result’s text marked, and the turn after it
    const mark = { type: 'ephemeral' } as const;
    const req = base({
      system: [{ type: 'text', text: 'S', cacheControl: mark }],
      tools: [{ name: 'read', parameters: { type: 'object' } }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'a', cacheControl: mark }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'toolu_1', name: 'read', arguments: '{}' }] },
        { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'file', cacheControl: mark }] }, { type: 'text', text: 'b', cacheControl: mark }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] },
        { role: 'user', parts: [{ type: 'text', text: 'c', cacheControl: mark }] },
      ],
    });

    // Act
    const body = toAnthropicBody(req);

    // Assess: four marks, the earliest turn's left off
    expect(sentMarks(body)).toBe(4);
    expect(sentMarks((body.messages as unknown[])[0])).toBe(0);
  });

  it('does not count a mark on blank text, which never goes out, so no real mark is left off for it', () => {
    // Prepare: the system prompt and three turns marked, and a blank text part marked
    const mark = { type: 'ephemeral' } as const;
    const turn = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text, cacheControl: mark }] });
    const reply: Message = { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] };
    const req = base({ system: [{ type: 'text', text: 'S', cacheControl: mark }], messages: [turn('a'), reply, turn('b'), reply, { role: 'user', parts: [{ type: 'text', text: 'c', cacheControl: mark }, { type: 'text', text: ' ', cacheControl: mark }] }] });

    // Act
    const body = toAnthropicBody(req);

    // Assess: every mark on a text that is sent stays
    expect(sentMarks(body)).toBe(4);
    expect(sentMarks((body.messages as unknown[])[0])).toBe(1);
  });

  it('leaves out the client’s temperature and top_p when it asked for thinking as an effort, as OpenAI’s reasoning models have them left out', () => {
    // Prepare: Roo Code’s OpenAI Compatible shape, its default temperature of 0 beside reasoning_effort
    const req = base({ temperature: 0, topP: 0.9, reasoning: { effort: 'medium' } });

    // Act
    const body = toAnthropicBody(req);

    // Assess
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
  });

  it('sends the client’s temperature when the policy’s max_tokens leaves no room for the effort’s thinking, which is then not turned on', () => {
    // Act
    const body = toAnthropicBody(base({ temperature: 0.2, maxTokens: 100, reasoning: { effort: 'low' }, setByPolicy: { maxTokens: true } }));

    // Assess
    expect(body).not.toHaveProperty('thinking');
    expect(body).toMatchObject({ temperature: 0.2, max_tokens: 100 });
  });

  it('takes a default max_tokens override', () => {
    expect(toAnthropicBody(base(), { defaultMaxTokens: 1000 }).max_tokens).toBe(1000);
  });

  it.each<{ name: string; input: Pick<ChatRequest, 'tools' | 'toolChoice' | 'parallelToolCalls'>; expected: Record<string, unknown> }>([
    {
      name: 'sends tools with input_schema, strict and cache_control',
      input: { tools: [{ name: 'get', description: 'Gets', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true, cacheControl: { type: 'ephemeral' } }] },
      expected: { tools: [{ name: 'get', description: 'Gets', input_schema: { type: 'object', properties: { q: { type: 'string' } } }, strict: true, cache_control: { type: 'ephemeral' } }] },
    },
    { name: 'gives a tool without parameters an empty object schema', input: { tools: [{ name: 'now', parameters: {} }] }, expected: { tools: [{ name: 'now', input_schema: { type: 'object', properties: {} } }] } },
    { name: 'maps tool choice auto', input: { tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'auto' } }, expected: { tool_choice: { type: 'auto' } } },
    { name: 'maps tool choice required to any', input: { tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'required' } }, expected: { tool_choice: { type: 'any' } } },
    { name: 'maps tool choice none', input: { tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'none' } }, expected: { tool_choice: { type: 'none' } } },
    { name: 'maps a named tool choice', input: { tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'tool', name: 'f' } }, expected: { tool_choice: { type: 'tool', name: 'f' } } },
    {
      name: 'maps parallel_tool_calls false to disable_parallel_tool_use',
      input: { tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'required' }, parallelToolCalls: false },
      expected: { tool_choice: { type: 'any', disable_parallel_tool_use: true } },
    },
    { name: 'disables parallel calls without a tool choice through auto', input: { tools: [{ name: 'f', parameters: {} }], parallelToolCalls: false }, expected: { tool_choice: { type: 'auto', disable_parallel_tool_use: true } } },
  ])('$name', ({ input, expected }) => {
    expect(toAnthropicBody(base(input))).toMatchObject(expected);
  });

  it.each<{ name: string; messages: Message[]; expected: unknown[] }>([
    {
      name: 'never sends an empty text block: a tool-call-only assistant turn has only tool_use',
      messages: [user('Weather?'), { role: 'assistant', parts: [{ type: 'text', text: '' }, { type: 'tool_call', id: 'toolu_1', name: 'w', arguments: '{"city":"Graz"}' }] }],
      expected: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'w', input: { city: 'Graz' } }] },
      ],
    },
    {
      name: 'reads empty tool arguments as an empty object',
      messages: [user('x'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'toolu_1', name: 'now', arguments: '' }] }],
      expected: [expect.anything(), { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'now', input: {} }] }],
    },
    {
      name: 'merges consecutive tool results into one user message, results first',
      messages: [
        user('go'),
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'f', arguments: '{}' }, { type: 'tool_call', id: 'b', name: 'f', arguments: '{}' }] },
        { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'a', content: 'A' }] },
        { role: 'user', parts: [{ type: 'text', text: 'and also' }, { type: 'tool_result', toolCallId: 'b', content: 'B', isError: true }] },
      ],
      expected: [
        expect.anything(),
        expect.anything(),
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'a', content: 'A' },
            { type: 'tool_result', tool_use_id: 'b', content: 'B', is_error: true },
            { type: 'text', text: 'and also' },
          ],
        },
      ],
    },
    {
      name: 'merges consecutive user turns',
      messages: [user('one'), user('two')],
      expected: [{ role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }],
    },
    {
      name: 'drops a turn left empty and merges its neighbours',
      messages: [user('one'), { role: 'assistant', parts: [{ type: 'text', text: ' ' }] }, user('two')],
      expected: [{ role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }],
    },
    {
      name: 'sanitises tool ids the same way in tool_use and tool_result',
      messages: [
        user('go'),
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call.1|x', name: 'f', arguments: '{}' }] },
        { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call.1|x', content: 'ok' }] },
      ],
      expected: [
        expect.anything(),
        { role: 'assistant', content: [{ type: 'tool_use', id: anthropicToolId('call.1|x'), name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: anthropicToolId('call.1|x'), content: 'ok' }] },
      ],
    },
    {
      name: 'keeps an empty string tool result and drops blank text inside block results',
      messages: [
        user('go'),
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'f', arguments: '{}' }, { type: 'tool_call', id: 'b', name: 'f', arguments: '{}' }] },
        { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'a', content: '' }, { type: 'tool_result', toolCallId: 'b', content: [{ type: 'text', text: '' }, { type: 'text', text: 'B' }] }] },
      ],
      expected: [expect.anything(), expect.anything(), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: '' }, { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: 'B' }] }] }],
    },
    {
      name: 'keeps signed thinking and redacted thinking in assistant turns, drops unsigned thinking',
      messages: [
        user('go'),
        {
          role: 'assistant',
          parts: [
            { type: 'thinking', text: 'hmm', signature: 'sig==' },
            { type: 'redacted_thinking', data: 'enc' },
            { type: 'thinking', text: 'from another provider' },
            { type: 'tool_call', id: 'a', name: 'f', arguments: '{}' },
          ],
        },
      ],
      expected: [
        expect.anything(),
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig==' }, { type: 'redacted_thinking', data: 'enc' }, { type: 'tool_use', id: 'a', name: 'f', input: {} }] },
      ],
    },
    {
      name: 'maps images: base64, data URLs and http URLs',
      messages: [
        {
          role: 'user',
          parts: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' }, cacheControl: { type: 'ephemeral' } },
            { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
          ],
        },
      ],
      expected: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' }, cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    },
    {
      name: 'maps documents: PDF base64, plain text and URL',
      messages: [
        {
          role: 'user',
          parts: [
            { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' }, title: 'Report' },
            { type: 'document', source: { kind: 'text', text: 'Plain words' } },
            { type: 'document', source: { kind: 'base64', mediaType: 'text/plain', data: Buffer.from('Decoded').toString('base64') } },
            { type: 'document', source: { kind: 'url', url: 'https://example.com/a.pdf' } },
          ],
        },
      ],
      expected: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'Report' },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Plain words' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Decoded' } },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
          ],
        },
      ],
    },
    {
      name: 'keeps cache_control on tool_use and tool_result blocks',
      messages: [
        user('go'),
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'f', arguments: '{}', cacheControl: { type: 'ephemeral' } }] },
        { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'a', content: 'ok', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
      ],
      expected: [
        expect.anything(),
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {}, cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'ok', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      ],
    },
  ])('$name', ({ messages, expected }) => {
    // Act
    const body = toAnthropicBody(base({ messages, tools: [{ name: 'f', parameters: {} }] }));

    // Assess
    expect(body.messages).toEqual(expected);
  });

  it('declares the tools a history uses when the request has none, and keeps the model from calling them', () => {
    // Prepare
    const messages: Message[] = [user('go'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'lookup', arguments: '{}' }] }, { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'a', content: 'ok' }] }];

    // Act
    const body = toAnthropicBody(base({ messages }));

    // Assess
    expect(body).toMatchObject({ tools: [{ name: 'lookup', input_schema: { type: 'object', properties: {} } }], tool_choice: { type: 'none' } });
  });

  it.each<{ name: string; input: Partial<ChatRequest>; param: string }>([
    { name: 'seed', input: { seed: 7 }, param: 'seed' },
    { name: 'temperature above 1', input: { temperature: 1.5 }, param: 'temperature' },
    { name: 'a json_object response format', input: { responseFormat: { type: 'json_object' } }, param: 'response_format' },
    { name: 'max_tokens no larger than the thinking budget', input: { maxTokens: 1000, reasoning: { budgetTokens: 2000 } }, param: 'max_tokens' },
    { name: 'tool arguments that are not JSON', input: { messages: [user('x'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'f', arguments: '{oops' }] }] }, param: 'messages[1].content[0].arguments' },
    { name: 'tool arguments that are not an object', input: { messages: [user('x'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'f', arguments: '[1]' }] }] }, param: 'messages[1].content[0].arguments' },
    {
      name: "a second call's arguments that are not JSON, after a text and a call",
      input: {
        messages: [
          user('x'),
          {
            role: 'assistant',
            parts: [
              { type: 'text', text: 'Looking.' },
              { type: 'tool_call', id: 'a', name: 'f', arguments: '{}' },
              { type: 'tool_call', id: 'b', name: 'f', arguments: '{"city": ' },
            ],
          },
        ],
      },
      param: 'messages[1].content[2].arguments',
    },
    { name: 'an image URL that is neither http(s) nor data', input: { messages: [{ role: 'user', parts: [{ type: 'image', source: { kind: 'url', url: 'ftp://x/y.png' } }] }] }, param: 'messages[0].content[0]' },
    { name: 'a request whose messages are all empty', input: { messages: [user('')] }, param: 'messages' },
    // Anthropic: "temperature may only be set to 1 when thinking is enabled"; top_p only from 0.95 to 1; no top_k.
    { name: 'a temperature other than 1 with thinking asked for as a budget (Anthropic’s own terms)', input: { temperature: 0.2, reasoning: { budgetTokens: 2048 } }, param: 'temperature' },
    { name: 'a top_p under 0.95 with thinking', input: { topP: 0.9, reasoning: { budgetTokens: 2048 } }, param: 'top_p' },
    { name: 'a top_k with thinking', input: { topK: 40, reasoning: { effort: 'low' } }, param: 'top_k' },
  ])('refuses $name with a 400 naming the field', ({ input, param }) => {
    // Act
    const act = () => toAnthropicBody(base(input));

    // Assess
    expect(act).toThrow(GatewayError);
    try {
      act();
    } catch (err) {
      expect(err).toMatchObject({ status: 400, param });
    }
  });
});

describe('an image URL Anthropic cannot take', () => {
  const ftp = { type: 'image' as const, source: { kind: 'url' as const, url: 'ftp://files.example.com/cat.png' } };
  it.each<{ name: string; messages: Message[]; param: string }>([
    { name: 'a user part after a text', messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is this?' }, ftp] }], param: 'messages[0].content[1]' },
    { name: 'a part of a later message, after merged turns', messages: [user('a'), { role: 'assistant', parts: [{ type: 'text', text: 'b' }] }, user('c'), { role: 'user', parts: [{ type: 'text', text: ' ' }, ftp] }], param: 'messages[3].content[1]' },
    {
      name: 'an image in a tool result',
      messages: [
        user('x'),
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'shot', arguments: '{}' }] },
        { role: 'user', parts: [{ type: 'text', text: 'Here.' }, { type: 'tool_result', toolCallId: 'a', content: [{ type: 'text', text: 'taken' }, ftp] }] },
      ],
      param: 'messages[2].content[1].content[1]',
    },
  ])('is refused in $name, naming the part and quoting it in the message', ({ messages, param }) => {
    // Act
    const act = () => toAnthropicBody(base({ messages }));

    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        status: 400,
        code: 'unsupported_value',
        param,
        message: `Image URLs (${param}) must be http(s) or base64 data URLs for provider type anthropic.`,
      }),
    );
  });
});

describe('anthropicToolId', () => {
  it.each([
    { input: 'toolu_01AbC-9', expected: 'toolu_01AbC-9' },
    { input: 'call.1', expected: /^call_1_[0-9a-f]{8}$/ },
    { input: '...', expected: /^____[0-9a-f]{8}$/ },
    { input: '', expected: /^toolu_[0-9a-f]{8}$/ },
  ])('makes $input a valid Anthropic id', ({ input, expected }) => {
    const id = anthropicToolId(input);
    expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
    if (typeof expected === 'string') expect(id).toBe(expected);
    else expect(id).toMatch(expected);
  });

  it('keeps ids apart that differ only in invalid characters', () => {
    expect(anthropicToolId('call.1')).not.toBe(anthropicToolId('call:1'));
  });
});

describe('anthropicRequest', () => {
  const call = (over: Partial<CallContext> = {}): CallContext => ({
    provider: { id: 'anth', type: 'anthropic', baseUrl: 'https://api.anthropic.com', version: '2023-06-01' },
    account: { id: 'a1', weight: 1, headers: { 'x-extra': '1' } },
    apiKey: 'sk-ant-key',
    timeouts: { headersMs: 1000, idleMs: 2000 },
    ...over,
  });

  it('posts to /v1/messages with the key, version and content type', () => {
    // Act
    const req = anthropicRequest(base({ stream: true }), call());

    // Assess
    expect(req).toMatchObject({ url: 'https://api.anthropic.com/v1/messages', method: 'POST', headersTimeoutMs: 1000, idleTimeoutMs: 2000 });
    expect(req.headers).toEqual({ 'x-extra': '1', 'content-type': 'application/json', accept: 'text/event-stream', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-key' });
    expect(JSON.parse(String(req.body))).toMatchObject({ model: 'claude-sonnet-4-5', stream: true });
  });

  it.each([
    { name: 'the account base URL before the provider one', account: { id: 'a', weight: 1, baseUrl: 'http://127.0.0.1:9/' }, provider: {}, expected: 'http://127.0.0.1:9/v1/messages' },
    { name: 'a base URL configured with /v1', account: { id: 'a', weight: 1 }, provider: { baseUrl: 'http://proxy.local/v1' }, expected: 'http://proxy.local/v1/messages' },
    { name: 'the public API when none is configured', account: { id: 'a', weight: 1 }, provider: { baseUrl: undefined }, expected: 'https://api.anthropic.com/v1/messages' },
  ])('uses $name', ({ account, provider, expected }) => {
    const c = call({ account, provider: { ...call().provider, ...provider } });
    expect(anthropicRequest(base(), c).url).toBe(expected);
  });

  it("sends the call's timeouts (the pipeline applies the provider's) and the default version", () => {
    // Act
    const req = anthropicRequest(base(), { ...call({ provider: { id: 'p', type: 'anthropic' } }), timeouts: { headersMs: 1000, idleMs: 5 } });

    // Assess
    expect(req).toMatchObject({ headersTimeoutMs: 1000, idleTimeoutMs: 5 });
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
  });
});

describe('signatures of another family, and the tool loop they leave without thinking', () => {
  const call = { type: 'tool_call' as const, id: 'toolu_1', name: 'weather', arguments: '{}' };
  const loop = (thinking: Extract<Message, { role: 'assistant' }>['parts']): Message[] => [
    user('Weather?'),
    { role: 'assistant', parts: [...thinking, call] },
    { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'toolu_1', content: '12' }] },
  ];
  const tools = [{ name: 'weather', parameters: { type: 'object', properties: {} } }];

  it.each<{ name: string; thinking: Extract<Message, { role: 'assistant' }>['parts']; blocks: unknown[]; thinkingOn: boolean }>([
    {
      name: "keeps Claude's signed thinking and extended thinking",
      thinking: [{ type: 'thinking', text: 'Look it up.', signature: 'EqQB', signedBy: 'claude' }],
      blocks: [{ type: 'thinking', thinking: 'Look it up.', signature: 'EqQB' }],
      thinkingOn: true,
    },
    {
      name: 'keeps thinking signed before the mark (no family: what the old code sent)',
      thinking: [{ type: 'thinking', text: 'Look it up.', signature: 'EqQB' }],
      blocks: [{ type: 'thinking', thinking: 'Look it up.', signature: 'EqQB' }],
      thinkingOn: true,
    },
    { name: "drops OpenAI's reasoning, and sends the loop without extended thinking", thinking: [{ type: 'thinking', text: 'Plan.', signature: 'gAAAAABo', signedBy: 'openai' }], blocks: [], thinkingOn: false },
    { name: "drops Gemini's thought, and sends the loop without extended thinking", thinking: [{ type: 'thinking', text: 'Plan.', signature: 'CiQB', signedBy: 'gemini' }], blocks: [], thinkingOn: false },
    { name: 'sends a loop whose turn never had thinking without extended thinking', thinking: [], blocks: [], thinkingOn: false },
    { name: 'keeps redacted thinking (only Claude makes it)', thinking: [{ type: 'redacted_thinking', data: 'EmwK' }], blocks: [{ type: 'redacted_thinking', data: 'EmwK' }], thinkingOn: true },
  ])('$name', ({ thinking, blocks, thinkingOn }) => {
    // Act
    const body = toAnthropicBody(base({ messages: loop(thinking), tools, reasoning: { budgetTokens: 2048 } }));

    // Assess
    expect((body.messages as { content: unknown[] }[])[1]!.content).toEqual([...blocks, { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} }]);
    expect(body.thinking).toEqual(thinkingOn ? { type: 'enabled', budget_tokens: 2048 } : undefined);
  });

  it('keeps extended thinking on a new user turn after a turn whose thinking was dropped', () => {
    const messages: Message[] = [...loop([{ type: 'thinking', text: 'x', signature: 'CiQB', signedBy: 'gemini' }]), { role: 'assistant', parts: [{ type: 'text', text: 'It is 12.' }] }, user('Thanks. And tomorrow?')];
    const body = toAnthropicBody(base({ messages, tools, reasoning: { budgetTokens: 2048 } }));
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });
});

describe('sampling options and thinking, which Claude takes together only within its bounds', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; expected: Record<string, unknown> }>([
    { name: 'keeps a temperature of 1 and a top_p from 0.95 with thinking', input: { temperature: 1, topP: 0.95, reasoning: { effort: 'low' } }, expected: { temperature: 1, top_p: 0.95, thinking: { type: 'enabled', budget_tokens: 1024 } } },
    {
      name: "turns no thinking on for an effort the model's policy filled in when the client set a temperature",
      input: { temperature: 0.2, topK: 40, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } },
      expected: { temperature: 0.2, top_k: 40, thinking: undefined, max_tokens: DEFAULT_MAX_TOKENS },
    },
    {
      name: "leaves out a temperature and top_p the model's policy filled in when the client asked for thinking",
      input: { temperature: 0.2, topP: 0.5, reasoning: { effort: 'low' }, setByPolicy: { temperature: true, topP: true } },
      expected: { temperature: undefined, top_p: undefined, thinking: { type: 'enabled', budget_tokens: 1024 } },
    },
  ])('$name', ({ input, expected }) => {
    // Act
    const body = toAnthropicBody(base(input));

    // Assess
    const present = Object.fromEntries(Object.entries(expected).filter(([, value]) => value !== undefined));
    expect(body).toMatchObject(present);
    for (const [field, value] of Object.entries(expected)) if (value === undefined) expect(body).not.toHaveProperty(field);
  });

  it.each<{ name: string; input: Partial<ChatRequest>; expected: Record<string, unknown> }>([
    { name: 'the top_p the policy filled in beside the client’s temperature', input: { temperature: 0.2, topP: 0.9, setByPolicy: { topP: true } }, expected: { temperature: 0.2 } },
    { name: 'the temperature the policy filled in beside the client’s top_p', input: { temperature: 0.2, topP: 0.9, setByPolicy: { temperature: true } }, expected: { top_p: 0.9 } },
    { name: 'the top_p of two the policy filled in', input: { temperature: 0.2, topP: 0.9, setByPolicy: { temperature: true, topP: true } }, expected: { temperature: 0.2 } },
  ])('sends one of temperature and top_p (Claude Sonnet 4.5 and later refuse both), leaving out $name', ({ input, expected }) => {
    // Act
    const body = toAnthropicBody(base(input));

    // Assess
    expect({ temperature: body.temperature, top_p: body.top_p }).toEqual({ temperature: undefined, top_p: undefined, ...expected });
  });

  it('sends both temperature and top_p when the client sent both (earlier models take them)', () => {
    expect(toAnthropicBody(base({ temperature: 0.2, topP: 0.9 }))).toMatchObject({ temperature: 0.2, top_p: 0.9 });
  });

  it.each<{ name: string; input: Partial<ChatRequest>; message: string }>([
    { name: 'a temperature beside a thinking budget, the only thinking it is refused with', input: { temperature: 0.2, reasoning: { budgetTokens: 2048 } }, message: 'temperature may only be 1 while thinking with a thinking budget for provider type anthropic.' },
    { name: 'a top_p beside a thinking budget', input: { topP: 0.5, reasoning: { budgetTokens: 2048 } }, message: 'top_p must be from 0.95 to 1 while thinking with a thinking budget for provider type anthropic.' },
    { name: 'a top_k beside thinking asked for as an effort', input: { topK: 40, reasoning: { effort: 'low' } }, message: 'top_k cannot be set while thinking for provider type anthropic.' },
  ])('refuses $name in words that say when it is refused', ({ input, message }) => {
    // Act
    const act = () => toAnthropicBody(base(input));

    // Assess
    expect(act).toThrow(message);
  });

  it('still refuses a top_k the client sent with thinking it asked for, whatever the policy filled in', () => {
    // Act
    const act = () => toAnthropicBody(base({ temperature: 0.2, topK: 40, reasoning: { effort: 'low' }, setByPolicy: { temperature: true } }));

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, param: 'top_k' }));
  });
});

describe('a thinking budget and a max_tokens the model’s policy put at odds', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; maxTokens: number; thinking: unknown }>([
    { name: 'sizes the budget of an effort just under a max_tokens the policy capped', input: { maxTokens: 2000, reasoning: { effort: 'high' }, setByPolicy: { maxTokens: true } }, maxTokens: 2000, thinking: { type: 'enabled', budget_tokens: 1999 } },
    { name: 'sizes the budget of an effort the policy filled in just under the client’s max_tokens', input: { maxTokens: 3000, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } }, maxTokens: 3000, thinking: { type: 'enabled', budget_tokens: 2999 } },
    { name: 'does not think when the capped max_tokens leaves no room for the least budget', input: { maxTokens: 1024, reasoning: { effort: 'low' }, setByPolicy: { maxTokens: true } }, maxTokens: 1024, thinking: undefined },
    { name: 'keeps a budget that fits as it is', input: { maxTokens: 8000, reasoning: { effort: 'medium' }, setByPolicy: { maxTokens: true } }, maxTokens: 8000, thinking: { type: 'enabled', budget_tokens: 4096 } },
  ])('$name', ({ input, maxTokens, thinking }) => {
    // Act
    const body = toAnthropicBody(base(input));

    // Assess
    expect(body.max_tokens).toBe(maxTokens);
    expect(body.thinking).toEqual(thinking);
  });
});

describe('a thinking budget under the client’s own max_tokens', () => {
  // OpenAI counts reasoning inside max_completion_tokens and takes any effort with any limit: an
  // effort's budget is the gateway's own mapping, so it gives way to the client's limit.
  it.each<{ name: string; input: Partial<ChatRequest>; thinking: unknown }>([
    { name: 'keeps the effort’s budget where it leaves the answer its room', input: { maxTokens: 32768, reasoning: { effort: 'high' } }, thinking: { type: 'enabled', budget_tokens: 16384 } },
    { name: 'lowers high’s budget to leave the answer its room under 8 000 tokens (valid on o-series)', input: { maxTokens: 8000, reasoning: { effort: 'high' } }, thinking: { type: 'enabled', budget_tokens: 8000 - 1024 } },
    { name: 'lowers a budget just under max_tokens, which would leave the answer almost nothing', input: { maxTokens: 16500, reasoning: { effort: 'high' } }, thinking: { type: 'enabled', budget_tokens: 16500 - 1024 } },
    { name: 'keeps the least budget while max_tokens is above it, the answer getting the rest', input: { maxTokens: 1500, reasoning: { effort: 'medium' } }, thinking: { type: 'enabled', budget_tokens: 1024 } },
    { name: 'does not think when max_tokens leaves no room for the least budget', input: { maxTokens: 1024, reasoning: { effort: 'low' } }, thinking: undefined },
    { name: 'keeps the client’s own budget that fits, however little room it leaves', input: { maxTokens: 8500, reasoning: { budgetTokens: 8000 } }, thinking: { type: 'enabled', budget_tokens: 8000 } },
    // Gemini's budgets go down to 128: raised to Claude's least, one that fitted the client's limit no longer does.
    { name: 'does not think when only raising the client’s small budget to the least put it over max_tokens', input: { maxTokens: 1000, reasoning: { budgetTokens: 512 } }, thinking: undefined },
  ])('$name', ({ input, thinking }) => {
    // Act
    const body = toAnthropicBody(base(input));

    // Assess
    expect(body.max_tokens).toBe(input.maxTokens);
    expect(body.thinking).toEqual(thinking);
  });

  it('still refuses the client’s own budget that does not fit under its max_tokens, naming max_tokens', () => {
    // Act
    const act = () => toAnthropicBody(base({ maxTokens: 8000, reasoning: { budgetTokens: 8000 } }));

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, param: 'max_tokens', message: expect.stringContaining('must be greater than the thinking budget (8000)') }));
  });
});

describe('an effort the model’s policy filled in that Claude does not think on', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; declined: string[] }>([
    { name: 'tells of it when the client’s temperature clashes with thinking', input: { temperature: 0.2, reasoning: { effort: 'low' }, setByPolicy: { reasoning: true } }, declined: ['reasoningEffort'] },
    { name: 'tells of it when max_tokens leaves no room for the least budget', input: { maxTokens: 1000, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true, maxTokens: true } }, declined: ['reasoningEffort'] },
    { name: 'says nothing when it becomes thinking', input: { maxTokens: 3000, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } }, declined: [] },
    { name: 'says nothing of the client’s own effort, which a cap left no room for', input: { maxTokens: 1024, reasoning: { effort: 'low' }, setByPolicy: { maxTokens: true } }, declined: [] },
  ])('$name', ({ input, declined }) => {
    // Prepare
    const told: string[] = [];

    // Act
    toAnthropicBody(base(input), { onPolicyDeclined: (param) => told.push(param) });

    // Assess
    expect(told).toEqual(declined);
  });
});

describe('sampling options the translation leaves out, told so the usage record says so', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; dropped: string[] }>([
    { name: 'the client’s temperature and top_p beside thinking asked for as an effort (Roo Code’s temperature 0)', input: { temperature: 0, topP: 0.9, reasoning: { effort: 'medium' } }, dropped: ['temperature', 'topP'] },
    { name: 'a temperature the policy filled in beside the client’s thinking budget', input: { temperature: 0.2, reasoning: { budgetTokens: 2048 }, setByPolicy: { temperature: true } }, dropped: ['temperature'] },
    { name: 'a top_p the policy filled in beside the client’s temperature', input: { temperature: 0.2, topP: 0.9, setByPolicy: { topP: true } }, dropped: ['topP'] },
    { name: 'nothing when thinking takes the temperature as it is', input: { temperature: 1, reasoning: { effort: 'low' } }, dropped: [] },
    { name: 'nothing without thinking', input: { temperature: 0 }, dropped: [] },
  ])('$name', ({ input, dropped }) => {
    // Prepare
    const told: string[] = [];

    // Act
    toAnthropicBody(base(input), { onParamDropped: (param) => told.push(param) });

    // Assess
    expect(told).toEqual(dropped);
  });

  it('tells nothing of a call refused for its top_k beside the temperature it would leave out: nothing went upstream', () => {
    // Prepare
    const told: string[] = [];

    // Act
    const act = () => toAnthropicBody(base({ temperature: 0, topK: 40, reasoning: { effort: 'medium' } }), { onParamDropped: (param) => told.push(param) });

    // Assess
    expect(act).toThrow('top_k cannot be set');
    expect(told).toEqual([]);
  });
});

describe('a prefill (a final assistant message, as Aider continues a cut answer)', () => {
  const prefill = (text: string): Message[] => [user('Rewrite app.py'), { role: 'assistant', parts: [{ type: 'text', text }] }];

  it.each<{ name: string; input: Partial<ChatRequest>; lastText: string; thinking: unknown }>([
    { name: 'stays last, as it came', input: { messages: prefill('import os') }, lastText: 'import os', thinking: undefined },
    { name: 'loses its trailing whitespace, which Claude refuses', input: { messages: prefill('import os\n\n') }, lastText: 'import os', thinking: undefined },
    {
      name: 'loses its trailing whitespace when its last part is blank',
      input: { messages: [user('Rewrite app.py'), { role: 'assistant', parts: [{ type: 'text', text: 'import os\n' }, { type: 'text', text: '\n' }] }] },
      lastText: 'import os',
      thinking: undefined,
    },
    { name: 'goes without thinking, which Claude refuses beside a prefill', input: { messages: prefill('import os'), reasoning: { effort: 'low' } }, lastText: 'import os', thinking: undefined },
    { name: 'keeps thinking when the conversation ends with the user', input: { messages: [user('Rewrite app.py')], reasoning: { effort: 'low' } }, lastText: 'Rewrite app.py', thinking: { type: 'enabled', budget_tokens: 1024 } },
  ])('$name', ({ input, lastText, thinking }) => {
    // Act
    const body = toAnthropicBody(base(input)) as { messages: { content: { text: string }[] }[]; thinking?: unknown };

    // Assess
    expect(body.messages.at(-1)!.content[0]!.text).toBe(lastText);
    expect(body.thinking).toEqual(thinking);
  });
});

describe('a prefill of only whitespace', () => {
  it('is left off, so Claude answers the user afresh instead of refusing an empty final assistant message', () => {
    // Prepare
    const messages: Message[] = [user('Rewrite app.py'), { role: 'assistant', parts: [{ type: 'text', text: '\n\n' }] }];

    // Act
    const body = toAnthropicBody(base({ messages })) as { messages: { role: string; content: { text: string }[] }[] };

    // Assess
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Rewrite app.py' }] }]);
  });
});

describe('a forced tool beside thinking, which Claude refuses together', () => {
  const tools: ChatRequest['tools'] = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];

  it.each<{ name: string; input: Partial<ChatRequest>; toolChoice: unknown; thinking: unknown; temperature: unknown; declined: string[] }>([
    { name: 'tool_choice required beside an effort goes without thinking', input: { tools, toolChoice: { type: 'required' }, reasoning: { effort: 'high' } }, toolChoice: { type: 'any' }, thinking: undefined, temperature: undefined, declined: [] },
    { name: 'a named tool beside an effort goes without thinking', input: { tools, toolChoice: { type: 'tool', name: 'get_weather' }, reasoning: { effort: 'low' } }, toolChoice: { type: 'tool', name: 'get_weather' }, thinking: undefined, temperature: undefined, declined: [] },
    { name: 'the client’s temperature is kept when no thinking goes (the sampling rule sees none)', input: { tools, toolChoice: { type: 'required' }, temperature: 0, reasoning: { effort: 'medium' } }, toolChoice: { type: 'any' }, thinking: undefined, temperature: 0, declined: [] },
    { name: 'an effort the policy filled in is declined', input: { tools, toolChoice: { type: 'required' }, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } }, toolChoice: { type: 'any' }, thinking: undefined, temperature: undefined, declined: ['reasoningEffort'] },
    { name: 'a budget the policy filled in gives way too', input: { tools, toolChoice: { type: 'required' }, reasoning: { budgetTokens: 2048 }, setByPolicy: { reasoning: true } }, toolChoice: { type: 'any' }, thinking: undefined, temperature: undefined, declined: ['reasoningEffort'] },
    { name: 'tool_choice auto keeps thinking', input: { tools, toolChoice: { type: 'auto' }, reasoning: { effort: 'low' } }, toolChoice: { type: 'auto' }, thinking: { type: 'enabled', budget_tokens: 1024 }, temperature: undefined, declined: [] },
    { name: 'tool_choice none keeps thinking', input: { tools, toolChoice: { type: 'none' }, reasoning: { effort: 'low' } }, toolChoice: { type: 'none' }, thinking: { type: 'enabled', budget_tokens: 1024 }, temperature: undefined, declined: [] },
    { name: 'a forced tool without thinking is sent as it is', input: { tools, toolChoice: { type: 'required' } }, toolChoice: { type: 'any' }, thinking: undefined, temperature: undefined, declined: [] },
  ])('$name', ({ input, toolChoice, thinking, temperature, declined }) => {
    // Prepare
    const told: string[] = [];

    // Act
    const body = toAnthropicBody(base(input), { onPolicyDeclined: (param) => told.push(param) });

    // Assess
    expect(body.tool_choice).toEqual(toolChoice);
    expect(body.thinking).toEqual(thinking);
    expect(body.temperature).toEqual(temperature);
    expect(told).toEqual(declined);
  });

  it.each<{ name: string; toolChoice: ChatRequest['toolChoice'] }>([
    { name: 'required', toolChoice: { type: 'required' } },
    { name: 'a named tool', toolChoice: { type: 'tool', name: 'get_weather' } },
  ])('refuses the client’s own thinking budget beside $name, naming tool_choice', ({ toolChoice }) => {
    // Act
    const act = () => toAnthropicBody(base({ tools, toolChoice, reasoning: { budgetTokens: 2048 } }));

    // Assess
    expect(act).toThrow(GatewayError);
    try {
      act();
    } catch (err) {
      expect(err).toMatchObject({ status: 400, param: 'tool_choice' });
    }
  });
});
