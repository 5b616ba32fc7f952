/**
 * What reading a whole answer ahead (in its attempt, so that its failure can fail over) costs a
 * call beside reading it where its writer does: a 2 KiB JSON answer in an `UpstreamBody`, read
 * with `bytes()` alone, and through `readsWhole` and `readAhead` and then `bytes()` of the held body.
 *
 *   npx tsx lib/pipeline/read-ahead.bench.ts
 */
import type { UpstreamResponse } from '../upstream/http';
import { UpstreamBody } from '../upstream/response-body';
import { readAhead, readsWhole } from './read-ahead';
import { medianNsPerAsyncCall } from '../../bench/measure';

const N = 100_000;
const json = Buffer.from(JSON.stringify({ id: 'chatcmpl-1', choices: [{ message: { content: 'word '.repeat(400) } }] }));
const ctx = { stream: false };

function answer(): UpstreamResponse {
  const body = new UpstreamBody(
    () => undefined,
    () => undefined,
  );
  body.push(json);
  body.end();
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}

const nsPerCall = (run: () => Promise<unknown>) => medianNsPerAsyncCall(run, N, 11);

async function main(): Promise<void> {
  const direct = () => answer().body.bytes();
  const ahead = async () => {
    const res = answer();
    return (readsWhole(res.headers, ctx) ? await readAhead(res, 'openai') : res).body.bytes();
  };
  for (const [name, run] of [['bytes() where written', direct], ['read ahead', ahead], ['bytes() where written', direct], ['read ahead', ahead]] as const) {
    console.log(`${name.padEnd(22)} ${(await nsPerCall(run)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
  }
}

void main();
