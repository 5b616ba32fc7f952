import type { StreamEvent } from '../../canonical/types';
import { anthropicStreamEvents } from './stream';
import { capturedSse } from '../../../test/integration/claude-code/fixtures';


/** The text as bytes in pieces of `size`, so events (and UTF-8 characters) split across chunks. */
async function* bytes(text: string, size = 37): AsyncGenerator<Uint8Array> {
  const all = Buffer.from(text);
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

async function collect(text: string, size?: number): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of anthropicStreamEvents(bytes(text, size))) out.push(e);
  return out;
}

const sse = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const START = sse('message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 5, cache_read_input_tokens: 10, cache_creation_input_tokens: 1, output_tokens: 1 } } });
const STOP = sse('message_stop', { type: 'message_stop' });

describe('anthropicStreamEvents on real captured streams', () => {
  it('decodes the first-turn stream: text, then a TodoWrite tool call whose fragments join to its input', async () => {
    // Act
    const events = await collect(capturedSse('cc-1.0.6-first-turn'));

    // Assess
    expect(events[0]).toEqual({ type: 'start', id: 'msg_01979yF8iwYVZbkoQAq6KT8k', model: 'claude-sonnet-4-20250514' });
    expect(events[1]).toEqual({ type: 'usage', usage: { input: 15036, output: 2, cacheRead: 0, cacheWrite: 15032, reasoning: 0 } });
    const text = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('');
    expect(text).toBe("I'll create a weather app that displays current weather for Graz. Let me set up the todo list and then create the folder and HTML file.");
    expect(events.filter((e) => e.type === 'tool_call_start')).toEqual([{ type: 'tool_call_start', toolIndex: 0, id: 'toolu_01UEafksUp39RHzZNEacfsTk', name: 'TodoWrite' }]);
    const args = events.flatMap((e) => (e.type === 'tool_call_delta' ? [e.arguments] : [])).join('');
    expect(JSON.parse(args)).toEqual({ todos: [expect.objectContaining({ id: '1', content: 'Create weather folder' }), expect.objectContaining({ id: '2' })] });
    expect(events.slice(-3)).toEqual([
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'usage', usage: { input: 15036, output: 174, cacheRead: 0, cacheWrite: 15032, reasoning: 0 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it.each([
    { file: 'cc-1.0.6-tool-loop', usage: { input: 18696, output: 122, cacheRead: 18418, cacheWrite: 275, reasoning: 0 }, starts: 'Created `/weather/index.html`' },
    { file: 'cc-1.0.6-haiku-title', usage: { input: 96, output: 15, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, starts: 'Graz Weather App' },
  ] as const)('decodes $file into text and a stop with its final usage', async ({ file, usage, starts }) => {
    // Act
    const events = await collect(capturedSse(file), 5);

    // Assess
    expect(events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1])).toEqual(['start', 'usage', 'text_delta', 'usage', 'finish']);
    expect(events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')).toMatch(new RegExp(`^${starts.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}`));
    expect(events.at(-2)).toEqual({ type: 'usage', usage });
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});

describe('anthropicStreamEvents', () => {
  it.each<{ name: string; body: string; expected: StreamEvent[] }>([
    {
      name: 'numbers parallel tool calls by tool, not by block index',
      body:
        START +
        sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Two calls.' } }) +
        sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
        sse('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'f', input: {} } }) +
        sse('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }) +
        sse('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } }) +
        sse('content_block_stop', { type: 'content_block_stop', index: 1 }) +
        sse('content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'g', input: {} } }) +
        sse('content_block_stop', { type: 'content_block_stop', index: 2 }) +
        sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } }) +
        STOP,
      expected: [
        { type: 'start', id: 'msg_1', model: 'claude-x' },
        { type: 'usage', usage: { input: 16, output: 1, cacheRead: 10, cacheWrite: 1, reasoning: 0 } },
        { type: 'text_delta', text: 'Two calls.' },
        { type: 'tool_call_start', toolIndex: 0, id: 'toolu_a', name: 'f' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"a":1}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'toolu_b', name: 'g' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'usage', usage: { input: 16, output: 30, cacheRead: 10, cacheWrite: 1, reasoning: 0 } },
        { type: 'finish', reason: 'tool_calls' },
      ],
    },
    {
      name: 'decodes thinking with its signature, redacted thinking and a stop sequence',
      body:
        START +
        sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }) +
        'event: ping\ndata: {"type": "ping"}\n\n' +
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me see.' } }) +
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB==' } }) +
        sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
        sse('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'ENC' } }) +
        sse('content_block_stop', { type: 'content_block_stop', index: 1 }) +
        sse('some_future_event', { type: 'some_future_event' }) +
        sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: { output_tokens: 9 } }) +
        STOP,
      expected: [
        { type: 'start', id: 'msg_1', model: 'claude-x' },
        { type: 'usage', usage: { input: 16, output: 1, cacheRead: 10, cacheWrite: 1, reasoning: 0 } },
        { type: 'thinking_delta', text: 'Let me see.' },
        { type: 'thinking_signature', signature: 'EqQB==', signedBy: 'claude' },
        { type: 'redacted_thinking', data: 'ENC' },
        { type: 'usage', usage: { input: 16, output: 9, cacheRead: 10, cacheWrite: 1, reasoning: 0 } },
        { type: 'finish', reason: 'stop', stopSequence: '###' },
      ],
    },
  ])('$name', async ({ body, expected }) => {
    expect(await collect(body)).toEqual(expected);
  });

  it('ends with an overloaded error (503) when the stream carries event: error', async () => {
    // Act
    const events = await collect(START + sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) + STOP);

    // Assess
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { status: 503, kind: 'overloaded', message: 'Overloaded' } });
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
  });

  it('ends with an interrupted error when the body stops before message_stop', async () => {
    // Act
    const events = await collect(START + sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));

    // Assess
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { status: 502, code: 'upstream_interrupted' } });
  });

  it('reads events whose event: line a relay dropped by their type', async () => {
    // Act
    const events = await collect(`data: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_9', model: 'm', usage: {} } })}\n\ndata: {"type":"message_stop"}\n\n`);

    // Assess
    expect(events).toEqual([
      { type: 'start', id: 'msg_9', model: 'm' },
      { type: 'usage', usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
    ]);
  });
});
