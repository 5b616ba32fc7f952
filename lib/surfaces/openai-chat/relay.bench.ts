/**
 * What the OpenAI passthrough's relay costs a stream's first chunk and its whole: 20 chunk events
 * queued in an `UpstreamBody` as one socket read leaves them, relayed with the meter and the
 * in-band error guard as `passthrough.ts` builds it (the client asked for usage: the bytes go as
 * they came). Median of 3 000 streams each, three rounds.
 *
 *   npx tsx lib/surfaces/openai-chat/relay.bench.ts
 */
import { InBandErrorGuard } from '../../http/in-band-errors';
import { openAIErrorEvents } from '../../pipeline/upstream-error-events';
import { OpenAIStreamMeter } from '../../providers/openai/stream-meter';
import { UpstreamBody } from '../../upstream/response-body';
import { relayOpenAIStream } from './relay';

const STREAMS = 3_000;
const event = (i: number) =>
  Buffer.from(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"tok${i} "},"logprobs":null,"finish_reason":null}]}\n\n`);
const events = Array.from({ length: 20 }, (_, i) => event(i));

function filledBody(): UpstreamBody {
  const body = new UpstreamBody(
    () => {},
    () => {},
  );
  for (const chunk of events) body.push(chunk);
  body.end();
  return body;
}

function relay(body: UpstreamBody): AsyncIterable<Uint8Array> {
  return relayOpenAIStream(body, { meter: new OpenAIStreamMeter(0), stripUsage: false, gate: new InBandErrorGuard(openAIErrorEvents('openai'), 'sse') });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const first: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < STREAMS; i++) {
      // Made inside the timing: its set-up (decoder, SSE parser) comes before the first byte too.
      const body = filledBody();
      const start = performance.now();
      const chunks = relay(body)[Symbol.asyncIterator]();
      await chunks.next();
      first.push(performance.now() - start);
      while (!(await chunks.next()).done);
      whole.push(performance.now() - start);
    }
    process.stdout.write(`first chunk ${(median(first) * 1000).toFixed(2)} µs, all 20 ${(median(whole) * 1000).toFixed(1)} µs\n`);
  }
}

void main();
