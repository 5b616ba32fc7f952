/**
 * What the gateway's dispatch pays for its exact routes being built from the one table of paths
 * (`exactRoutes`) rather than written as an object literal: a lookup of a route's path, its path
 * without `/v1`, and a path no exact route has, on each table, each in a process of its own (as a
 * gateway has one table, its lookups see one shape).
 *
 *   npx tsx lib/pipeline/route-binding.bench.ts literal; npx tsx lib/pipeline/route-binding.bench.ts one-table
 */
import { medianNsPerCall } from '../../bench/measure';
import { exactRoutes, type ExactRoutePath } from './route-binding';

const handler = () => undefined;
const PATHS: ExactRoutePath[] = [
  '/v1/chat/completions', '/v1/completions', '/v1/responses', '/v1/conversations', '/v1/embeddings', '/v1/images/generations', '/v1/images/edits',
  '/v1/audio/speech', '/v1/audio/transcriptions', '/v1/audio/translations', '/v1/moderations', '/v1/rerank', '/v2/rerank', '/v1/messages',
  '/v1/messages/count_tokens', '/v1/models', '/v1beta/models', '/', '/health',
];
const built = exactRoutes(Object.fromEntries(PATHS.map((path) => [path, { POST: handler }])) as Record<ExactRoutePath, { POST: () => undefined }>);
// The shape `createGateway` had: one object literal.
const literal: Record<string, { binding?: string; methods: { POST: () => undefined } }> = {
  '/v1/chat/completions': { binding: 'a', methods: { POST: handler } }, '/v1/completions': { binding: 'a', methods: { POST: handler } },
  '/v1/responses': { binding: 'b', methods: { POST: handler } }, '/v1/conversations': { binding: 'b', methods: { POST: handler } },
  '/v1/embeddings': { binding: 'a', methods: { POST: handler } }, '/v1/images/generations': { binding: 'a', methods: { POST: handler } },
  '/v1/images/edits': { binding: 'a', methods: { POST: handler } }, '/v1/audio/speech': { binding: 'a', methods: { POST: handler } },
  '/v1/audio/transcriptions': { binding: 'a', methods: { POST: handler } }, '/v1/audio/translations': { binding: 'a', methods: { POST: handler } },
  '/v1/moderations': { binding: 'a', methods: { POST: handler } }, '/v1/rerank': { binding: 'a', methods: { POST: handler } },
  '/v2/rerank': { binding: 'a', methods: { POST: handler } }, '/v1/messages': { binding: 'c', methods: { POST: handler } },
  '/v1/messages/count_tokens': { binding: 'c', methods: { POST: handler } }, '/v1/models': { methods: { POST: handler } },
  '/v1beta/models': { binding: 'd', methods: { POST: handler } }, '/': { methods: { POST: handler } }, '/health': { methods: { POST: handler } },
};
// Paths as a door hands them: fresh strings, not the table's own.
const asked = (path: string) => `${path} `.slice(0, -1);
const N = 1_000_000;

const [name, routes] = process.argv[2] === 'literal' ? ['object literal (before)', literal] : ['exactRoutes (one table)', built];
for (const [kind, path] of [['a route', '/v1/chat/completions'], ['without /v1', '/chat/completions'], ['no exact route', '/v1beta/models/gemini-2.5-flash:generateContent']] as const) {
  const ns = medianNsPerCall(() => routes[asked(path)] ?? routes[`/v1${asked(path)}`], N);
  process.stdout.write(`${name}, ${kind}: ${ns.toFixed(1)} ns\n`);
}
