import type { StreamEvent } from '../../canonical/types';
import { carriedThinking, carryThinking, markThoughtSignature, readGatewaySignature, withoutGatewaySignatures } from './carried-thinking';
import { decodeGeminiRequest } from './decode';
import { encodeGeminiResponse, encodeGeminiStream } from './encode';

const signed = { type: 'thinking' as const, text: 'The user wants Oslo.', signature: 'EqQBCkYIAxgCIkB', signedBy: 'claude' as const };
const redacted = { type: 'redacted_thinking' as const, data: 'EmwKAhgBEgy' };

describe('carryThinking', () => {
  it('packs signed and redacted thinking into base64 that carriedThinking reads back', () => {
    const signature = carryThinking([signed, { type: 'thinking', text: 'unsigned' }, redacted])!;
    expect(Buffer.from(signature, 'base64').toString('base64')).toBe(signature);
    expect(carriedThinking(signature)).toEqual([signed, redacted]);
  });

  it.each([
    ['no thinking', []],
    ['only unsigned thinking', [{ type: 'thinking' as const, text: 'x' }]],
  ])('carries nothing for %s', (_name, thoughts) => {
    expect(carryThinking(thoughts)).toBeUndefined();
  });

  it.each(['CiQB0e2Kb-signature', 'skip_thought_signature_validator', 'eyJhaWd3IjoxLA==', ''])('reads no thinking out of the signature %j', (signature) => {
    expect(carriedThinking(signature)).toBeUndefined();
  });
});

async function* from(events: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* events;
}

describe('thinking across a tool loop, as Gemini CLI keeps its history', () => {
  it('comes back before the call when only the function call part is sent back (streamed answer)', async () => {
    // Prepare: Anthropic's answer, streamed: thinking, its signature, a tool call.
    const events: StreamEvent[] = [
      { type: 'start', id: 'msg_1', model: 'claude' },
      { type: 'thinking_delta', text: 'The user ' },
      { type: 'thinking_delta', text: 'wants Oslo.' },
      { type: 'thinking_signature', signature: signed.signature },
      { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'weather' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":"Oslo"}' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'finish', reason: 'tool_calls' },
    ];
    const chunks: { candidates: { content: { parts: Record<string, unknown>[] } }[] }[] = [];
    for await (const text of encodeGeminiStream(from(events), { model: 'm' })) chunks.push(JSON.parse(text.slice(6)));
    const call = chunks.flatMap((c) => c.candidates[0]!.content.parts).find((p) => p.functionCall)!;

    // Act: the next request keeps the call (with its signature) and drops the thought parts.
    const next = decodeGeminiRequest({
      contents: [{ role: 'user', parts: [{ text: 'Weather?' }] }, { role: 'model', parts: [call] }, { role: 'user', parts: [{ functionResponse: { id: 'toolu_1', name: 'weather', response: { output: '12' } } }] }],
    });

    // Assess
    expect(next.messages[1]).toEqual({ role: 'assistant', parts: [signed, { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Oslo"}' }] });
  });

  it('is not doubled when the client sends the thought parts back too (whole answer)', () => {
    // Prepare
    const answer = encodeGeminiResponse({ id: 'msg_1', model: 'claude', parts: [signed, { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '{}' }], finishReason: 'tool_calls', usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, reasoning: 0 } }, 'm');

    // Act
    const next = decodeGeminiRequest({ contents: [{ role: 'user', parts: [{ text: 'q' }] }, answer.candidates![0]!.content!] as unknown[] as Record<string, unknown>[] });

    // Assess
    expect(next.messages[1]?.parts).toEqual([signed, { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '{}' }]);
  });

  it('joins thought parts streamed apart into one signed block', () => {
    const next = decodeGeminiRequest({
      contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ text: 'The user ', thought: true }, { text: 'wants Oslo.', thought: true }, { text: '', thought: true, thoughtSignature: markThoughtSignature('claude', signed.signature) }, { text: 'Oslo.' }] }],
    });
    expect(next.messages[1]?.parts).toEqual([signed, { type: 'text', text: 'Oslo.' }]);
  });
});

describe('whose thought signature it is', () => {
  const turn = (parts: Record<string, unknown>[]) => decodeGeminiRequest({ contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts }, { role: 'user', parts: [{ text: 'go on' }] }] }).messages[1]?.parts;
  const oldBlob = Buffer.from(JSON.stringify({ aigw: 1, thinking: [{ type: 'thinking', text: 'Old.', signature: 'EqOld' }] })).toString('base64');

  it.each([
    ['a marked signature on a thought part is the family it names', [{ text: 'Hmm', thought: true, thoughtSignature: markThoughtSignature('claude', 'EqQB') }], [{ type: 'thinking', text: 'Hmm', signature: 'EqQB', signedBy: 'claude' }]],
    ["an unmarked one is Gemini's", [{ text: 'Hmm', thought: true, thoughtSignature: 'CiQBsig' }], [{ type: 'thinking', text: 'Hmm', signature: 'CiQBsig', signedBy: 'gemini' }]],
    ["a function call's unmarked one is Gemini's", [{ functionCall: { id: 'c1', name: 'f', args: {} }, thoughtSignature: 'CiQBsig' }], [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}', signature: 'CiQBsig', signedBy: 'gemini' }]],
    [
      "an unmarked one in a turn whose call carries a blob from before the mark is Claude's (the old gateway wrote both)",
      [{ text: 'Old.', thought: true, thoughtSignature: 'EqOld' }, { functionCall: { id: 'c1', name: 'f', args: {} }, thoughtSignature: oldBlob }],
      [{ type: 'thinking', text: 'Old.', signature: 'EqOld', signedBy: 'claude' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }],
    ],
    ["a blob from before the mark carries Claude's thinking", [{ functionCall: { id: 'c1', name: 'f', args: {} }, thoughtSignature: oldBlob }], [{ type: 'thinking', text: 'Old.', signature: 'EqOld', signedBy: 'claude' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }]],
  ])('%s', (_name, parts, expected) => {
    expect(turn(parts)).toEqual(expected);
  });

  it.each(['CiQB0e2Kb-signature', 'skip_thought_signature_validator', carryThinking([signed])!])('reads no marked signature out of %j', (value) => {
    expect(readGatewaySignature(value)).toBeUndefined();
  });
});

describe('withoutGatewaySignatures (Gemini passthrough)', () => {
  const call = (thoughtSignature?: string) => ({ functionCall: { name: 'ls', args: {} }, ...(thoughtSignature ? { thoughtSignature } : {}) });
  const body = (parts: Record<string, unknown>[]) => ({ contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts }, { role: 'user', parts: [{ functionResponse: { name: 'ls', response: {} } }] }], generationConfig: { temperature: 0 } });
  const blob = carryThinking([signed])!;

  it.each([
    ['puts the stand-in on a call that carried thinking, on Gemini 3', 'gemini-3-pro-preview', [call(blob)], [call('skip_thought_signature_validator')]],
    ['removes the signature before Gemini 3', 'gemini-2.5-flash', [call(blob)], [call()]],
    ['drops a thought part that carried a marked signature', 'gemini-2.5-flash', [{ text: '', thought: true, thoughtSignature: markThoughtSignature('claude', 'EqQB') }, call(blob)], [call()]],
    ['keeps Gemini\'s own signatures as they are', 'gemini-3-pro-preview', [{ text: 'Hmm', thought: true, thoughtSignature: 'CiQBa' }, call('CiQBb'), call(blob)], [{ text: 'Hmm', thought: true, thoughtSignature: 'CiQBa' }, call('CiQBb'), call('skip_thought_signature_validator')]],
  ])('%s', (_name, model, parts, expected) => {
    const out = withoutGatewaySignatures(body(parts), model);
    expect(out).toEqual({ ...body(expected) });
  });

  it('drops a model turn left with no parts', () => {
    const out = withoutGatewaySignatures({ contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ text: 'x', thought: true, thoughtSignature: markThoughtSignature('claude', 'Eq') }] }] }, 'gemini-3-pro');
    expect(out).toEqual({ contents: [{ role: 'user', parts: [{ text: 'q' }] }] });
  });

  it.each([
    ['Gemini\'s own signatures', body([call('CiQBb')])],
    ['no contents', { contents: 'x' }],
    ['odd parts', { contents: [null, { parts: [null, 1, { thoughtSignature: 7 }] }] }],
  ])('leaves a body with %s alone (undefined: its bytes go on)', (_name, input) => {
    expect(withoutGatewaySignatures(input as Record<string, unknown>, 'gemini-3-pro')).toBeUndefined();
  });
});
