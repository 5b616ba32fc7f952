/**
 * What choosing the client's failure adds to a call that fails over (`tellingFailure`, once per
 * failed attempt; a call served by its first account never calls it): two failures weighed, the
 * common case (a 429 with retry-after, then an account lacking the model), and two rate limits,
 * whose retry-afters are read and compared.
 *
 *   npx tsx lib/pipeline/failure-choice.bench.ts
 */
import { GatewayError } from '../http/errors';
import { medianNsPerCall } from '../../bench/measure';
import { tellingFailure } from './failure-choice';

const now = Date.now();
const rateLimited = { error: new GatewayError('rate_limit', 'Rate limit reached.', { status: 429, headers: { 'retry-after': '7' } }) };
const sooner = { error: new GatewayError('rate_limit', 'Rate limit reached.', { status: 429, headers: { 'retry-after': '3' } }) };
const modelMissing = { error: new GatewayError('upstream_error', 'No such model for this account.', { code: 'upstream_failed_precondition' }) };
let sink = 0;

const mixed = medianNsPerCall(() => (sink += tellingFailure(tellingFailure(undefined, rateLimited, now), modelMissing, now) === rateLimited ? 1 : 0), 200_000);
const twoLimits = medianNsPerCall(() => (sink += tellingFailure(tellingFailure(undefined, rateLimited, now), sooner, now) === sooner ? 1 : 0), 200_000);

console.log(`429 then a model missing: ${mixed.toFixed(0)} ns per failed-over call`);
console.log(`two 429s, retry-afters compared: ${twoLimits.toFixed(0)} ns per failed-over call`);
if (sink === 0) console.log('(nothing chosen)');
