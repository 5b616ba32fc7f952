import type { ChatResponse, StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { NO_TOKENS } from '../../usage/tokens';
import { encodeChatCompletion, encodeChatStream } from './encode';

const NOW = () => 1_700_000_000_123;
const usage = { input: 30, output: 12, cacheRead: 20, cacheWrite: 5, reasoning: 4 };

async function* from(events: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* events;
}

/** The stream's SSE text as the payloads of its `data:` lines. */
async function payloads(events: StreamEvent[], includeUsage: boolean): Promise<unknown[]> {
  let text = '';
  for await (const piece of encodeChatStream(from(events), { model: 'my-model', includeUsage }, NOW)) text += piece;
  expect(text).toMatch(/^(data: [^\n]+\n\n)*$/);
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((line) => line.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

const frame = { id: 'chatcmpl-msg_1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'my-model' };
const choice = (delta: object, finish: string | null = null) => ({ ...frame, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

describe('encodeChatCompletion', () => {
  const JSON_SCHEMA = { response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object' } } } };
  const cases: { name: string; input: Partial<ChatResponse>; request?: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    {
      name: 'encodes text, the client model name and the usage with cached and reasoning tokens',
      input: { parts: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there' }] },
      expected: {
        id: 'chatcmpl-msg_1',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: 30,
          completion_tokens: 12,
          total_tokens: 42,
          prompt_tokens_details: { cached_tokens: 20 },
          completion_tokens_details: { reasoning_tokens: 4 },
          // Anthropic's names, as LiteLLM sends them: Roo Code and Cline read cache reads and writes only there.
          cache_read_input_tokens: 20,
          cache_creation_input_tokens: 5,
        },
      },
    },
    {
      name: 'sends null content beside tool calls and "{}" for empty arguments',
      input: {
        parts: [
          { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: 'toolu_2', name: 'time', arguments: '' },
        ],
        finishReason: 'tool_calls',
      },
      expected: {
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [
                { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
                { id: 'toolu_2', type: 'function', function: { name: 'time', arguments: '{}' } },
              ],
            },
            logprobs: null,
            finish_reason: 'tool_calls',
          },
        ],
      },
    },
    {
      name: 'sends thinking as reasoning_content and leaves redacted thinking out',
      input: {
        parts: [
          { type: 'thinking', text: 'Let me see.', signature: 'sig' },
          { type: 'redacted_thinking', data: 'xyz' },
          { type: 'text', text: '42' },
        ],
      },
      expected: { choices: [{ index: 0, message: { role: 'assistant', content: '42', refusal: null, reasoning_content: 'Let me see.' }, logprobs: null, finish_reason: 'stop' }] },
    },
    {
      name: 'answers an empty reply with empty content and keeps an OpenAI id as it is',
      input: { id: 'chatcmpl-abc', parts: [], finishReason: 'length' },
      expected: { id: 'chatcmpl-abc', choices: [{ index: 0, message: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: 'length' }] },
    },
    {
      name: 'sends a refusal in words to a client that asked for a schema as OpenAI does: refusal set, content null, finish content_filter kept',
      input: { parts: [{ type: 'text', text: "I can't help" }, { type: 'text', text: ' with that.' }], finishReason: 'content_filter' },
      request: JSON_SCHEMA,
      expected: { choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: "I can't help with that." }, logprobs: null, finish_reason: 'content_filter' }] },
    },
    {
      name: 'sends a refusal in words to a json_object client the same way',
      input: { parts: [{ type: 'text', text: 'No.' }], finishReason: 'content_filter' },
      request: { response_format: { type: 'json_object' } },
      expected: { choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'No.' }, logprobs: null, finish_reason: 'content_filter' }] },
    },
    {
      name: 'keeps a refusal as content for a client that asked for no JSON',
      input: { parts: [{ type: 'text', text: 'No.' }], finishReason: 'content_filter' },
      request: { response_format: { type: 'text' } },
      expected: { choices: [{ index: 0, message: { role: 'assistant', content: 'No.', refusal: null }, logprobs: null, finish_reason: 'content_filter' }] },
    },
    {
      name: 'keeps JSON the content filter cut off as content, as the stream sent it',
      input: { parts: [{ type: 'text', text: '{"name":' }], finishReason: 'content_filter' },
      request: JSON_SCHEMA,
      expected: { choices: [{ index: 0, message: { role: 'assistant', content: '{"name":', refusal: null }, logprobs: null, finish_reason: 'content_filter' }] },
    },
    {
      name: 'keeps words as content when the answer ended otherwise',
      input: { parts: [{ type: 'text', text: 'Sure.' }], finishReason: 'stop' },
      request: JSON_SCHEMA,
      expected: { choices: [{ index: 0, message: { role: 'assistant', content: 'Sure.', refusal: null }, logprobs: null, finish_reason: 'stop' }] },
    },
  ];

  it.each(cases)('$name', ({ input, request, expected }) => {
    // Prepare
    const res: ChatResponse = { id: 'msg_1', model: 'claude-x', parts: [], finishReason: 'stop', usage, ...input };

    // Act
    const body = encodeChatCompletion(res, 'gpt-4o', NOW, request);

    // Assess
    expect(body).toMatchObject(expected);
    expect(body.choices[0]!.message).toEqual((expected.choices as { message: object }[] | undefined)?.[0]?.message ?? body.choices[0]!.message);
  });
});

describe('encodeChatStream', () => {
  const start: StreamEvent = { type: 'start', id: 'msg_1', model: 'claude-x' };
  const cases: { name: string; events: StreamEvent[]; includeUsage: boolean; expected: unknown[] }[] = [
    {
      name: 'sends a role chunk, text deltas, the finish chunk and [DONE]',
      events: [start, { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: '' }, { type: 'text_delta', text: 'lo' }, { type: 'finish', reason: 'stop' }],
      includeUsage: false,
      expected: [choice({ role: 'assistant', content: '' }), choice({ content: 'Hel' }), choice({ content: 'lo' }), choice({}, 'stop'), '[DONE]'],
    },
    {
      name: 'waits for the end to send usage that came after the finish, with usage: null on every other chunk',
      events: [start, { type: 'text_delta', text: 'Hi' }, { type: 'usage', usage: { ...NO_TOKENS, input: 5 } }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage }],
      includeUsage: true,
      expected: [
        { ...choice({ role: 'assistant', content: '' }), usage: null },
        { ...choice({ content: 'Hi' }), usage: null },
        { ...choice({}, 'stop'), usage: null },
        {
          ...frame,
          choices: [],
          usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42, prompt_tokens_details: { cached_tokens: 20 }, completion_tokens_details: { reasoning_tokens: 4 }, cache_read_input_tokens: 20, cache_creation_input_tokens: 5 },
        },
        '[DONE]',
      ],
    },
    {
      name: 'sends thinking as reasoning_content and parallel tool calls with distinct indexes',
      events: [
        start,
        { type: 'thinking_delta', text: 'Hmm' },
        { type: 'thinking_signature', signature: 'sig' },
        { type: 'tool_call_start', toolIndex: 0, id: 'toolu_a', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '"Paris"}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'toolu_b', name: 'time' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
      includeUsage: false,
      expected: [
        choice({ role: 'assistant', content: '' }),
        choice({ reasoning_content: 'Hmm' }),
        choice({ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
        choice({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        choice({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        choice({ tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'time', arguments: '' } }] }),
        choice({}, 'tool_calls'),
        '[DONE]',
      ],
    },
    {
      name: 'ends with the error body and without [DONE] on an error event',
      events: [start, { type: 'text_delta', text: 'Hi' }, { type: 'error', error: new GatewayError('overloaded', 'Overloaded', { code: 'overloaded' }) }],
      includeUsage: true,
      expected: [
        { ...choice({ role: 'assistant', content: '' }), usage: null },
        { ...choice({ content: 'Hi' }), usage: null },
        { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded' } },
      ],
    },
    {
      name: 'ends with an error and without [DONE] when the events stop before a finish',
      events: [start, { type: 'text_delta', text: 'Hi' }],
      includeUsage: false,
      expected: [
        choice({ role: 'assistant', content: '' }),
        choice({ content: 'Hi' }),
        { error: { message: 'The upstream provider ended the stream before it was complete.', type: 'api_error', param: null, code: 'upstream_interrupted' } },
      ],
    },
    {
      name: 'sends a zero usage chunk when the upstream reported none',
      events: [start, { type: 'finish', reason: 'length' }],
      includeUsage: true,
      expected: [
        { ...choice({ role: 'assistant', content: '' }), usage: null },
        { ...choice({}, 'length'), usage: null },
        { ...frame, choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } },
        '[DONE]',
      ],
    },
  ];

  it.each(cases)('$name', async ({ events, includeUsage, expected }) => {
    // Act
    const out = await payloads(events, includeUsage);

    // Assess
    expect(out).toEqual(expected);
  });

  it('gives every chunk one id when the events carry no start', async () => {
    // Act
    const out = (await payloads([{ type: 'text_delta', text: 'x' }, { type: 'finish', reason: 'stop' }], false)).filter((p) => p !== '[DONE]') as { id: string }[];

    // Assess
    expect(out).toHaveLength(3);
    expect(out[0]!.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(new Set(out.map((c) => c.id)).size).toBe(1);
  });

  it.each([false, true])('writes each chunk as JSON.stringify writes the chunk object, in OpenAI\'s key order (includeUsage %s)', async (includeUsage) => {
    // Arrange: names and text that JSON must escape.
    const model = 'my "model" \\ ü';
    const events: StreamEvent[] = [
      { type: 'start', id: 'msg_"1"', model: 'claude-x' },
      { type: 'text_delta', text: 'line\nbreak "quoted" \u2028 \u{1F600} \u0001' },
      { type: 'thinking_delta', text: 'hm' },
      { type: 'tool_call_start', toolIndex: 0, id: 'toolu_a', name: 'weather' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":"Paris"}' },
      { type: 'finish', reason: 'tool_calls' },
    ];
    const head = { id: 'chatcmpl-msg_"1"', object: 'chat.completion.chunk', created: 1_700_000_000, model };
    const chunk = (delta: object, finish: string | null = null) =>
      JSON.stringify({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });

    // Act
    let text = '';
    for await (const piece of encodeChatStream(from(events), { model, includeUsage }, NOW)) text += piece;

    // Assess
    const lines = text.split('\n\n').filter(Boolean).map((line) => line.slice('data: '.length));
    expect(lines.slice(0, 6)).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'line\nbreak "quoted" \u2028 \u{1F600} \u0001' }),
      chunk({ reasoning_content: 'hm' }),
      chunk({ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
  });
});

describe('encodeChatStream, events that stop before a finish or an error', () => {
  it.each([
    { name: 'names the provider by its config id, as a parser words a cut', providerId: 'claude-east', message: 'The upstream provider "claude-east" ended the stream before it was complete.' },
    { name: 'leaves it unnamed where the caller gives none', providerId: undefined, message: 'The upstream provider ended the stream before it was complete.' },
  ])('ends with the cut in-band and $name', async ({ providerId, message }) => {
    // Prepare: a decoder that broke its contract (no finish, no error).
    const events: StreamEvent[] = [{ type: 'start', id: 'msg_1', model: 'm' }, { type: 'text_delta', text: 'Hi' }];

    // Act
    let text = '';
    for await (const piece of encodeChatStream(from(events), { model: 'my-model', includeUsage: false, providerId }, NOW)) text += piece;

    // Assess
    const last = JSON.parse(text.trimEnd().split('\n\n').at(-1)!.slice('data: '.length)) as unknown;
    expect(last).toEqual({ error: { message, type: 'api_error', param: null, code: 'upstream_interrupted' } });
    expect(text).not.toContain('[DONE]');
  });
});

describe('encodeChatStream, a client that asked for JSON', () => {
  const start: StreamEvent = { type: 'start', id: 'msg_1', model: 'claude-x' };
  const request = { response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object' } } } };

  it.each([
    {
      name: 'sends a refusal in words as refusal deltas, OpenAI\'s way, with finish content_filter and the usage chunk after it',
      events: [start, { type: 'text_delta', text: "I can't" }, { type: 'text_delta', text: ' help.' }, { type: 'usage', usage }, { type: 'finish', reason: 'content_filter' }] as StreamEvent[],
      request,
      expected: [
        { ...choice({ role: 'assistant', content: '' }), usage: null },
        { ...choice({ refusal: "I can't" }), usage: null },
        { ...choice({ refusal: ' help.' }), usage: null },
        { ...choice({}, 'content_filter'), usage: null },
        {
          ...frame,
          choices: [],
          usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42, prompt_tokens_details: { cached_tokens: 20 }, completion_tokens_details: { reasoning_tokens: 4 }, cache_read_input_tokens: 20, cache_creation_input_tokens: 5 },
        },
        '[DONE]',
      ],
    },
    {
      name: 'sends held words as content when the finish is no refusal',
      events: [start, { type: 'text_delta', text: 'Sure' }, { type: 'finish', reason: 'stop' }] as StreamEvent[],
      request,
      expected: [{ ...choice({ role: 'assistant', content: '' }), usage: null }, { ...choice({ content: 'Sure' }), usage: null }, { ...choice({}, 'stop'), usage: null }, expect.objectContaining({ choices: [] }), '[DONE]'],
    },
    {
      name: 'keeps a refusal as content for a client that asked for no JSON',
      events: [start, { type: 'text_delta', text: 'No.' }, { type: 'finish', reason: 'content_filter' }] as StreamEvent[],
      request: {},
      expected: [{ ...choice({ role: 'assistant', content: '' }), usage: null }, { ...choice({ content: 'No.' }), usage: null }, { ...choice({}, 'content_filter'), usage: null }, expect.objectContaining({ choices: [] }), '[DONE]'],
    },
  ])('$name', async ({ events, request: body, expected }) => {
    // Act
    let text = '';
    for await (const piece of encodeChatStream(from(events), { model: 'my-model', includeUsage: true, request: body }, NOW)) text += piece;

    // Assess
    const out = text.split('\n\n').filter(Boolean).map((line) => line.slice('data: '.length)).map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
    expect(out).toEqual(expected);
  });

  it('sends JSON\'s first piece before the events after it are read', async () => {
    // Prepare: events that stop after the first piece until let go.
    let letGo: () => void = () => undefined;
    const later = new Promise<void>((resolve) => (letGo = resolve));
    async function* events(): AsyncGenerator<StreamEvent> {
      yield start;
      yield { type: 'text_delta', text: '{"name"' };
      await later;
      yield { type: 'finish', reason: 'stop' };
    }
    const out = encodeChatStream(events(), { model: 'my-model', includeUsage: false, request }, NOW)[Symbol.asyncIterator]();

    // Act
    const first = [(await out.next()).value, (await out.next()).value] as string[];
    letGo();
    while (!(await out.next()).done);

    // Assess
    expect(JSON.parse(first[1]!.slice('data: '.length))).toEqual(choice({ content: '{"name"' }));
  });
});
