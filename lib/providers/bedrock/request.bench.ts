/**
 * What translating a conversation's history to Converse costs on every request (`toConverseBody`,
 * Claude and Nova): the 40-message tool loop of `bench/tool-loop.ts`, the shape an agent resends
 * each turn.
 *
 *   npx tsx lib/providers/bedrock/request.bench.ts
 */
import { medianNsPerCall } from '../../../bench/measure';
import { toolLoop } from '../../../bench/tool-loop';
import type { ChatRequest } from '../../canonical/types';
import { toConverseBody } from './request';

const N = 2_000;
const messages = toolLoop();
const rows: [string, ChatRequest][] = [
  ['Claude (anthropic.claude-sonnet-4-5)', { model: 'anthropic.claude-sonnet-4-5-20250929-v1:0', system: [{ type: 'text', text: 'You are a coding agent.' }], messages, stream: true, maxTokens: 4096 }],
  ['Nova (amazon.nova-pro-v1:0)', { model: 'amazon.nova-pro-v1:0', system: [{ type: 'text', text: 'You are a coding agent.' }], messages, stream: true, maxTokens: 4096 }],
];
for (let round = 0; round < 2; round++) {
  for (const [name, req] of rows) process.stdout.write(`${name.padEnd(38)} ${(medianNsPerCall(() => toConverseBody(req), N) / 1000).toFixed(2)} µs per ${messages.length}-message request\n`);
}
