/**
 * What CORS costs a door per request: an answer's headers added (`decorate`, on every call when
 * `cors` is on) for a listed origin, an unlisted one and `*`, and a preflight answered (the
 * OpenAI SDK's header list), against a response's header object as the gateway builds it.
 *
 *   npx tsx lib/http/cors.bench.ts
 */
import { medianNsPerCall } from '../../bench/measure';
import { CorsPolicy } from './cors';
import type { GatewayResponse } from './types';

const listed = CorsPolicy.from({ allowOrigins: ['https://a.example', 'https://chat.example.com', 'http://localhost:3000'], allowHeaders: [], maxAgeSeconds: 7200 })!;
const any = CorsPolicy.from({ allowOrigins: '*', allowHeaders: [], maxAgeSeconds: 7200 })!;
const answer = (): GatewayResponse => ({ status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'r', 'x-ratelimit-remaining-requests': '59' }, body: '{}' });
const PREFLIGHT = {
  origin: 'https://chat.example.com',
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout',
};
const N = 200_000;

const rows: [string, () => unknown][] = [
  ['answer headers built alone (baseline)', () => answer()],
  ['decorate, listed origin', () => listed.decorate(answer(), 'https://chat.example.com')],
  ['decorate, unlisted origin', () => listed.decorate(answer(), 'https://evil.example')],
  ['decorate, no origin (not a browser)', () => listed.decorate(answer(), undefined)],
  ['decorate, "*"', () => any.decorate(answer(), 'https://chat.example.com')],
  ['preflight (OpenAI SDK headers)', () => listed.preflight(PREFLIGHT)],
];
for (const [name, fn] of rows) process.stdout.write(`${name}: ${(medianNsPerCall(fn, N) / 1000).toFixed(3)} µs\n`);
