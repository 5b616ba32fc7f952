/**
 * What the stored objects' routes cost the gateway's routing, and what counting them costs a caller:
 * - `storedObjectOperations`, asked by `findRoute` for every path no exact route takes (a model's
 *   `/v1/models/{id}`, Gemini's are matched before it): a stored response's path, a conversation
 *   item's, and a path that is neither, beside the responses-only pattern it replaced;
 * - `takeRequestSlot` for a caller without per-minute limits (most keys): no counter is asked.
 *
 *   npx tsx lib/pipeline/stored-responses.bench.ts
 */
import type { Caller } from '../access/caller';
import type { GatewayRequest } from '../http/types';
import { medianNsPerCall } from '../../bench/measure';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { takeRequestSlot } from './request-slot';
import { storedObjectOperations } from './stored-responses';

const measure = (fn: () => unknown, n = 200_000) => medianNsPerCall(fn, n);
let sink = 0;

const RESPONSE = `/v1/responses/resp_${'a'.repeat(48)}/input_items`;
const ITEM = `/v1/conversations/conv_${'b'.repeat(48)}/items/msg_${'c'.repeat(48)}`;
const MISS = '/v1/models/gpt-4o-mini';
// The pattern before conversations had routes, as `storedResponseOperations` tested it.
const BEFORE = /^(?:\/v1)?\/responses\/([^/]+)(?:\/(input_items|cancel))?$/;

const rows: [string, number][] = [
  ['a stored response path (before: the responses-only pattern)', measure(() => (sink += BEFORE.exec(RESPONSE) ? 1 : 0))],
  ['a stored response path: storedObjectOperations', measure(() => (sink += storedObjectOperations(RESPONSE) ? 1 : 0))],
  ["a conversation item's path: storedObjectOperations", measure(() => (sink += storedObjectOperations(ITEM) ? 1 : 0))],
  ['a path that is neither (before)', measure(() => (sink += BEFORE.exec(MISS) ? 1 : 0))],
  ['a path that is neither: storedObjectOperations', measure(() => (sink += storedObjectOperations(MISS) ? 1 : 0))],
];

const caller = { key: { id: 'key_0123456789abcdef' } } as unknown as Caller;
const req = { headers: {} } as unknown as GatewayRequest;
const deps = {} as ProxyDeps;
const ctx = { surface: 'openai-responses', requestId: 'r' } as unknown as RequestContext;

async function main(): Promise<void> {
  // Awaited in turn: the promise is part of what a route pays.
  const slots = 100_000;
  const started = performance.now();
  for (let i = 0; i < slots; i++) await takeRequestSlot(caller, req, ctx, deps);
  rows.push(['takeRequestSlot, a caller without limits (awaited)', ((performance.now() - started) * 1e6) / slots]);
  console.log('| step | ns per call |');
  console.log('|---|---|');
  for (const [step, ns] of rows) console.log(`| ${step} | ${ns.toFixed(0)} |`);
  if (sink < 0) console.log(sink);
}

void main();
