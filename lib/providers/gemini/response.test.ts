import type { ChatRequest } from '../../canonical/types';
import { finishReasonFromGemini, fromGeminiResponse, toolCallId, usageFromGemini } from './response';
import type { GeminiResponse } from './types';

const REQ: ChatRequest = { model: 'gemini-2.5-flash', system: [], messages: [], stream: false };
const USAGE = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };
const answer = (parts: unknown[], finishReason = 'STOP', extra: Partial<GeminiResponse> = {}): GeminiResponse =>
  ({
    candidates: [{ content: { parts, role: 'model' }, finishReason, index: 0 }],
    usageMetadata: USAGE,
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-1',
    ...extra,
  }) as GeminiResponse;

describe('fromGeminiResponse', () => {
  it.each([
    {
      name: 'joins adjacent text parts into one',
      body: answer([{ text: 'Hello, ' }, { text: 'world' }]),
      expected: { id: 'resp-1', model: 'gemini-2.5-flash', parts: [{ type: 'text', text: 'Hello, world' }], finishReason: 'stop' },
    },
    {
      name: 'reads thought parts as thinking, ahead of the text, and drops an empty signed text part',
      body: answer([{ text: 'Let me think.', thought: true }, { text: 'Answer.' }, { text: '', thoughtSignature: 'c2ln' }]),
      expected: { parts: [{ type: 'thinking', text: 'Let me think.' }, { type: 'text', text: 'Answer.' }], finishReason: 'stop' },
    },
    {
      name: 'reads function calls whole, with synthesised ids, the signature and STOP as tool_calls',
      body: answer([
        { functionCall: { name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'U0lH' },
        { functionCall: { name: 'clock' } },
      ]),
      expected: {
        parts: [
          { type: 'tool_call', id: toolCallId('resp-1', 0), name: 'weather', arguments: '{"city":"Oslo"}', signature: 'U0lH' },
          { type: 'tool_call', id: toolCallId('resp-1', 1), name: 'clock', arguments: '{}' },
        ],
        finishReason: 'tool_calls',
      },
    },
    {
      name: 'keeps the id of a function call when Gemini sends one',
      body: answer([{ functionCall: { id: 'fc-9', name: 'clock', args: {} } }]),
      expected: { parts: [{ type: 'tool_call', id: 'fc-9', name: 'clock', arguments: '{}' }] },
    },
    {
      name: 'answers an empty content_filter response for a prompt blocked before any candidate',
      body: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 }, modelVersion: 'gemini-2.5-flash', responseId: 'r2' },
      expected: { id: 'r2', parts: [], finishReason: 'content_filter', usage: { input: 8, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
    },
    {
      name: 'answers a SAFETY stop with no content as content_filter',
      body: { candidates: [{ finishReason: 'SAFETY', index: 0 }], usageMetadata: USAGE, responseId: 'r3' } as GeminiResponse,
      expected: { parts: [], finishReason: 'content_filter', model: 'gemini-2.5-flash' },
    },
    {
      name: 'ignores parts the canonical form has no place for',
      body: answer([{ inlineData: { mimeType: 'image/png', data: 'iVBOR' } }, { text: 'Here.' }]),
      expected: { parts: [{ type: 'text', text: 'Here.' }] },
    },
  ])('$name', ({ body, expected }) => {
    // Act
    const response = fromGeminiResponse(body as GeminiResponse, REQ);

    // Assess
    expect(response).toMatchObject(expected);
  });

  it('keeps only the first function call when the client asked for one call at a time (parallel_tool_calls: false)', () => {
    // Prepare
    const body = answer([{ text: 'Checking.' }, { functionCall: { name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'U0lHMQ==' }, { functionCall: { name: 'clock', args: {} } }]);

    // Act
    const single = fromGeminiResponse(body, { ...REQ, parallelToolCalls: false });
    const parallel = fromGeminiResponse(body, REQ);

    // Assess
    expect(single.parts.map((p) => (p.type === 'tool_call' ? p.name : p.type))).toEqual(['text', 'weather']);
    expect(single.parts[1]).toMatchObject({ id: toolCallId('resp-1', 0), signature: 'U0lHMQ==' });
    expect(single.finishReason).toBe('tool_calls');
    expect(parallel.parts.map((p) => (p.type === 'tool_call' ? p.name : p.type))).toEqual(['text', 'weather', 'clock']);
  });

  it('makes up a response id when Gemini sent none, and derives the tool ids from it', () => {
    // Act
    const response = fromGeminiResponse(answer([{ functionCall: { name: 'f', args: {} } }], 'STOP', { responseId: undefined }), REQ);

    // Assess
    expect(response.id).toMatch(/^gemini-[0-9a-f-]{36}$/);
    expect(response.parts[0]).toMatchObject({ id: toolCallId(response.id, 0) });
  });
});

describe('finishReasonFromGemini', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['MAX_TOKENS', true, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['LANGUAGE', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['IMAGE_SAFETY', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', false, 'error'],
    ['UNEXPECTED_TOOL_CALL', false, 'error'],
    ['TOO_MANY_TOOL_CALLS', true, 'error'],
    ['OTHER', false, 'stop'],
    ['FINISH_REASON_UNSPECIFIED', false, 'stop'],
    ['SOMETHING_NEW', false, 'stop'],
    [undefined, false, 'stop'],
  ] as const)('maps %s (function call: %s) to %s', (reason, calledTool, expected) => {
    expect(finishReasonFromGemini(reason, calledTool)).toBe(expected);
  });
});

describe('usageFromGemini', () => {
  it.each([
    {
      name: 'prompt as input and candidates as output',
      meta: { promptTokenCount: 12, candidatesTokenCount: 3, totalTokenCount: 15 },
      expected: { input: 12, output: 3, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    },
    {
      name: 'thoughts inside output and as reasoning, as OpenAI counts them',
      meta: { promptTokenCount: 12, candidatesTokenCount: 3, thoughtsTokenCount: 40, totalTokenCount: 55 },
      expected: { input: 12, output: 43, cacheRead: 0, cacheWrite: 0, reasoning: 40 },
    },
    {
      name: 'cached tokens as cache reads, already inside the prompt count',
      meta: { promptTokenCount: 2000, cachedContentTokenCount: 1800, candidatesTokenCount: 10, totalTokenCount: 2010 },
      expected: { input: 2000, output: 10, cacheRead: 1800, cacheWrite: 0, reasoning: 0 },
    },
    {
      name: 'tool-use prompt tokens as input',
      meta: { promptTokenCount: 100, toolUsePromptTokenCount: 30, candidatesTokenCount: 5, totalTokenCount: 135 },
      expected: { input: 130, output: 5, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    },
    { name: 'zeros for missing metadata', meta: undefined, expected: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 } },
  ])('counts $name', ({ meta, expected }) => {
    expect(usageFromGemini(meta)).toEqual(expected);
  });

  it('adds up to Gemini\'s totalTokenCount', () => {
    // Prepare
    const meta = { promptTokenCount: 120, cachedContentTokenCount: 100, toolUsePromptTokenCount: 7, candidatesTokenCount: 30, thoughtsTokenCount: 50, totalTokenCount: 207 };

    // Act
    const usage = usageFromGemini(meta);

    // Assess
    expect(usage.input + usage.output).toBe(meta.totalTokenCount);
  });
});

describe('toolCallId', () => {
  it('is stable for one response and index, and differs across responses and indexes', () => {
    // Act
    const ids = [toolCallId('a', 0), toolCallId('a', 0), toolCallId('a', 1), toolCallId('b', 0)];

    // Assess
    expect(ids[0]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => /^call_[0-9a-f]{16}_\d+$/.test(id))).toBe(true);
  });
});

describe('fromGeminiResponse with parts of an unexpected shape', () => {
  // An upstream's odd JSON is left out, never a throw: a throw on a held answer is answered 500 as
  // the gateway's own fault and pages the operator.
  const candidateWith = (content: unknown) => ({ candidates: [{ content, finishReason: 'STOP', index: 0 }], responseId: 'resp-1' }) as unknown as GeminiResponse;
  it.each<[string, unknown]>([
    ['parts an object', { parts: { text: 'x' } }],
    ['parts a number', { parts: 7 }],
    ['parts null', { parts: null }],
    ['content a string', 'text'],
    ['a part null, between two texts', { parts: [{ text: 'a' }, null, { text: 'b' }] }],
    ['a part a number, between two texts', { parts: [{ text: 'a' }, 3, { text: 'b' }] }],
    ['a functionCall a string, between two texts', { parts: [{ text: 'a' }, { functionCall: 'f' }, { text: 'b' }] }],
    ['a functionCall without a name, between two texts', { parts: [{ text: 'a' }, { functionCall: { args: {} } }, { text: 'b' }] }],
  ])('leaves out %s', (name, content) => {
    // Act
    const response = fromGeminiResponse(candidateWith(content), REQ);

    // Assess
    expect(response.parts).toEqual(name.includes('between') ? [{ type: 'text', text: 'ab' }] : []);
    expect(response.finishReason).toBe('stop');
  });
});
