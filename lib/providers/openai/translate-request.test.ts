import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { decodeChatRequest } from '../../surfaces/openai-chat/decode';
import { openAIBodyOptions, toOpenAIChatBody, withinStopLimit } from './translate-request';

const base: ChatRequest = { model: 'gpt-4o', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false };
const OPENAI = openAIBodyOptions('openai');
const COMPATIBLE = openAIBodyOptions('openai-compatible');

describe('toOpenAIChatBody', () => {
  const cases: { name: string; input: Partial<ChatRequest>; options?: typeof OPENAI; expected: Record<string, unknown> }[] = [
    {
      name: 'sends the system parts as one system message before the history',
      input: { system: [{ type: 'text', text: 'Be terse.', cacheControl: { type: 'ephemeral' } }] },
      expected: { model: 'gpt-4o', messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Hi' }] },
    },
    {
      name: 'sends several system parts as text parts of one system message',
      input: { system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
      expected: { messages: [{ role: 'system', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] }, { role: 'user', content: 'Hi' }] },
    },
    {
      name: 'places tool results as tool messages right after the assistant turn, then the rest of the user turn',
      input: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Weather?' }] },
          {
            role: 'assistant',
            parts: [
              { type: 'thinking', text: 'Need a tool.', signature: 'sig' },
              { type: 'redacted_thinking', data: 'xx' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '' },
            ],
          },
          {
            role: 'user',
            parts: [
              { type: 'text', text: 'Also, hurry.' },
              { type: 'tool_result', toolCallId: 'toolu_1', content: 'sunny', isError: true },
            ],
          },
        ],
      },
      expected: {
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
          { role: 'user', content: 'Also, hurry.' },
        ],
      },
    },
    {
      name: 'moves images of a tool result into a user message after the tool messages',
      input: {
        messages: [
          { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'screenshot', arguments: '{}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 't1', content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAA' } }] }] },
        ],
      },
      expected: {
        messages: [
          { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'screenshot', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't1', content: '(see the attached image)' },
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } }] },
        ],
      },
    },
    {
      name: 'drops an assistant turn that held only thinking',
      input: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'A' }] }, { role: 'assistant', parts: [{ type: 'thinking', text: 'x' }] }, { role: 'user', parts: [{ type: 'text', text: 'B' }] }] },
      expected: { messages: [{ role: 'user', content: 'A' }, { role: 'user', content: 'B' }] },
    },
    {
      name: 'sends images as image_url and base64 documents as files, text documents as text',
      input: {
        messages: [
          {
            role: 'user',
            parts: [
              { type: 'image', source: { kind: 'url', url: 'https://x/cat.jpg' }, detail: 'high' },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, title: 'a.pdf' },
              { type: 'document', source: { kind: 'text', text: 'plain notes' } },
            ],
          },
        ],
      },
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'https://x/cat.jpg', detail: 'high' } },
              { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBE' } },
              { type: 'text', text: 'plain notes' },
            ],
          },
        ],
      },
    },
    {
      name: 'sends max_completion_tokens to OpenAI and the options it knows',
      input: {
        maxTokens: 100,
        temperature: 0.5,
        topP: 0.9,
        stop: ['END'],
        seed: 3,
        user: 'u1',
        reasoning: { effort: 'low' },
        responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
        tools: [{ name: 'f', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } }],
        toolChoice: { type: 'tool', name: 'f' },
        parallelToolCalls: false,
      },
      expected: {
        max_completion_tokens: 100,
        temperature: 0.5,
        top_p: 0.9,
        stop: ['END'],
        seed: 3,
        user: 'u1',
        reasoning_effort: 'low',
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
        parallel_tool_calls: false,
      },
    },
    {
      name: 'sends max_tokens and top_k to an OpenAI-compatible server',
      input: { maxTokens: 100, topK: 40 },
      options: COMPATIBLE,
      expected: { max_tokens: 100, top_k: 40 },
    },
    {
      name: 'turns a thinking budget into a reasoning effort',
      input: { reasoning: { budgetTokens: 10_000 } },
      expected: { reasoning_effort: 'high' },
    },
    {
      name: 'asks for the usage chunk on streams',
      input: { stream: true },
      expected: { stream: true, stream_options: { include_usage: true } },
    },
    {
      name: 'leaves the model out for Azure deployments and parallel_tool_calls out without tools',
      input: { parallelToolCalls: true, toolChoice: { type: 'none' } },
      options: openAIBodyOptions('azure-openai', { includeModel: false }),
      expected: { messages: [{ role: 'user', content: 'Hi' }], tool_choice: 'none' },
    },
  ];

  it.each(cases)('$name', ({ input, options, expected }) => {
    // Act
    const body = toOpenAIChatBody({ ...base, ...input }, options ?? OPENAI);

    // Assess
    expect(body).toMatchObject(expected);
    if (expected.messages) expect(body.messages).toEqual(expected.messages);
    if (expected.tools) expect(body.tools).toEqual(expected.tools);
    if (options?.includeModel === false) expect(body).not.toHaveProperty('model');
    if (!input.tools) expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  const refusals: { name: string; input: Partial<ChatRequest>; param: string; message: RegExp }[] = [
    { name: 'refuses top_k for OpenAI', input: { topK: 5 }, param: 'top_k', message: /top_k is not supported by provider type openai/ },
    {
      name: 'refuses a document given by URL',
      input: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }, { type: 'document', source: { kind: 'url', url: 'https://x/a.pdf' } }] }] },
      param: 'messages[0].content[1]',
      message: /document given by URL/,
    },
  ];

  it.each(refusals)('$name with a 400 naming the field and the provider type', ({ input, param, message }) => {
    // Act
    let caught: unknown;
    try {
      toOpenAIChatBody({ ...base, ...input }, OPENAI);
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ status: 400, param, message: expect.stringMatching(message) });
  });
});

describe('withinStopLimit', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];

  it('refuses more than 4 stop sequences for OpenAI with a 400 naming stop and the provider type', () => {
    // Prepare
    const body = toOpenAIChatBody({ ...base, stop: five }, OPENAI);

    // Act
    let caught: unknown;
    try {
      withinStopLimit(body, OPENAI);
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(body.stop).toEqual(five);
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ status: 400, param: 'stop', message: expect.stringMatching(/More than 4 stop sequences is not supported by provider type openai/) });
  });

  it('lets a body through whose stop mending dropped (the gateway cuts at any number), and one with 4', () => {
    const { stop: _dropped, ...mended } = toOpenAIChatBody({ ...base, stop: five }, OPENAI);
    const four = toOpenAIChatBody({ ...base, stop: five.slice(0, 4) }, OPENAI);

    expect(withinStopLimit(mended, OPENAI)).toBe(mended);
    expect(withinStopLimit(four, OPENAI)).toBe(four);
  });
});

describe('an OpenAI body through the canonical form and back', () => {
  const roundTrips: { name: string; body: Record<string, unknown>; normalised?: Record<string, unknown> }[] = [
    {
      name: 'keeps a multi-turn tool history with parallel calls',
      body: {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'You help.' },
          { role: 'user', content: 'Weather and time in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{"tz":"CET"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
          { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
          { role: 'assistant', content: 'Sunny, noon.' },
          { role: 'user', content: [{ type: 'text', text: 'And this?' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/', detail: 'low' } }] },
          { role: 'assistant', content: 'A cat.', tool_calls: [{ id: 'call_c', type: 'function', function: { name: 'save', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_c', content: [{ type: 'text', text: 'saved' }, { type: 'text', text: ' ok' }] },
          { role: 'user', content: 'Thanks' },
        ],
        tools: [
          { type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
          { type: 'function', function: { name: 'time', parameters: { type: 'object' }, strict: false } },
          { type: 'function', function: { name: 'save', parameters: { type: 'object' } } },
        ],
        tool_choice: 'auto',
        parallel_tool_calls: true,
        max_completion_tokens: 512,
        temperature: 0.3,
        top_p: 1,
        stop: ['\n\nEND'],
        seed: 1,
        user: 'u-9',
        reasoning_effort: 'medium',
        response_format: { type: 'json_object' },
        stream: true,
        stream_options: { include_usage: true },
      },
    },
    {
      name: 'normalises developer and mid-history system messages into one leading system message and a stop string into an array',
      body: {
        model: 'gpt-4o',
        messages: [
          { role: 'developer', content: 'A' },
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          { role: 'system', content: 'B' },
          { role: 'user', content: 'Go' },
        ],
        max_tokens: 5,
        stop: 'X',
      },
      normalised: {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
          { role: 'user', content: 'Hi' },
          { role: 'user', content: 'Go' },
        ],
        max_completion_tokens: 5,
        stop: ['X'],
      },
    },
  ];

  it.each(roundTrips)('$name', ({ body, normalised }) => {
    // Act
    const back = toOpenAIChatBody(decodeChatRequest(body), OPENAI);

    // Assess
    expect(back).toEqual(normalised ?? body);
  });
});
