import type { ChatResponse, StreamEvent, TokenUsage } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { usageFromGemini } from '../../providers/gemini';
import { markThoughtSignature } from './carried-thinking';
import { encodeGeminiResponse, encodeGeminiStream, geminiUsageMetadata } from './encode';

const usage = (over: Partial<TokenUsage> = {}): TokenUsage => ({ input: 10, output: 5, cacheRead: 0, cacheWrite: 0, reasoning: 0, ...over });
const answer = (over: Partial<ChatResponse>): ChatResponse => ({ id: 'resp_1', model: 'upstream', parts: [], finishReason: 'stop', usage: usage(), ...over });

describe('encodeGeminiResponse', () => {
  it.each<{ name: string; input: ChatResponse; expected: Record<string, unknown> }>([
    {
      name: 'writes text as the first candidate’s parts, with the client’s model name',
      input: answer({ parts: [{ type: 'text', text: 'Hi' }, { type: 'text', text: '' }] }),
      expected: {
        candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: 'gemini-2.5-flash',
        responseId: 'resp_1',
      },
    },
    {
      name: "writes thinking as thought parts with their signature (another family's marked), and drops redacted thinking",
      input: answer({ parts: [{ type: 'thinking', text: 'Hmm', signature: 'sig', signedBy: 'claude' }, { type: 'thinking', text: 'Gem', signature: 'CiQB', signedBy: 'gemini' }, { type: 'redacted_thinking', data: 'xx' }, { type: 'text', text: 'A' }] }),
      expected: {
        candidates: [
          { content: { role: 'model', parts: [{ text: 'Hmm', thought: true, thoughtSignature: markThoughtSignature('claude', 'sig') }, { text: 'Gem', thought: true, thoughtSignature: 'CiQB' }, { text: 'A' }] }, finishReason: 'STOP', index: 0 },
        ],
      },
    },
    {
      name: 'writes tool calls as function calls with an args object and their id',
      input: answer({ finishReason: 'tool_calls', parts: [{ type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{"a":1}' }, { type: 'tool_call', id: 'toolu_2', name: 'g', arguments: '' }] }),
      expected: { candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'toolu_1', name: 'f', args: { a: 1 } } }, { functionCall: { id: 'toolu_2', name: 'g', args: {} } }] }, finishReason: 'STOP', index: 0 }] },
    },
    { name: 'writes length as MAX_TOKENS', input: answer({ finishReason: 'length' }), expected: { candidates: [expect.objectContaining({ finishReason: 'MAX_TOKENS' })] } },
    { name: 'writes content_filter as SAFETY', input: answer({ finishReason: 'content_filter' }), expected: { candidates: [expect.objectContaining({ finishReason: 'SAFETY' })] } },
  ])('$name', ({ input, expected }) => {
    expect(encodeGeminiResponse(input, 'gemini-2.5-flash')).toMatchObject(expected);
  });

  it('makes up a response id when the upstream’s has characters Gemini ids do not', () => {
    expect(encodeGeminiResponse(answer({ id: 'a b/c' }), 'm').responseId).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('geminiUsageMetadata', () => {
  it.each([
    { name: 'plain counts', input: usage(), expected: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } },
    { name: 'cache reads and thoughts', input: usage({ input: 100, cacheRead: 60, output: 30, reasoning: 20 }), expected: { promptTokenCount: 100, cachedContentTokenCount: 60, candidatesTokenCount: 10, thoughtsTokenCount: 20, totalTokenCount: 130 } },
  ])('writes $name, and reads back the same usage', ({ input, expected }) => {
    const meta = geminiUsageMetadata(input);
    expect(meta).toEqual(expected);
    expect(usageFromGemini(meta)).toEqual({ ...input, cacheWrite: 0 });
  });
});

async function* from(events: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* events;
}

/** The stream's events as the JSON of each `data:` line; checks the framing on the way. */
async function encoded(events: StreamEvent[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const text of encodeGeminiStream(from(events), { model: 'client-model' })) {
    expect(text).toMatch(/^data: .*\r\n\r\n$/s);
    out.push(JSON.parse(text.slice('data: '.length)) as Record<string, unknown>);
  }
  return out;
}

const partsOf = (chunk: Record<string, unknown>) => (chunk.candidates as { content: { parts: unknown[] } }[])[0]!.content.parts;

describe('encodeGeminiStream', () => {
  it('sends each text and thought delta as a chunk, and the finish with the final usage last', async () => {
    // Act
    const chunks = await encoded([
      { type: 'start', id: 'resp_9', model: 'up' },
      { type: 'thinking_delta', text: 'Hmm' },
      { type: 'thinking_signature', signature: 'sig' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'usage', usage: usage({ output: 1 }) },
      { type: 'text_delta', text: 'lo' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: usage() },
    ]);

    // Assess
    expect(chunks.map(partsOf)).toEqual([[{ text: 'Hmm', thought: true }], [{ text: '', thought: true, thoughtSignature: markThoughtSignature('claude', 'sig') }], [{ text: 'Hel' }], [{ text: 'lo' }], [{ text: '' }]]);
    expect(chunks.every((c) => c.responseId === 'resp_9' && c.modelVersion === 'client-model')).toBe(true);
    expect(chunks[3]?.usageMetadata).toEqual({ promptTokenCount: 10, candidatesTokenCount: 1, totalTokenCount: 11 });
    expect(chunks.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } });
    expect(chunks.slice(0, -1).some((c) => (c.candidates as { finishReason?: string }[])[0]!.finishReason)).toBe(false);
  });

  it('sends a function call whole, in one chunk, once its arguments are complete', async () => {
    // Act
    const chunks = await encoded([
      { type: 'start', id: 'r', model: 'up' },
      { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'weather', signature: 'c2ln' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '"Oslo"}' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'finish', reason: 'tool_calls' },
    ]);

    // Assess
    expect(chunks.map(partsOf)).toEqual([[{ functionCall: { id: 'toolu_1', name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'c2ln' }], [{ text: '' }]]);
    expect(chunks.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }] });
  });

  it('ends with Google’s error object, which @google/genai raises, and nothing after it', async () => {
    // Act
    const chunks = await encoded([
      { type: 'start', id: 'r', model: 'up' },
      { type: 'text_delta', text: 'Hi' },
      { type: 'error', error: new GatewayError('overloaded', 'Try later.', { status: 503 }) },
      { type: 'text_delta', text: 'never' },
    ]);

    // Assess
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toEqual({ error: { code: 503, message: 'Try later.', status: 'UNAVAILABLE' } });
  });

  it("passes an upstream's in-band error on in its words: the field it names is of the body the upstream was sent, which no table maps back", async () => {
    // Act
    const upstream = new GatewayError('invalid_request', 'max_tokens is too large: 999999', { param: 'max_tokens' });
    const chunks = await encoded([{ type: 'start', id: 'r', model: 'up' }, { type: 'error', error: upstream }]);

    // Assess
    expect(chunks.at(-1)).toEqual({ error: { code: 400, message: 'max_tokens is too large: 999999', status: 'INVALID_ARGUMENT' } });
  });
});
