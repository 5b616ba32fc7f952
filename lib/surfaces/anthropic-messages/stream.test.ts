import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { createParser } from 'eventsource-parser';
import type { StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { anthropicStreamEvents } from '../../providers/anthropic/stream';
import { encodeAnthropicStream } from './stream';
import { capturedSse } from '../../../test/integration/claude-code/fixtures';

const USAGE = { input: 150, output: 20, cacheRead: 100, cacheWrite: 30, reasoning: 0 };

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function encode(events: StreamEvent[], model = 'claude-client'): Promise<string> {
  let out = '';
  for await (const chunk of encodeAnthropicStream(from(events), { model })) out += chunk;
  return out;
}

/** The SSE text as `[event name, parsed data]` pairs. */
function parseSse(text: string): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  const parser = createParser({ onEvent: (e) => out.push([e.event ?? '', JSON.parse(e.data) as Record<string, unknown>]) });
  parser.feed(text);
  return out;
}

async function decode(text: string): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of anthropicStreamEvents(from([Buffer.from(text)]))) out.push(e);
  return out;
}

describe('encodeAnthropicStream', () => {
  it.each<{ name: string; events: StreamEvent[]; expected: string[] }>([
    {
      name: 'opens with message_start, pings after the first block start and ends with message_delta then message_stop',
      events: [{ type: 'start', id: 'chatcmpl-1', model: 'gpt' }, { type: 'text_delta', text: 'Hi' }, { type: 'text_delta', text: '!' }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage: USAGE }],
      expected: ['message_start', 'content_block_start:text', 'ping', 'content_block_delta:text_delta', 'content_block_delta:text_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    },
    {
      name: 'closes the text block before opening a tool block, and opens tool input with an empty fragment',
      events: [
        { type: 'start', id: 'x', model: 'm' },
        { type: 'text_delta', text: 'Let me check.' },
        { type: 'tool_call_start', toolIndex: 0, id: 'call_1', name: 'f' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"a":' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '1}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'call_2', name: 'g' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
      expected: [
        'message_start',
        'content_block_start:text',
        'ping',
        'content_block_delta:text_delta',
        'content_block_stop',
        'content_block_start:tool_use',
        'content_block_delta:input_json_delta',
        'content_block_delta:input_json_delta',
        'content_block_delta:input_json_delta',
        'content_block_stop',
        'content_block_start:tool_use',
        'content_block_delta:input_json_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    },
    {
      name: 'writes thinking and its signature in a thinking block, then text in a new block',
      events: [
        { type: 'start', id: 'x', model: 'm' },
        { type: 'thinking_delta', text: 'hmm' },
        { type: 'thinking_signature', signature: 'sig' },
        { type: 'redacted_thinking', data: 'enc' },
        { type: 'text_delta', text: '4' },
        { type: 'finish', reason: 'stop' },
      ],
      expected: [
        'message_start',
        'content_block_start:thinking',
        'ping',
        'content_block_delta:thinking_delta',
        'content_block_delta:signature_delta',
        'content_block_stop',
        'content_block_start:redacted_thinking',
        'content_block_stop',
        'content_block_start:text',
        'content_block_delta:text_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    },
    {
      name: 'writes a message without content when nothing came',
      events: [{ type: 'start', id: 'x', model: 'm' }, { type: 'finish', reason: 'stop' }],
      expected: ['message_start', 'message_delta', 'message_stop'],
    },
    {
      name: 'ends with event: error and nothing after it',
      events: [{ type: 'start', id: 'x', model: 'm' }, { type: 'text_delta', text: 'Hi' }, { type: 'error', error: new GatewayError('overloaded', 'Overloaded') }, { type: 'text_delta', text: 'never' }],
      expected: ['message_start', 'content_block_start:text', 'ping', 'content_block_delta:text_delta', 'error'],
    },
    {
      name: 'drops deltas without an open block of their own and empty text',
      events: [{ type: 'start', id: 'x', model: 'm' }, { type: 'tool_call_delta', toolIndex: 3, arguments: '{}' }, { type: 'text_delta', text: '' }, { type: 'tool_call_end', toolIndex: 3 }, { type: 'finish', reason: 'stop' }],
      expected: ['message_start', 'message_delta', 'message_stop'],
    },
  ])('$name', async ({ events, expected }) => {
    // Act
    const sse = parseSse(await encode(events));

    // Assess
    const names = sse.map(([name, data]) => {
      const detail = (data.content_block as { type?: string } | undefined)?.type ?? (name === 'content_block_delta' ? (data.delta as { type: string }).type : undefined);
      return detail ? `${name}:${detail}` : name;
    });
    expect(names).toEqual(expected);
    for (const [name, data] of sse) expect(data.type).toBe(name);
  });

  it('holds message_delta until the events end so usage that follows the finish is in it', async () => {
    // Act
    const sse = parseSse(await encode([{ type: 'start', id: 'chatcmpl-1', model: 'gpt' }, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'length' }, { type: 'usage', usage: USAGE }]));

    // Assess
    expect(sse[0]).toEqual([
      'message_start',
      {
        type: 'message_start',
        message: {
          id: 'msg_chatcmpl-1',
          type: 'message',
          role: 'assistant',
          model: 'claude-client',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
        },
      },
    ]);
    expect(sse.filter(([n]) => n === 'message_delta')).toEqual([
      [
        'message_delta',
        { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { input_tokens: 20, cache_creation_input_tokens: 30, cache_read_input_tokens: 100, output_tokens: 20 } },
      ],
    ]);
  });

  it('puts the estimated input tokens in message_start when no usage is known yet, as clients that read input_tokens only there (LangChain) need', async () => {
    // Prepare
    const events: StreamEvent[] = [{ type: 'start', id: 'chatcmpl-2', model: 'gpt' }, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage: USAGE }];

    // Act
    let out = '';
    for await (const chunk of encodeAnthropicStream(from(events), { model: 'claude-client', inputTokensEstimate: 42 })) out += chunk;
    const sse = parseSse(out);

    // Assess
    expect((sse[0]![1].message as { usage: unknown }).usage).toEqual({ input_tokens: 42, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 });
    // The upstream's own count still comes in message_delta, which the official SDK takes over the estimate.
    expect(sse.find(([n]) => n === 'message_delta')![1].usage).toMatchObject({ input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 20 });
  });

  it('writes the error as Anthropic clients expect it', async () => {
    // Act
    const sse = parseSse(await encode([{ type: 'start', id: 'x', model: 'm' }, { type: 'error', error: new GatewayError('overloaded', 'Overloaded') }]));

    // Assess
    expect(sse.at(-1)).toEqual(['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]);
  });

  it("passes an upstream's in-band error on in its words: the field it names is of the body the upstream was sent, which no table maps back", async () => {
    // Act
    const upstream = new GatewayError('invalid_request', 'messages[1].content: stop has 6 sequences.', { param: 'stop' });
    const sse = parseSse(await encode([{ type: 'start', id: 'x', model: 'm' }, { type: 'error', error: upstream }]));

    // Assess
    expect(sse.at(-1)).toEqual(['error', { type: 'error', error: { type: 'invalid_request_error', message: 'messages[1].content: stop has 6 sequences.' } }]);
  });

  it.each(['cc-1.0.6-first-turn', 'cc-1.0.6-tool-loop', 'cc-1.0.6-haiku-title'] as const)(
    're-encodes the real stream %s into the same event sequence and the same canonical events',
    async (file) => {
      // Prepare
      const original = capturedSse(file);
      const events = await decode(original);

      // Act
      const encoded = await encode(events);

      // Assess
      const shape = (text: string) => parseSse(text).map(([name, data]) => [name, data.index, (data.delta as { type?: string } | undefined)?.type]);
      expect(shape(encoded)).toEqual(shape(original));
      // message_start goes out at once, before any usage is known; the held message_delta carries it all.
      const comparable = (list: StreamEvent[]) => list.filter((e, i) => e.type !== 'start' && !(e.type === 'usage' && list[i - 1]?.type === 'start'));
      const again = await decode(encoded);
      expect(comparable(again)).toEqual(comparable(events));
      expect(again[0]).toEqual({ type: 'start', id: events[0]?.type === 'start' ? events[0].id : '', model: 'claude-client' });
    },
  );
});

describe('encodeAnthropicStream read by the official SDK', () => {
  let server: Server;
  let events: StreamEvent[] = [];
  let client: Anthropic;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        for await (const chunk of encodeAnthropicStream(from(events), { model: 'claude-client' })) res.write(chunk);
        res.end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    client = new Anthropic({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 });
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('gives the final message with text, tool input, stop reason and usage', async () => {
    // Prepare
    events = [
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o' },
      { type: 'thinking_delta', text: 'Plan.' },
      { type: 'thinking_signature', signature: 'sig' },
      { type: 'text_delta', text: 'Checking ' },
      { type: 'text_delta', text: 'the weather.' },
      { type: 'tool_call_start', toolIndex: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '"Graz"}' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage: USAGE },
    ];

    // Act
    const message = await client.messages.stream({ model: 'claude-client', max_tokens: 100, messages: [{ role: 'user', content: 'Weather in Graz?' }] }).finalMessage();

    // Assess
    expect(message).toMatchObject({
      id: 'msg_chatcmpl-9',
      model: 'claude-client',
      content: [
        { type: 'thinking', thinking: 'Plan.', signature: 'sig' },
        { type: 'text', text: 'Checking the weather.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Graz' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 20, cache_creation_input_tokens: 30, cache_read_input_tokens: 100, output_tokens: 20 },
    });
  });

  it('raises the in-band error as an APIError of its type', async () => {
    // Prepare
    events = [{ type: 'start', id: 'x', model: 'm' }, { type: 'text_delta', text: 'Hi' }, { type: 'error', error: new GatewayError('overloaded', 'Overloaded') }];

    // Act
    const error = await client.messages.stream({ model: 'claude-client', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).finalMessage().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });
});
