/**
 * What decoding one OpenAI chunk into canonical events costs (`OpenAIChunkDecoder.data`), as every
 * translated stream from an OpenAI-compatible upstream pays it per chunk: a content chunk and a
 * tool call's arguments chunk, beside a chunk's `JSON.parse` alone (the floor).
 *
 *   npx tsx lib/providers/openai/translate-stream.bench.ts
 */
import { medianNsPerCall } from '../../../bench/measure';
import { OpenAIChunkDecoder } from './translate-stream';

const frame = { id: 'chatcmpl-AbC123', object: 'chat.completion.chunk', created: 1764200000, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_1' };
const content = JSON.stringify({ ...frame, choices: [{ index: 0, delta: { content: ' word' }, logprobs: null, finish_reason: null }] });
const opening = JSON.stringify({ ...frame, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }] }, finish_reason: null }] });
const args = JSON.stringify({ ...frame, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null }] });

/** A decoder past its start (and `first` read), as nearly every chunk of a stream finds it. */
function decoding(first: string, chunk: string): () => unknown {
  const decoder = new OpenAIChunkDecoder({ model: 'gpt-4o-mini' });
  decoder.data(first);
  return () => decoder.data(chunk);
}

const rows: [string, () => unknown, number][] = [
  ['a chunk\u2019s JSON.parse alone (the floor)', () => JSON.parse(content), 50_000],
  ['OpenAIChunkDecoder.data, a content chunk', decoding(content, content), 50_000],
  ['OpenAIChunkDecoder.data, a tool call\u2019s arguments chunk', decoding(opening, args), 50_000],
];

for (const [name, fn, n] of rows) process.stdout.write(`${name}: ${medianNsPerCall(fn, n).toFixed(0)} ns\n`);
