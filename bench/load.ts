/**
 * The benchmark's load client on undici: one request at a time, or a fixed
 * number in flight for a while, timing each request's phases.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { loadFixture, type FixtureName } from '../test/integration/claude-code/fixtures';

/** Where to send requests: a fake upstream directly, or the gateway in front of it. */
export interface Target {
  name: string;
  origin: string;
  /** e.g. `/v1/chat/completions`. */
  path: string;
  apiKey: string;
  wire: Wire;
}

/** What differs between the APIs a target speaks: how the key goes, and how a whole answer ends. */
export interface Wire {
  headers(apiKey: string): Record<string, string>;
  /** Whether a 200 answer is complete, judged from its last 256 characters. */
  complete(tail: string, stream: boolean): boolean;
}

/** One request's timings in ms, from just before sending. */
export interface Timing {
  /** Response headers received. */
  headers: number;
  /** First body byte received. */
  firstByte: number;
  total: number;
}

export interface RunResult {
  timings: Timing[];
  errors: number;
  /** The first few failures, to show what went wrong. */
  samples: string[];
  elapsedMs: number;
}

const MODEL = 'gpt-4o-mini';
const SSE_DONE = 'data: [DONE]\n\n';
/** The last event of an Anthropic stream; the API pads `data:` JSON with spaces, so no exact bytes. */
const MESSAGE_STOP = /event: message_stop\ndata: \{[^\n]*\} *\n\n$/;
const MAX_ERROR_SAMPLES = 5;

export const OPENAI_WIRE: Wire = {
  headers: (apiKey) => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }),
  complete: (tail, stream) => (stream ? tail.endsWith(SSE_DONE) : tail.includes('}')),
};

/** The Messages API with the headers Claude Code sends that matter to a gateway (the rest are telemetry). */
export const ANTHROPIC_WIRE: Wire = {
  headers: (apiKey) => ({ 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }),
  complete: (tail, stream) => (stream ? MESSAGE_STOP.test(tail) : tail.includes('}')),
};

/** The real Claude Code request the Claude Code phase replays: a later turn of a tool loop. */
export const CLAUDE_CODE_FIXTURE: FixtureName = 'cc-1.0.6-tool-loop';

export function chatBody(stream: boolean): string {
  const messages = [{ role: 'user', content: 'Say something short.' }];
  return JSON.stringify(stream ? { model: MODEL, messages, stream: true, stream_options: { include_usage: true } } : { model: MODEL, messages });
}

/** The captured body as Claude Code sent it, but for `model` (one the gateway routes), streamed. */
export function claudeCodeBody(model: string): string {
  return JSON.stringify({ ...loadFixture(CLAUDE_CODE_FIXTURE).request.body, model, stream: true });
}

/** A keep-alive connection pool to `target`, `connections` wide. */
export function openPool(target: Target, connections: number): Pool {
  return new Pool(target.origin, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

/**
 * Sends one request and reads the answer to the end. Throws when the answer
 * is not a 200 or is cut short (see `Wire.complete`).
 */
export async function sendOne(pool: Pool, target: Target, body: string, stream: boolean): Promise<Timing> {
  const start = performance.now();
  const res = await pool.request({
    path: target.path,
    method: 'POST',
    headers: target.wire.headers(target.apiKey),
    body,
  });
  const headers = performance.now() - start;
  let firstByte = 0;
  let tail = '';
  for await (const piece of res.body) {
    if (firstByte === 0) firstByte = performance.now() - start;
    tail = (tail + (piece as Buffer).toString('utf8')).slice(-256);
  }
  const total = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`${target.name}: HTTP ${res.statusCode}: ${tail}`);
  if (!target.wire.complete(tail, stream)) throw new Error(`${target.name}: incomplete body, ending ${JSON.stringify(tail.slice(-80))}`);
  return { headers, firstByte, total };
}

/** `count` requests one after another on one connection; the small chat request unless `body` is given. */
export async function runSequential(target: Target, stream: boolean, count: number, body = chatBody(stream)): Promise<RunResult> {
  const pool = openPool(target, 1);
  const result: RunResult = { timings: [], errors: 0, samples: [], elapsedMs: 0 };
  const start = performance.now();
  try {
    for (let i = 0; i < count; i++) await record(result, () => sendOne(pool, target, body, stream));
  } finally {
    result.elapsedMs = performance.now() - start;
    await pool.close();
  }
  return result;
}

/** `concurrency` requests in flight at all times for `durationMs`; the last ones finish after it. */
export async function runConcurrent(target: Target, stream: boolean, concurrency: number, durationMs: number): Promise<RunResult> {
  const pool = openPool(target, concurrency);
  const body = chatBody(stream);
  const result: RunResult = { timings: [], errors: 0, samples: [], elapsedMs: 0 };
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) await record(result, () => sendOne(pool, target, body, stream));
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    result.elapsedMs = performance.now() - start;
    await pool.close();
  }
  return result;
}

async function record(result: RunResult, send: () => Promise<Timing>): Promise<void> {
  try {
    result.timings.push(await send());
  } catch (error) {
    result.errors++;
    if (result.samples.length < MAX_ERROR_SAMPLES) result.samples.push(error instanceof Error ? error.message : String(error));
  }
}

/** Nearest-rank percentile of unsorted values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}
