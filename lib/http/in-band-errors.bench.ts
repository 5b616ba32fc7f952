/**
 * What the in-band error guard costs a passed-through stream's normal events. For each dialect,
 * 1 000 realistic events relayed as the passthrough relays them: the side-reading meter alone
 * (what the relay did before the guard), and the same with `InBandErrorGuard` and the dialect's
 * rule as the gate of its loop (what it does now). Once with one event a chunk (how upstreams write), once with
 * every event cut in two (the guard then holds the first half and joins the two). Runs alternate,
 * median of 200 each; then the guard's `pass` alone over the same chunks, synchronously (what it
 * adds, free of the event loop's noise).
 *
 *   npx tsx lib/http/in-band-errors.bench.ts
 */
import { AnthropicStreamMeter } from '../providers/anthropic/stream-meter';
import { GeminiStreamMeter } from '../providers/gemini/passthrough';
import { ResponsesStreamMeter } from '../providers/openai/responses-meter';
import { OpenAIStreamMeter } from '../providers/openai/stream-meter';
import { relayOpenAIStream } from '../surfaces/openai-chat/relay';
import { anthropicErrorEvents, geminiErrorEvents, openAIErrorEvents, responsesErrorEvents } from '../pipeline/upstream-error-events';
import { InBandErrorGuard, type EventFraming, type InBandErrorRule } from './in-band-errors';
import { passThenRead, type ChunkGate } from './pass-then-read';

const EVENTS = 1_000;
const RUNS = 200;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Case {
  name: string;
  event: (i: number) => string;
  /** The relay as the passthrough builds it, with the guard as its gate or without. */
  relay: (source: AsyncIterable<Uint8Array>, gate?: ChunkGate) => AsyncIterable<Uint8Array>;
  rule: InBandErrorRule;
  framing: EventFraming;
}

const CASES: Case[] = [
  {
    name: 'OpenAI (bytes as they came, client asked usage)',
    event: (i) => `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"word${i} "},"finish_reason":null}],"usage":null}\n\n`,
    relay: (source, gate) => relayOpenAIStream(source, { meter: new OpenAIStreamMeter(performance.now()), stripUsage: false, ...(gate ? { gate } : {}) }),
    rule: openAIErrorEvents('p'),
    framing: 'sse',
  },
  {
    name: 'Anthropic',
    event: (i) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word${i} "}}\n\n`,
    relay: (source, gate) => {
      const meter = new AnthropicStreamMeter(performance.now());
      return passThenRead(source, (chunk) => meter.feed(chunk), gate);
    },
    rule: anthropicErrorEvents('p'),
    framing: 'sse',
  },
  {
    // The worst case of the SSE rules' marker, the word `error`: every chunk holds it, so every one is decoded and goes on as it came.
    name: 'Anthropic, every text saying "error"',
    event: (i) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"error${i} "}}\n\n`,
    relay: (source, gate) => {
      const meter = new AnthropicStreamMeter(performance.now());
      return passThenRead(source, (chunk) => meter.feed(chunk), gate);
    },
    rule: anthropicErrorEvents('p'),
    framing: 'sse',
  },
  {
    name: 'Responses',
    event: (i) => `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${i + 3},"item_id":"msg_1","output_index":0,"content_index":0,"delta":"word${i} ","logprobs":[]}\n\n`,
    relay: (source, gate) => {
      const meter = new ResponsesStreamMeter(performance.now());
      return passThenRead(source, (chunk) => meter.feed(chunk), gate);
    },
    rule: responsesErrorEvents('p'),
    framing: 'sse',
  },
  {
    name: 'Gemini SSE',
    event: (i) => `data: {"candidates": [{"content": {"parts": [{"text": "word${i} "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 5,"totalTokenCount": 5},"modelVersion": "gemini-2.5-flash"}\r\n\r\n`,
    relay: (source, gate) => {
      const meter = new GeminiStreamMeter(performance.now());
      return passThenRead(source, (chunk) => meter.feed(chunk), gate);
    },
    rule: geminiErrorEvents('p', 'sse'),
    framing: 'sse',
  },
  {
    name: 'Gemini JSON array',
    event: (i) => `${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify({ candidates: [{ content: { parts: [{ text: `word${i} ` }], role: 'model' }, index: 0 }] }, null, 2)}`,
    relay: (source, gate) => {
      const meter = new GeminiStreamMeter(performance.now(), undefined, 'p', 'array');
      return passThenRead(source, (chunk) => meter.feed(chunk), gate);
    },
    rule: geminiErrorEvents('p', 'array'),
    framing: 'array',
  },
];

async function measure(chunks: Buffer[], run: (source: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>): Promise<number> {
  async function* source() {
    for (const c of chunks) yield c;
  }
  const start = process.hrtime.bigint();
  for await (const _ of run(source()));
  return Number(process.hrtime.bigint() - start) / 1_000 / EVENTS;
}

async function main(): Promise<void> {
  for (const c of CASES) {
    for (const split of [false, true]) {
      const events = Array.from({ length: EVENTS }, (_, i) => Buffer.from(c.event(i)));
      const chunks = split ? events.flatMap((e) => [e.subarray(0, e.length >> 1), e.subarray(e.length >> 1)]) : events;
      const before: number[] = [];
      const after: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        before.push(await measure(chunks, (source) => c.relay(source)));
        after.push(await measure(chunks, (source) => c.relay(source, new InBandErrorGuard(c.rule, c.framing))));
      }
      // The guard's own work, without the async machinery around it: steadier on a busy machine.
      const alone: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const guard = new InBandErrorGuard(c.rule, c.framing);
        const start = process.hrtime.bigint();
        for (const chunk of chunks) guard.pass(chunk);
        guard.end();
        alone.push(Number(process.hrtime.bigint() - start) / EVENTS);
      }
      const b = median(before);
      const a = median(after);
      process.stdout.write(
        `${c.name}, ${split ? 'each event cut in two' : 'one event a chunk'}: meter alone ${b.toFixed(3)} µs/event, with the guard ${a.toFixed(3)} µs/event (+${(a - b).toFixed(3)}); the guard's own work ${median(alone).toFixed(0)} ns/event\n`,
      );
    }
  }
}

void main();
