/**
 * What telling an upstream break from a fault of the gateway's own adds to an answer that broke
 * off (`readFailure`, once per broken answer; an answer that ends well never calls it): undici's
 * socket error (a code, read at the first link), an error whose cause is one (a link further), and
 * a TypeError (no code: the whole, short, cause chain is walked), against the GatewayError made
 * either way.
 *
 *   npx tsx lib/pipeline/broke-off.bench.ts
 */
import undiciErrors = require('undici/lib/core/errors');
import { medianNsPerCall } from '../../bench/measure';
import { isUpstreamBreak, readFailure } from './broke-off';

const socket = new undiciErrors.SocketError('other side closed');
const wrapped = new Error('read failed', { cause: socket });
const fault = new TypeError("Cannot read properties of null (reading 'id')");
let sink = 0;

for (const [what, err] of [['undici socket error', socket], ['an error caused by one', wrapped], ['a TypeError of ours', fault]] as const) {
  const told = medianNsPerCall(() => (sink += isUpstreamBreak(err) ? 1 : 0), 200_000);
  const read = medianNsPerCall(() => (sink += readFailure(err, undefined, 'the stream').status), 50_000);
  console.log(`${what}: isUpstreamBreak ${told.toFixed(0)} ns, readFailure (GatewayError made) ${read.toFixed(0)} ns per broken answer`);
}
if (sink === 0) console.log('(nothing told)');
