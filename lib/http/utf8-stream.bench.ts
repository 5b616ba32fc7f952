/**
 * A stream's decoding as a reader starts it: a new decoder and the stream's first chunk (what lies
 * on a first byte's path), then the whole stream of 21 chunks, by TextDecoder (`stream: true`) and
 * by `Utf8Stream`. Warm: median of 20 rounds of 5 000. Cold: after 5 ms of sleep each, as the shared
 * harness's 5 ms streams meet a reader, median of 300.
 *
 *   npx tsx lib/http/utf8-stream.bench.ts
 */
import { Utf8Stream } from './utf8-stream';

const chunks = Array.from({ length: 20 }, (_, i) =>
  Buffer.from(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"tok${i} é"},"logprobs":null,"finish_reason":null}]}\n\n`),
);
chunks.push(Buffer.from('data: [DONE]\n\n'));

let sink = 0;
const ways: Record<string, (all: boolean) => void> = {
  TextDecoder(all) {
    const decoder = new TextDecoder();
    for (let i = 0; i < (all ? chunks.length : 1); i++) sink += decoder.decode(chunks[i], { stream: true }).length;
    if (all) sink += decoder.decode().length;
  },
  Utf8Stream(all) {
    const text = new Utf8Stream();
    for (let i = 0; i < (all ? chunks.length : 1); i++) sink += text.write(chunks[i]!).length;
    if (all) sink += text.end().length;
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  for (const all of [false, true]) {
    const warm: Record<string, number[]> = { TextDecoder: [], Utf8Stream: [] };
    for (let round = 0; round < 20; round++) {
      for (const [name, run] of Object.entries(ways)) {
        const start = performance.now();
        for (let i = 0; i < 5_000; i++) run(all);
        warm[name]!.push(((performance.now() - start) * 1000) / 5_000);
      }
    }
    const cold: Record<string, number[]> = { TextDecoder: [], Utf8Stream: [] };
    for (let i = 0; i < 300; i++) {
      for (const [name, run] of Object.entries(ways)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const start = performance.now();
        run(all);
        cold[name]!.push((performance.now() - start) * 1000);
      }
    }
    for (const name of Object.keys(ways)) {
      console.log(`${name.padEnd(12)} ${all ? 'whole stream' : 'first chunk '}  warm ${median(warm[name]!).toFixed(2).padStart(6)} µs   cold ${median(cold[name]!).toFixed(1).padStart(6)} µs`);
    }
  }
  if (sink === 0) console.log(sink);
}

void main();
