import type { StreamEvent } from '../../canonical/types';
import { OpenAIChunkDecoder, openAIStreamEvents } from './translate-stream';

const req = { model: 'gpt-4o' };
const frame = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06' };
const delta = (d: object, finish: string | null = null) => JSON.stringify({ ...frame, choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] });
const usageChunk = JSON.stringify({ ...frame, choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 2 } } });
const usage = { input: 9, output: 3, cacheRead: 2, cacheWrite: 0, reasoning: 0 };
const start: StreamEvent = { type: 'start', id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06' };
const call = (index: number, id: string | undefined, name: string | undefined, args: string) => ({
  index,
  ...(id ? { id, type: 'function' } : {}),
  function: { ...(name ? { name } : {}), arguments: args },
});
const azureFilter = { hate: { filtered: false, severity: 'safe' }, sexual: { filtered: false, severity: 'safe' } };

describe('OpenAIChunkDecoder', () => {
  const cases: { name: string; data: string[]; expected: StreamEvent[] }[] = [
    {
      name: 'decodes text deltas, the finish and the usage chunk that follows it',
      data: [delta({ role: 'assistant', content: '', refusal: null }), delta({ content: 'Hel' }), delta({ content: 'lo' }), delta({}, 'stop'), usageChunk, '[DONE]'],
      expected: [start, { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage }],
    },
    {
      name: 'decodes parallel tool calls with distinct indexes, ending each when the next one starts',
      data: [
        delta({ role: 'assistant', content: null, tool_calls: [call(0, 'call_a', 'weather', '')] }),
        delta({ tool_calls: [call(0, undefined, undefined, '{"city":')] }),
        delta({ tool_calls: [call(0, undefined, undefined, '"Paris"}')] }),
        delta({ tool_calls: [call(1, 'call_b', 'time', '')] }),
        delta({ tool_calls: [call(1, undefined, undefined, '{}')] }),
        delta({}, 'tool_calls'),
        '[DONE]',
      ],
      expected: [
        start,
        { type: 'tool_call_start', toolIndex: 0, id: 'call_a', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '"Paris"}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'call_b', name: 'time' },
        { type: 'tool_call_delta', toolIndex: 1, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
    },
    {
      name: 'tells calls apart by id when a server sends every call with index 0, whole in one chunk',
      data: [delta({ tool_calls: [call(0, 'c1', 'a', '{"x":1}'), call(0, 'c2', 'b', '{}')] }), delta({}, 'stop')],
      expected: [
        start,
        { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'a' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"x":1}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'c2', name: 'b' },
        { type: 'tool_call_delta', toolIndex: 1, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
    },
    {
      // Gemini's OpenAI-compatible endpoint: no `index` at all, an id on each call's first piece, the rest indexless, and `stop`.
      name: 'tells calls apart by id when a server sends no index, its later argument pieces without id either',
      data: [
        delta({ role: 'assistant', tool_calls: [{ id: 'function-call-1', type: 'function', function: { name: 'weather', arguments: '{"city":' } }] }),
        delta({ tool_calls: [{ function: { arguments: '"Sydney"}' } }] }),
        delta({ tool_calls: [{ id: 'function-call-2', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
        delta({}, 'stop'),
      ],
      expected: [
        start,
        { type: 'tool_call_start', toolIndex: 0, id: 'function-call-1', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '"Sydney"}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'function-call-2', name: 'time' },
        { type: 'tool_call_delta', toolIndex: 1, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
    },
    {
      name: 'decodes reasoning_content and reasoning as thinking, and ends a tool call before text',
      data: [
        delta({ reasoning_content: 'Think' }),
        delta({ reasoning: 'ing' }),
        delta({ tool_calls: [call(0, 'c1', 'a', '{}')] }),
        delta({ content: 'Done' }),
        delta({}, 'length'),
        '[DONE]',
      ],
      expected: [
        start,
        { type: 'thinking_delta', text: 'Think' },
        { type: 'thinking_delta', text: 'ing' },
        { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'a' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'text_delta', text: 'Done' },
        { type: 'finish', reason: 'length' },
      ],
    },
    {
      name: "skips Azure's prompt filter chunk and delta-less annotation chunks, also the one after the finish",
      data: [
        JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: azureFilter }] }),
        JSON.stringify({ ...frame, choices: [{ content_filter_results: {}, delta: { content: '', role: 'assistant' }, finish_reason: null, index: 0, logprobs: null }], usage: null }),
        JSON.stringify({ ...frame, choices: [{ content_filter_results: azureFilter, delta: { content: 'Hi' }, finish_reason: null, index: 0 }], usage: null }),
        JSON.stringify({ id: '', object: '', created: 0, model: '', choices: [{ index: 0, finish_reason: null, content_filter_results: azureFilter, content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 2 } }], usage: null }),
        JSON.stringify({ ...frame, choices: [{ content_filter_results: {}, delta: {}, finish_reason: 'content_filter', index: 0 }], usage: null }),
        JSON.stringify({ id: '', object: '', created: 0, model: '', choices: [{ index: 0, finish_reason: null, content_filter_results: azureFilter }], usage: null }),
        usageChunk,
        '[DONE]',
      ],
      expected: [start, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'content_filter' }, { type: 'usage', usage }],
    },
    {
      name: 'turns an error event into an error and reads nothing after it',
      data: [delta({ content: 'Hi' }), JSON.stringify({ error: { message: 'Overloaded', type: 'server_error', code: 'overloaded' } }), delta({ content: 'more' }), '[DONE]'],
      expected: [start, { type: 'text_delta', text: 'Hi' }, { type: 'error', error: expect.objectContaining({ message: 'Overloaded', code: 'overloaded', status: 503 }) }],
    },
    {
      name: 'counts [DONE] without a finish as a stop',
      data: [delta({ content: 'Hi' }), '[DONE]'],
      expected: [start, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'stop' }],
    },
    {
      name: 'reports tool_calls when a server says stop after tool calls',
      data: [delta({ tool_calls: [call(0, 'c1', 'a', '')] }), delta({}, 'stop')],
      expected: [start, { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'a' }, { type: 'tool_call_end', toolIndex: 0 }, { type: 'finish', reason: 'tool_calls' }],
    },
    {
      name: 'fails on arguments for a tool call that already ended',
      data: [delta({ tool_calls: [call(0, 'c1', 'a', '')] }), delta({ tool_calls: [call(1, 'c2', 'b', '')] }), delta({ tool_calls: [call(0, undefined, undefined, '{}')] })],
      expected: [
        start,
        { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'a' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'c2', name: 'b' },
        { type: 'error', error: expect.objectContaining({ code: 'upstream_invalid_stream' }) },
      ],
    },
    {
      name: 'ends with an error when the body stops before a finish or [DONE]',
      data: [delta({ content: 'Hi' })],
      expected: [start, { type: 'text_delta', text: 'Hi' }, { type: 'error', error: expect.objectContaining({ code: 'upstream_interrupted', status: 502 }) }],
    },
    {
      name: 'sends refusal deltas as text deltas marked refusal and the stop after them as content_filter',
      data: [delta({ role: 'assistant', content: null, refusal: '' }), delta({ refusal: 'I cannot ' }), delta({ refusal: 'help.' }), delta({}, 'stop'), usageChunk, '[DONE]'],
      expected: [start, { type: 'text_delta', text: 'I cannot ', refusal: true }, { type: 'text_delta', text: 'help.', refusal: true }, { type: 'finish', reason: 'content_filter' }, { type: 'usage', usage }],
    },
    {
      name: 'ends refusal deltas with content_filter when [DONE] comes without a finish',
      data: [delta({ refusal: 'No.' }), '[DONE]'],
      expected: [start, { type: 'text_delta', text: 'No.', refusal: true }, { type: 'finish', reason: 'content_filter' }],
    },
    {
      name: 'keeps a length finish after refusal deltas',
      data: [delta({ refusal: 'I cannot' }), delta({}, 'length')],
      expected: [start, { type: 'text_delta', text: 'I cannot', refusal: true }, { type: 'finish', reason: 'length' }],
    },
    {
      name: 'ends tool_calls when tool calls follow refusal words, as a whole answer with calls is never a refusal',
      data: [delta({ refusal: 'No.' }), delta({ tool_calls: [call(0, 'call_a', 'weather', '{}')] }), delta({}, 'stop')],
      expected: [
        start,
        { type: 'text_delta', text: 'No.', refusal: true },
        { type: 'tool_call_start', toolIndex: 0, id: 'call_a', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'finish', reason: 'tool_calls' },
      ],
    },
    {
      name: 'reads an empty refusal on every content chunk as none',
      data: [delta({ content: 'Hi', refusal: '' }), delta({ content: '!', refusal: null }), delta({ refusal: '' }, 'stop')],
      expected: [start, { type: 'text_delta', text: 'Hi' }, { type: 'text_delta', text: '!' }, { type: 'finish', reason: 'stop' }],
    },
    {
      name: 'accepts a body that ends after the finish without [DONE]',
      data: [delta({ content: 'Hi' }), delta({}, 'stop')],
      expected: [start, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'stop' }],
    },
  ];

  it.each(cases)('$name', ({ data, expected }) => {
    // Prepare
    const decoder = new OpenAIChunkDecoder(req);

    // Act
    const events = [...data.flatMap((d) => decoder.data(d)), ...decoder.end()];

    // Assess
    expect(events).toEqual(expected);
  });

  it.each([
    { name: 'a body that stops before a finish', data: [delta({ content: 'Hi' })], kind: 'upstream_unavailable', code: 'upstream_interrupted', message: 'The upstream provider "vllm" ended the stream before it was complete.' },
    { name: 'an in-band error about its key', data: [JSON.stringify({ error: { message: 'Incorrect API key provided: sk-ab***', type: 'invalid_request_error', code: 'invalid_api_key' } })], kind: 'upstream_error', code: 'upstream_auth_failed', message: 'The upstream provider "vllm" rejected the gateway\'s credentials (401).' },
  ])('names the provider by its config id in $name', ({ data, kind, code, message }) => {
    // Prepare
    const decoder = new OpenAIChunkDecoder(req, 'vllm');

    // Act
    const last = [...data.flatMap((d) => decoder.data(d)), ...decoder.end()].at(-1);

    // Assess
    expect(last).toEqual({ type: 'error', error: expect.objectContaining({ kind, code, message }) });
  });

  it('gives a tool call without an id one id that stays the same for all its events', () => {
    // Prepare
    const decoder = new OpenAIChunkDecoder(req);

    // Act
    const events = [delta({ tool_calls: [{ index: 0, function: { name: 'a', arguments: '' } }] }), delta({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }), delta({}, 'tool_calls')].flatMap((d) => decoder.data(d));

    // Assess
    expect(events[1]).toEqual({ type: 'tool_call_start', toolIndex: 0, id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/), name: 'a' });
    expect(events.slice(2)).toEqual([{ type: 'tool_call_delta', toolIndex: 0, arguments: '{}' }, { type: 'tool_call_end', toolIndex: 0 }, { type: 'finish', reason: 'tool_calls' }]);
  });
});

describe('OpenAIChunkDecoder on chunks of an unexpected shape', () => {
  const text = (t: string): StreamEvent => ({ type: 'text_delta', text: t });
  const stop: StreamEvent = { type: 'finish', reason: 'stop' };
  const chunk = (choices: unknown) => JSON.stringify({ ...frame, choices });
  // A malformed entry carries nothing the client could be sent, as the whole-answer translator
  // skips a tool call it cannot read (`messageFromOpenAI`): skipped, the rest of the stream decoded.
  const cases: { name: string; data: string[]; expected: StreamEvent[] }[] = [
    { name: 'skips a null tool call', data: [delta({ content: 'Hi' }), delta({ tool_calls: [null] }), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    {
      name: 'skips a null tool call beside a sound one',
      data: [delta({ tool_calls: [null, call(0, 'c1', 'a', '{}')] }), delta({}, 'tool_calls')],
      expected: [start, { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'a' }, { type: 'tool_call_delta', toolIndex: 0, arguments: '{}' }, { type: 'tool_call_end', toolIndex: 0 }, { type: 'finish', reason: 'tool_calls' }],
    },
    { name: 'skips tool calls that are not objects', data: [delta({ content: 'Hi' }), delta({ tool_calls: ['call', 7, true, []] }), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips tool_calls that is an object, not a list', data: [delta({ content: 'Hi' }), delta({ tool_calls: call(0, 'c1', 'a', '{}') }), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips tool_calls that is a number', data: [delta({ content: 'Hi' }), delta({ tool_calls: 1 }), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips tool_calls that is a string, rather than reading its letters as calls', data: [delta({ content: 'Hi' }), delta({ tool_calls: 'ab' }), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips a null choice and reads the choice beside it', data: [chunk([null, { index: 0, delta: { content: 'Hi' } }]), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips a chunk whose only choice is null', data: [delta({ content: 'Hi' }), chunk([null]), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips a choice that is not an object', data: [delta({ content: 'Hi' }), chunk(['x', 3]), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips a delta that is not an object', data: [delta({ content: 'Hi' }), chunk([{ index: 0, delta: 'there' }]), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
    { name: 'skips a null delta (Azure\'s filter annotations)', data: [delta({ content: 'Hi' }), chunk([{ index: 0, delta: null }]), delta({}, 'stop')], expected: [start, text('Hi'), stop] },
  ];

  it.each(cases)('$name', ({ data, expected }) => {
    // Prepare
    const decoder = new OpenAIChunkDecoder(req);

    // Act
    const events = [...data.flatMap((d) => decoder.data(d)), ...decoder.end()];

    // Assess
    expect(events).toEqual(expected);
  });

  // Every value JSON can hold, put at every place of a chunk the decoder reads: none may throw
  // (a throw is a fault of the gateway's own, and pages), and the stream goes on or ends in an error event.
  const odd: unknown[] = [null, 0, -1, 1.5, '', 'x', true, false, [], [null], ['x'], {}, [{}], { x: 1 }];
  const places: [string, (v: unknown) => unknown][] = [
    ['the chunk', (v) => v],
    ['choices', (v) => ({ ...frame, choices: v })],
    ['a choice', (v) => ({ ...frame, choices: [v] })],
    ['choice.index', (v) => ({ ...frame, choices: [{ index: v, delta: { content: 'x' } }] })],
    ['the delta', (v) => ({ ...frame, choices: [{ index: 0, delta: v }] })],
    ['finish_reason', (v) => ({ ...frame, choices: [{ index: 0, delta: {}, finish_reason: v }] })],
    ['content', (v) => ({ ...frame, choices: [{ index: 0, delta: { content: v, refusal: v, reasoning_content: v, reasoning: v } }] })],
    ['tool_calls', (v) => ({ ...frame, choices: [{ index: 0, delta: { tool_calls: v } }] })],
    ['a tool call', (v) => ({ ...frame, choices: [{ index: 0, delta: { tool_calls: [v] } }] })],
    ['a tool call\'s index and id', (v) => ({ ...frame, choices: [{ index: 0, delta: { tool_calls: [{ index: v, id: v, function: { name: 'a', arguments: '{}' } }] } }] })],
    ['a tool call\'s function', (v) => ({ ...frame, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: v }] } }] })],
    ['a function\'s name and arguments', (v) => ({ ...frame, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { name: v, arguments: v } }] } }] })],
    ['usage', (v) => ({ ...frame, choices: [], usage: v })],
    ['usage details', (v) => ({ ...frame, choices: [], usage: { prompt_tokens: v, completion_tokens: v, prompt_tokens_details: v, completion_tokens_details: v } })],
    ['error', (v) => ({ error: v })],
    ['id and model', (v) => ({ id: v, model: v, choices: [{ index: 0, delta: { content: 'x' } }] })],
  ];

  it.each(places)('never throws on any JSON value as %s', (_place, at) => {
    for (const value of odd) {
      // Prepare: a call open and text sent before, so every state the odd chunk can meet is met.
      const decoder = new OpenAIChunkDecoder(req);
      decoder.data(delta({ content: 'Hi', tool_calls: [call(0, 'c0', 'a', '{')] }));

      // Act
      const read = () => [...decoder.data(JSON.stringify(at(value))), ...decoder.data(delta({}, 'stop')), ...decoder.end()];

      // Assess
      expect(read).not.toThrow();
    }
  });
});

describe('openAIStreamEvents', () => {
  const stopped = `data: ${delta({ content: 'Hi' })}\n\ndata: ${delta({}, 'stop')}\n\n`;
  it.each([
    ['LF line ends', stopped],
    ['CR line ends', stopped.replaceAll('\n', '\r')],
    ['LF line ends but a CR as the very last byte', `${stopped.slice(0, -1)}\r`],
  ])('reads the last event, the finish, of a stream in %s (no [DONE] behind it)', async (_name, sse) => {
    // Prepare
    const bytes = Buffer.from(sse);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 5) yield bytes.subarray(i, i + 5);
    }

    // Act
    const events: StreamEvent[] = [];
    for await (const event of openAIStreamEvents(body(), req)) events.push(event);

    // Assess
    expect(events).toEqual([start, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'stop' }]);
  });

  it('reads SSE split anywhere across network chunks, comments and all', async () => {
    // Prepare
    const sse = `: keep-alive\n\ndata: ${delta({ content: 'Hé' })}\n\ndata: ${delta({}, 'stop')}\n\ndata: ${usageChunk}\n\ndata: [DONE]\n\n`;
    const bytes = Buffer.from(sse);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }

    // Act
    const events: StreamEvent[] = [];
    for await (const event of openAIStreamEvents(body(), req)) events.push(event);

    // Assess
    expect(events).toEqual([start, { type: 'text_delta', text: 'Hé' }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage }]);
  });

  it('words an in-band error as the passthrough and the HTTP path do: the organisation id and what was said of the gateway\'s key are the log\'s', () => {
    // Prepare
    const said = 'Rate limit reached for o3 in organization org-uOtiSEwvUnroadaOnJJquBEC on requests per min (RPM).';
    const decoder = new OpenAIChunkDecoder(req);
    const keyDecoder = new OpenAIChunkDecoder(req);

    // Act
    const [limited] = decoder.data(JSON.stringify({ error: { message: said, type: 'requests', code: 'rate_limit_exceeded' } }));
    const [refused] = keyDecoder.data(JSON.stringify({ error: { message: 'Incorrect API key provided: sk-proj-****abcd.', type: 'invalid_request_error', code: 'invalid_api_key' } }));

    // Assess
    expect(limited).toEqual({ type: 'error', error: expect.objectContaining({ code: 'rate_limit_exceeded', status: 429, detail: said }) });
    expect(limited!.type === 'error' && limited.error.message).not.toContain('org-uOtiSEwvUnroadaOnJJquBEC');
    expect(refused).toEqual({ type: 'error', error: expect.objectContaining({ code: 'upstream_auth_failed' }) });
    expect(refused!.type === 'error' && refused.error.message).not.toContain('sk-proj');
  });

  it('stops reading the body after an error event', async () => {
    // Prepare
    let pulled = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      pulled++;
      yield Buffer.from(`data: ${JSON.stringify({ error: { message: 'boom' } })}\n\n`);
      pulled++;
      yield Buffer.from(`data: ${delta({ content: 'late' })}\n\n`);
    }

    // Act
    const events: StreamEvent[] = [];
    for await (const event of openAIStreamEvents(body(), req)) events.push(event);

    // Assess
    expect(events.map((e) => e.type)).toEqual(['error']);
    expect(pulled).toBe(1);
  });
});

describe('openAIStreamEvents on random network splits', () => {
  it('yields the same events wherever the bytes are cut', async () => {
    // Prepare
    const sse = [delta({ role: 'assistant', content: '' }), delta({ content: 'Grüße 👋' }), delta({ tool_calls: [call(0, 'c1', 'a', '{"k":')] }), delta({ tool_calls: [call(0, undefined, undefined, '"v"}')] }), delta({}, 'tool_calls'), usageChunk, '[DONE]']
      .map((d) => `data: ${d}\r\n\r\n`)
      .join('');
    const bytes = Buffer.from(sse);
    const whole = new OpenAIChunkDecoder(req);
    const expected = [...sse.split('\r\n\r\n').filter(Boolean).flatMap((e) => whole.data(e.slice('data: '.length))), ...whole.end()];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

    for (let run = 0; run < 200; run++) {
      const cuts = Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * bytes.length)).sort((a, b) => a - b);
      async function* body(): AsyncGenerator<Uint8Array> {
        let from = 0;
        for (const cut of [...cuts, bytes.length]) {
          yield bytes.subarray(from, cut);
          from = cut;
        }
      }

      // Act
      const events: StreamEvent[] = [];
      for await (const event of openAIStreamEvents(body(), req)) events.push(event);

      // Assess
      expect(events).toEqual(expected);
    }
  });
});
