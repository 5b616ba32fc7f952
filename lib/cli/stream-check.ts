/**
 * `aigw check stream`: asks a deployed gateway for a streamed chat completion and times when its
 * tokens arrive, to tell a stream that flows from one held back and let go at the end (which
 * public reports say Lambda function URLs can do to small writes).
 */
import { SseReader } from '../http/sse';
import { CliError } from './errors';
import { errorMessageOf, excerpt, unreachable } from './http-errors';

export interface StreamCheckOptions {
  /** The gateway's base URL (the proxy's function URL, or the local server). */
  url: string;
  key: string;
  model: string;
  fetch: typeof fetch;
}

/** When content arrived: one entry per read of the body that carried content deltas. */
export interface Arrival {
  atMs: number;
  tokens: number;
}

export interface StreamReport {
  status: number;
  headersMs: number;
  endMs: number;
  reads: number;
  arrivals: Arrival[];
}

export interface StreamVerdict {
  kind: 'streamed' | 'buffered' | 'inconclusive';
  detail: string;
}

/** Asked for so that the answer takes the model a while: a stream needs time to show itself. */
const PROMPT = 'Count from 1 to 40, one number per line, nothing else.';
/** Tokens arriving this close to the last one count as one burst. */
const BURST_MS = 10;
/** Shorter than this after the headers, a stream and a held answer look the same. */
const MIN_SPAN_MS = 50;
/** For the whole call: a short answer, but possibly from a cold instance and a slow model. */
const TIMEOUT_MS = 60_000;

/** Sends one streamed request and records when the body's content arrives. */
export async function measureStream(options: StreamCheckOptions): Promise<StreamReport> {
  const start = performance.now();
  // Milliseconds since the request, to a tenth: finer would be noise.
  const clock = () => Math.round((performance.now() - start) * 10) / 10;
  const endpoint = `${options.url.replace(/\/+$/, '')}/v1/chat/completions`;
  let res: Response;
  try {
    res = await options.fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: options.model, stream: true, max_tokens: 200, messages: [{ role: 'user', content: PROMPT }] }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw unreachable(err, options.url, TIMEOUT_MS);
  }
  const headersMs = clock();
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    throw new CliError('failed', `${endpoint} answered ${res.status}: ${errorMessageOf(text) ?? (excerpt(text) || '(no body)')}`);
  }
  const arrivals: Arrival[] = [];
  let reads = 0;
  let tokens = 0;
  const reader = new SseReader({ onEvent: (event) => (tokens += hasContent(event.data) ? 1 : 0) });
  try {
    for await (const chunk of res.body) {
      const atMs = clock();
      reads++;
      tokens = 0;
      reader.feed(chunk);
      if (tokens) arrivals.push({ atMs, tokens });
    }
    tokens = 0;
    reader.end();
    if (tokens) arrivals.push({ atMs: clock(), tokens });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `did not end within ${TIMEOUT_MS / 1000} s` : `broke off (${(err as Error).message})`;
    throw new CliError('failed', `the stream from ${endpoint} ${why}, after ${arrivals.length} reads with content`, { cause: err });
  }
  return { status: res.status, headersMs, endMs: clock(), reads, arrivals };
}

/** The data of a chat completion chunk event that carries text. */
function hasContent(data: string): boolean {
  if (data === '[DONE]') return false;
  try {
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = chunk.choices?.[0]?.delta?.content;
    return typeof content === 'string' && content !== '';
  } catch {
    return false;
  }
}

/**
 * Streamed when the tokens came spread out; held back when nearly all came in one burst at the
 * end; undecided when the answer was too short or too quick to tell the two apart.
 *
 * @example
 * streamVerdict({ status: 200, headersMs: 80, endMs: 900, reads: 1, arrivals: [{ atMs: 899, tokens: 40 }] }).kind // 'buffered'
 */
export function streamVerdict(report: StreamReport): StreamVerdict {
  const tokens = report.arrivals.reduce((sum, a) => sum + a.tokens, 0);
  const first = report.arrivals[0];
  const last = report.arrivals[report.arrivals.length - 1];
  if (!first || !last || tokens < 4) return { kind: 'inconclusive', detail: `only ${tokens} content events: too few to tell` };
  if (last.atMs - report.headersMs < MIN_SPAN_MS) {
    return { kind: 'inconclusive', detail: `the whole answer came within ${Math.round(last.atMs - report.headersMs)} ms of the headers: too quick to tell` };
  }
  const inBurst = report.arrivals.filter((a) => last.atMs - a.atMs <= BURST_MS).reduce((sum, a) => sum + a.tokens, 0);
  if (inBurst / tokens >= 0.8) {
    return { kind: 'buffered', detail: `${inBurst} of ${tokens} content events arrived within ${BURST_MS} ms at the end: something between the model and this client held the stream` };
  }
  return { kind: 'streamed', detail: `${tokens} content events spread over ${Math.round(last.atMs - first.atMs)} ms in ${report.arrivals.length} reads` };
}

export function formatStreamReport(report: StreamReport, verdict: StreamVerdict): string {
  const first = report.arrivals[0];
  const lines = [
    `status ${report.status}, headers after ${Math.round(report.headersMs)} ms`,
    first ? `first content after ${Math.round(first.atMs)} ms, body ended after ${Math.round(report.endMs)} ms` : `no content; body ended after ${Math.round(report.endMs)} ms`,
    `${verdict.kind}: ${verdict.detail}`,
  ];
  return `${lines.join('\n')}\n`;
}
