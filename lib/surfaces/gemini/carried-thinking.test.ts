import type { StreamEvent } from '../../canonical/types';
import { carriedThinking, carryThinking } from './carried-thinking';
import { decodeGeminiRequest } from './decode';
import { encodeGeminiResponse, encodeGeminiStream } from './encode';

const signed = { type: 'thinking' as const, text: 'The user wants Oslo.', signature: 'EqQBCkYIAxgCIkB' };
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
      contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ text: 'The user ', thought: true }, { text: 'wants Oslo.', thought: true }, { text: '', thought: true, thoughtSignature: signed.signature }, { text: 'Oslo.' }] }],
    });
    expect(next.messages[1]?.parts).toEqual([signed, { type: 'text', text: 'Oslo.' }]);
  });
});
