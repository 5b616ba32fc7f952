import OpenAI from 'openai';
import type { FakeGemini, GeminiReply } from '../fakes/gemini';
import type { FakePool } from './fake-pool';
import { startGeminiPool } from './provider-pools';
import { arrayText, streamGeminiArray } from './gemini-array-call';

/**
 * Gemini's other stream, `streamGenerateContent` without `alt=sse` (one JSON array in
 * `application/json`), whose first element is Google's error object, through a pool of two Gemini
 * accounts: a failed attempt like the HTTP error it stands for, as the SSE stream's is
 * (`early-error-gemini.test.ts`). No official client asks for the array (`@google/genai` asks for
 * SSE), so the caller is the REST call Google documents, by `fetch`. An error element after the
 * first is relayed in-band, as before. The OpenAI client's stream to the same pool (translated,
 * over SSE) is asked too.
 */
let pool: FakePool<FakeGemini, GeminiReply>;
const UNAVAILABLE = { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' };
const EXHAUSTED = { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' };
const ARRAY = { 'content-type': 'application/json; charset=UTF-8' };

beforeAll(async () => {
  pool = await startGeminiPool('early-error-gemini-array');
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

const streamArray = () => streamGeminiArray(pool.gw.url, pool.key, 'gemini-2.5-flash');

/** Google's error as the array's only element, its text cut in three reads. */
function splitErrorArray(error: typeof UNAVAILABLE): string[] {
  const text = `[${JSON.stringify({ error }, null, 2)}\n]`;
  return [text.slice(0, 4), text.slice(4, 30), text.slice(30)];
}

describe("a Gemini JSON-array stream whose first element is Google's error", () => {
  it.each<[string, () => GeminiReply]>([
    ['UNAVAILABLE as the first element', () => ({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE })],
    ['RESOURCE_EXHAUSTED as the first element', () => ({ kind: 'stream-error', afterEvents: 0, error: EXHAUSTED })],
    ['the error element cut across three reads', () => ({ kind: 'raw', status: 200, headers: ARRAY, body: splitErrorArray(UNAVAILABLE), delayMs: 30 })],
  ])('%s: the other account answers in one clean array, the first rests', async (_what, reply) => {
    // Prepare
    const first = pool.firstCallGets(reply());

    // Act
    const { status, body, requestId, contentType } = await streamArray();

    // Assess
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/json/);
    expect(arrayText(body)).toBe('Echo: hello there');
    expect(JSON.stringify(body)).not.toContain('"error"');
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`google/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('the rested account is not asked first by the next call', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });
    await streamArray();

    // Act
    const { body, requestId } = await streamArray();

    // Assess
    expect(arrayText(body)).toBe('Echo: hello there');
    expect(pool.fakes[first.first()].requests).toHaveLength(1);
    expect(pool.fakes[first.other()].requests).toHaveLength(2);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 1, status: 200 });
  });

  it("on the last account: a real HTTP 503 in Google's shape, not a 200 array holding the error", async () => {
    // Prepare
    pool.fakes.one.reply({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });
    pool.fakes.two.reply({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: { code: 503, message: UNAVAILABLE.message, status: 'UNAVAILABLE' } });
    expect([pool.health.isCooling('google/one'), pool.health.isCooling('google/two')]).toEqual([true, true]);
    expect(await pool.recordOf(requestId)).toMatchObject({ attempts: 2, status: 503, outcome: 'upstream_error' });
  });

  it('an error element after an answer element is relayed in-band: no failover, no rest', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 1, error: UNAVAILABLE });

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess: the array holds the answer's first element, then the error in Google's shape.
    expect(status).toBe(200);
    expect(body).toHaveLength(2);
    expect((body as unknown[])[1]).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`google/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe('a Gemini JSON-array stream that opens otherwise', () => {
  it('a first element that is an answer saying "error", after the bracket and blanks in reads of their own, is the answer: no failover, no rest', async () => {
    // Prepare: `[` and blanks first, then a chunk whose text holds `"error"`, then the array's end.
    const said = { candidates: [{ content: { parts: [{ text: 'An "error": {"code": 503} is what it said.' }], role: 'model' }, index: 0 }] };
    const reply: GeminiReply = { kind: 'raw', status: 200, headers: ARRAY, body: ['[', '\r\n  ', JSON.stringify(said, null, 2), '\n]'], delayMs: 30 };
    const first = pool.firstCallGets(reply);

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual([said]);
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`google/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });

  it("Google's INVALID_ARGUMENT as the first element is the client's 400: no failover, no rest (the same body fails everywhere)", async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 0, error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' } });

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`google/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 400 });
  });
});

describe('the OpenAI client streaming through the same Gemini pool (translated, SSE upstream)', () => {
  it("fails over past Google's error as the first event: one clean stream, the first account rests", async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });
    const openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(pool.health.isCooling(`google/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });
});
