import OpenAI from 'openai';
import { AccountHealth } from '../../lib/routing/health';
import { STREAM_HOLD_MS } from '../../lib/upstream/http';
import { newCompletionFrame, streamEvents, type CompletionContent } from '../fakes/openai-wire';
import type { Reply } from '../fakes/openai';
import { startOpenAIPool, type OpenAIPool } from './pool-rig';

/**
 * The hold of a stream for its first event (so that an upstream error there fails over) when no
 * `timeouts.firstByteMs` bounds it: it lasts `STREAM_HOLD_MS` at most. An upstream that sends only
 * keep-alive comments for longer (OpenRouter's `: OPENROUTER PROCESSING`, a reasoning model
 * thinking) has its client given the headers and those comments at the bound, then the tokens as
 * they come; an error within the bound still fails over, one after it is relayed in-band.
 */
// What "at the bound" allows a loaded machine, either side.
const EARLY_SLACK_MS = 50;
const LATE_SLACK_MS = 1_500;
const PING_EVERY_MS = 400;
const IDLE_MS = 20_000;

let pool: OpenAIPool;
const health = new AccountHealth();

beforeAll(async () => {
  pool = await startOpenAIPool({
    pool: { timeouts: { headersMs: IDLE_MS, idleMs: IDLE_MS } },
    config: { models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }], routing: { sticky: false } },
    gateway: { health },
    key: { name: 'early-error-hold-bound' },
  });
});
afterAll(() => pool.close());
beforeEach(() => {
  pool.one.reset();
  pool.two.reset();
  health.clear();
});

const chat = { model: 'chat', stream: true as const, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const PING = ': OPENROUTER PROCESSING\n\n';
const sseHeaders = { 'content-type': 'text/event-stream' };
const content: CompletionContent = { text: 'Thought long', chunks: ['Thought', ' long'], finishReason: 'stop', usage: { prompt: 9, completion: 2 } };
const OVERLOADED = { error: { message: 'The server is overloaded, retry later.', type: 'server_error', code: 503 } };

/** Keep-alive comments every `PING_EVERY_MS` for about `pingsForMs`, then `last` in one write. */
const pingsThen = (pingsForMs: number, last: string): Reply => ({
  kind: 'raw',
  status: 200,
  headers: sseHeaders,
  body: [...Array<string>(Math.ceil(pingsForMs / PING_EVERY_MS)).fill(PING), last],
  delayMs: PING_EVERY_MS,
});
const tokens = streamEvents(newCompletionFrame('gpt-4o-mini'), content, { includeUsage: false, obfuscate: false }).join('');

/** The text of an OpenAI stream's `data:` chunks. */
function textOf(sse: string): string {
  return sse
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => (JSON.parse(line.slice('data: '.length)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
    .join('');
}

describe('a stream silent but for keep-alives past the hold\'s bound (no firstByteMs)', () => {
  it('gets its headers and the held comments at the bound, then its tokens as they come', async () => {
    // Prepare: pings for the bound and 1.6 s more, so the tokens come well after it.
    const pingsForMs = STREAM_HOLD_MS + 1_600;
    pool.one.reply(pingsThen(pingsForMs, tokens));
    pool.two.reply(pingsThen(pingsForMs, tokens));

    // Act
    const start = performance.now();
    const response = await pool.client.chat.completions.create(chat).asResponse();
    const headersAt = performance.now() - start;
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const reads: { at: number; text: string }[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) reads.push({ at: performance.now() - start, text: decoder.decode(read.value, { stream: true }) });
    const body = reads.map((r) => r.text).join('');
    const firstTokenAt = reads.find((r) => r.text.includes('data: {'))!.at;

    // Assess: the headers at the bound, not before it nor at the tokens; the comments held until then came with them.
    expect(response.status).toBe(200);
    expect(headersAt).toBeGreaterThanOrEqual(STREAM_HOLD_MS - EARLY_SLACK_MS);
    expect(headersAt).toBeLessThan(STREAM_HOLD_MS + LATE_SLACK_MS);
    expect(reads[0]!.text.startsWith(PING)).toBe(true);
    expect(reads[0]!.at).toBeLessThan(STREAM_HOLD_MS + LATE_SLACK_MS);
    expect(firstTokenAt).toBeGreaterThanOrEqual(pingsForMs - EARLY_SLACK_MS);
    expect(body.split(PING).length - 1).toBe(Math.ceil(pingsForMs / PING_EVERY_MS));
    expect(textOf(body)).toBe('Thought long');
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(pool.one.requests.length + pool.two.requests.length).toBe(1);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ attempts: 1, status: 200, outcome: 'ok' });
  });

  it('an error after the bound is relayed in-band: the SDK raises it, no failover, no rest', async () => {
    // Prepare
    const first = pool.firstCallGets(pingsThen(STREAM_HOLD_MS + 800, `data: ${JSON.stringify(OVERLOADED)}\n\n`));

    // Act
    const { data: stream, response } = await pool.client.chat.completions.create(chat).withResponse();
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);

    // Assess
    expect(response.status).toBe(200);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('overloaded');
    expect(first.fake(first.other()).requests).toHaveLength(0);
    expect(health.isCooling(`pool/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1 });
  });
});

describe('a stream whose error comes after keep-alives, within the hold\'s bound', () => {
  it('fails over: the other account answers, the first rests', async () => {
    // Prepare: two pings (0.8 s), then the error, well inside the bound.
    const first = pool.firstCallGets(pingsThen(2 * PING_EVERY_MS, `data: ${JSON.stringify(OVERLOADED)}\n\n`));

    // Act
    const { data: stream, response } = await pool.client.chat.completions.create(chat).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(first.fake(first.other()).requests).toHaveLength(1);
    expect(health.isCooling(`pool/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });
});
