/**
 * What translating a conversation's history to Gemini's `contents` costs on every request
 * (`toGeminiContents`): the 40-message tool loop of `bench/tool-loop.ts`.
 *
 *   npx tsx lib/providers/gemini/contents.bench.ts
 */
import { medianNsPerCall } from '../../../bench/measure';
import { toolLoop } from '../../../bench/tool-loop';
import { toGeminiContents } from './contents';

const N = 2_000;
const messages = toolLoop();
for (let round = 0; round < 2; round++) {
  for (const model of ['gemini-2.5-flash', 'gemini-3-pro-preview']) {
    process.stdout.write(`${model.padEnd(22)} ${(medianNsPerCall(() => toGeminiContents(messages, model), N) / 1000).toFixed(2)} µs per ${messages.length}-message request\n`);
  }
}
