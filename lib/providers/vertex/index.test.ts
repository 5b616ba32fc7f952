import type { ChatRequest, StreamEvent } from '../../canonical/types';
import type { CallContext } from '../types';
import { vertexProvider } from './index';

const request = (model: string, over: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'Weather in Graz?' }] }],
  stream: false,
  ...over,
});
const call: CallContext = {
  provider: { id: 'vertex', type: 'vertex', project: 'my-project', region: 'us-east5', defaultMaxTokens: 2048 },
  account: { id: 'main', weight: 1, region: 'europe-west1' },
  apiKey: 'ya29.token',
  timeouts: { headersMs: 5_000, idleMs: 5_000 },
};
const BASE = 'https://europe-west1-aiplatform.googleapis.com/v1/projects/my-project/locations/europe-west1/publishers';

async function* bytes(...pieces: string[]): AsyncIterable<Uint8Array> {
  for (const p of pieces) yield Buffer.from(p);
}
async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('vertexProvider', () => {
  it.each([
    [false, 'rawPredict'],
    [true, 'streamRawPredict'],
  ])('sends Claude (stream %s) Anthropic’s body on %s, with Vertex’s version, no model and the provider’s default max_tokens', async (stream, method) => {
    // Act
    const req = await vertexProvider.buildRequest(request('claude-sonnet-4-5@20250929', { stream }), call);

    // Assess
    expect(req.url).toBe(`${BASE}/anthropic/models/claude-sonnet-4-5@20250929:${method}`);
    expect(req.headers.authorization).toBe('Bearer ya29.token');
    const body = JSON.parse(String(req.body)) as Record<string, unknown>;
    expect(body).toMatchObject({ anthropic_version: 'vertex-2023-10-16', max_tokens: 2048, system: [{ type: 'text', text: 'Be brief.' }] });
    expect(body.model).toBeUndefined();
    expect(body.stream).toBe(stream ? true : undefined);
  });

  it.each([
    [false, 'generateContent'],
    [true, 'streamGenerateContent?alt=sse'],
  ])('sends Gemini (stream %s) the Gemini body on %s', async (stream, method) => {
    // Act
    const req = await vertexProvider.buildRequest(request('gemini-2.5-flash', { stream }), call);

    // Assess
    expect(req.url).toBe(`${BASE}/google/models/gemini-2.5-flash:${method}`);
    expect(JSON.parse(String(req.body))).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Weather in Graz?' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } });
  });

  it('sends Gemini no call ids, which Vertex AI refuses ("Unknown name \\"id\\" at function_call"), even ids Gemini made', async () => {
    // Prepare
    const messages: ChatRequest['messages'] = [
      { role: 'user', parts: [{ type: 'text', text: 'Weather in Graz?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'n3v0qk2x', name: 'weather', arguments: '{}' }] },
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'n3v0qk2x', content: 'Sunny' }] },
    ];

    // Act
    const req = await vertexProvider.buildRequest(request('gemini-2.5-flash', { messages }), call);

    // Assess
    const { contents } = JSON.parse(String(req.body)) as { contents: { parts: { functionCall?: object; functionResponse?: object }[] }[] };
    expect(contents[1]?.parts[0]?.functionCall).toEqual({ name: 'weather', args: {} });
    expect(contents[2]?.parts[0]?.functionResponse).toEqual({ name: 'weather', response: { content: 'Sunny' } });
  });

  it('sends Gemini its first five stop sequences and tells the call all of them, for the gateway to cut at', async () => {
    // Prepare
    const stop = ['a', 'b', 'c', 'd', 'e', 'f'];
    const told: (readonly string[])[] = [];

    // Act
    const req = await vertexProvider.buildRequest(request('gemini-2.5-flash', { stop }), { ...call, onStopEmulated: (sequences) => told.push(sequences) });

    // Assess
    expect((JSON.parse(String(req.body)) as { generationConfig: unknown }).generationConfig).toEqual({ stopSequences: ['a', 'b', 'c', 'd', 'e'] });
    expect(told).toEqual([stop]);
  });

  it('reads each publisher’s whole answer with its own decoder', () => {
    // Act
    const claude = vertexProvider.parseResponse(
      { id: 'msg_vrtx_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Sunny.' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 2 } },
      request('claude-sonnet-4-5@20250929'),
    );
    const gemini = vertexProvider.parseResponse(
      { candidates: [{ content: { role: 'model', parts: [{ text: 'Sunny.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 } },
      request('gemini-2.5-flash'),
    );

    // Assess
    for (const answer of [claude, gemini]) expect(answer).toMatchObject({ parts: [{ type: 'text', text: 'Sunny.' }], finishReason: 'stop', usage: { input: 10, output: 2 } });
  });

  it.each([false, true])('answers a Claude prefill trimmed of its line end with what continues the client’s own, not the line end again (stream %s)', async (stream) => {
    // Prepare: Aider's prefill ends in a line end, which the translation leaves off for Claude; Claude's continuation starts with it.
    const req = request('claude-sonnet-4-5@20250929', { stream, messages: [{ role: 'user', parts: [{ type: 'text', text: 'Go on' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'def f():\n' }] }] });
    const content = '\n    return 1';
    const sse = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\\n"}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"    return 1"}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];

    // Act
    const text = stream
      ? (await collect(vertexProvider.parseStream(bytes(...sse), req))).flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')
      : vertexProvider.parseResponse({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: content }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4 } }, req).parts.map((p) => (p.type === 'text' ? p.text : '')).join('');

    // Assess
    expect(text).toBe('    return 1');
  });

  it('reads each publisher’s stream with its own decoder', async () => {
    // Prepare
    const claudeSse = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    const geminiSse = ['data: {"candidates": [{"content": {"role": "model","parts": [{"text": "Hi"}]},"finishReason": "STOP"}],"usageMetadata": {"promptTokenCount": 3,"candidatesTokenCount": 1}}\r\n\r\n'];

    // Act
    const claude = await collect(vertexProvider.parseStream(bytes(...claudeSse), request('claude-sonnet-4-5@20250929', { stream: true })));
    const gemini = await collect(vertexProvider.parseStream(bytes(...geminiSse), request('gemini-2.5-flash', { stream: true })));

    // Assess
    for (const events of [claude, gemini]) {
      expect(events.filter((e) => e.type === 'text_delta')).toEqual([{ type: 'text_delta', text: 'Hi' }]);
      expect(events.find((e) => e.type === 'finish')).toMatchObject({ reason: 'stop' });
    }
  });
});
