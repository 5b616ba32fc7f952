import OpenAI from 'openai';
import { ApiError } from '@google/genai';
import type { GeminiReply } from '../fakes/gemini';
import type { FakeUpstream } from '../fakes/fake-server';
import type { RecordedRequest } from '../fakes/http';
import type { VertexReply } from '../fakes/vertex';
import { fakePoolForSuite, type FakePool } from './fake-pool';
import { arrayText, streamGeminiArray } from './gemini-array-call';
import { geminiClient } from './harness';
import { startGeminiPool, startVertexPool } from './provider-pools';

/**
 * Gemini failing in-band before its answer, through a pool of two accounts, on the Gemini API and
 * on Vertex AI alike: a 200 whose stream opens with Google's `{"error":…}`. The gateway asks for
 * the JSON array (`streamGenerateContent` without `alt=sse`) when its client does (`geminiMethod`
 * in lib/providers/vertex/request.ts for Vertex), and for SSE otherwise; both are held until their
 * first element or event, so such an error is a failed attempt like the HTTP error it stands for:
 * the other account answers one clean stream, the first rests, and with no account left the
 * client gets a real HTTP error in its dialect. An error element after the first is relayed
 * in-band. No official client asks for the array (`@google/genai` asks for SSE), so its caller is
 * the REST call Google documents, by `fetch`; the SSE stream's are `@google/genai` and `openai`
 * (translated). The Gemini API's SSE stream has its own suite (`early-error-gemini.test.ts`).
 */
const GEMINI = 'gemini-2.5-flash';
const UNAVAILABLE = { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' };
const ARRAY = { 'content-type': 'application/json; charset=UTF-8' };

/** The replies both fakes give alike: Google's error in a stream, or bytes as given. */
type EarlyReply = Extract<GeminiReply & VertexReply, { kind: 'stream-error' | 'raw' }>;

const gemini = fakePoolForSuite(() => startGeminiPool('early-error-gemini-array'));
const vertex = fakePoolForSuite(() => startVertexPool('early-error-vertex'));

/** Where the two providers differ for the cases both share. */
interface Provider {
  name: string;
  pool: FakePool<FakeUpstream<EarlyReply>, EarlyReply>;
  /** The provider's id in the config, which names its accounts' rests (`google/one`). */
  providerId: string;
  /** Google's quota error as this provider words it. */
  exhausted: { code: number; message: string; status: string };
}

const PROVIDERS: Provider[] = [
  { name: 'Gemini API', pool: gemini, providerId: 'google', exhausted: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } },
  {
    name: 'Vertex AI',
    pool: vertex,
    providerId: 'vertex',
    exhausted: { code: 429, message: 'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.', status: 'RESOURCE_EXHAUSTED' },
  },
];

const streamError = (error: typeof UNAVAILABLE, afterEvents = 0): EarlyReply => ({ kind: 'stream-error', afterEvents, error });

/** Google's error as the array's only element, its text cut in three reads. */
function splitErrorArray(error: typeof UNAVAILABLE): EarlyReply {
  const text = `[${JSON.stringify({ error }, null, 2)}\n]`;
  return { kind: 'raw', status: 200, headers: ARRAY, body: [text.slice(0, 4), text.slice(4, 30), text.slice(30)], delayMs: 30 };
}

/** The method each of a pool's fakes was asked for (the path's `:method`), and whether with `alt=sse`. */
const askedOf = (pool: FakePool<{ requests: RecordedRequest[] }, unknown>) =>
  [...pool.fakes.one.requests, ...pool.fakes.two.requests].map((r) => `${r.path.split(':').at(-1)}${new URLSearchParams(r.search).get('alt') === 'sse' ? '?alt=sse' : ''}`);

describe.each(PROVIDERS)("$name: a Gemini JSON-array stream whose first element is Google's error", ({ pool, providerId, exhausted }) => {
  const streamArray = () => streamGeminiArray(pool.gw.url, pool.key, GEMINI);

  it.each<[string, () => EarlyReply]>([
    ['UNAVAILABLE as the first element', () => streamError(UNAVAILABLE)],
    ['RESOURCE_EXHAUSTED as the first element', () => streamError(exhausted)],
    ['the error element cut across three reads', () => splitErrorArray(UNAVAILABLE)],
  ])('%s: the other account answers in one clean array, the first rests', async (_what, reply) => {
    // Prepare
    const first = pool.firstCallGets(reply());

    // Act
    const { status, body, requestId, contentType } = await streamArray();

    // Assess: both accounts were asked for the array, not SSE.
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/json/);
    expect(arrayText(body)).toBe('Echo: hello there');
    expect(JSON.stringify(body)).not.toContain('"error"');
    expect(askedOf(pool)).toEqual(['streamGenerateContent', 'streamGenerateContent']);
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`${providerId}/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it("on the last account: a real HTTP 503 in Google's shape, not a 200 array holding the error", async () => {
    // Prepare
    pool.fakes.one.reply(streamError(UNAVAILABLE));
    pool.fakes.two.reply(streamError(UNAVAILABLE));

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: { code: 503, message: UNAVAILABLE.message, status: 'UNAVAILABLE' } });
    expect([pool.health.isCooling(`${providerId}/one`), pool.health.isCooling(`${providerId}/two`)]).toEqual([true, true]);
    expect(await pool.recordOf(requestId)).toMatchObject({ attempts: 2, status: 503, outcome: 'upstream_error' });
  });

  it('an error element after an answer element is relayed in-band: no failover, no rest', async () => {
    // Prepare
    const first = pool.firstCallGets(streamError(UNAVAILABLE, 1));

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess: the array holds the answer's first element, then the error in Google's shape.
    expect(status).toBe(200);
    expect(body).toHaveLength(2);
    expect((body as unknown[])[1]).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });
    expect(pool.fakes[first.other()].requests).toHaveLength(0);
    expect(pool.health.isCooling(`${providerId}/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe.each(PROVIDERS)('$name: the OpenAI client streaming through the pool (translated, SSE upstream)', ({ pool, providerId }) => {
  it("fails over past Google's error as the first event: one clean stream, the first account rests", async () => {
    // Prepare
    const first = pool.firstCallGets(streamError(UNAVAILABLE));
    const openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ model: GEMINI, stream: true, messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(pool.health.isCooling(`${providerId}/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });
});

describe("Gemini API: a JSON-array stream's rested account, and arrays that open otherwise", () => {
  const streamArray = () => streamGeminiArray(gemini.gw.url, gemini.key, GEMINI);

  it('the rested account is not asked first by the next call', async () => {
    // Prepare
    const first = gemini.firstCallGets(streamError(UNAVAILABLE));
    await streamArray();

    // Act
    const { body, requestId } = await streamArray();

    // Assess
    expect(arrayText(body)).toBe('Echo: hello there');
    expect(gemini.fakes[first.first()].requests).toHaveLength(1);
    expect(gemini.fakes[first.other()].requests).toHaveLength(2);
    expect(await gemini.recordOf(requestId)).toMatchObject({ account: first.other(), attempts: 1, status: 200 });
  });

  it('a first element that is an answer saying "error", after the bracket and blanks in reads of their own, is the answer: no failover, no rest', async () => {
    // Prepare: `[` and blanks first, then a chunk whose text holds `"error"`, then the array's end.
    const said = { candidates: [{ content: { parts: [{ text: 'An "error": {"code": 503} is what it said.' }], role: 'model' }, index: 0 }] };
    const reply: GeminiReply = { kind: 'raw', status: 200, headers: ARRAY, body: ['[', '\r\n  ', JSON.stringify(said, null, 2), '\n]'], delayMs: 30 };
    const first = gemini.firstCallGets(reply);

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual([said]);
    expect(gemini.fakes[first.other()].requests).toHaveLength(0);
    expect(gemini.health.isCooling(`google/${first.first()}`)).toBe(false);
    expect(await gemini.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });

  it("Google's INVALID_ARGUMENT as the first element is the client's 400: no failover, no rest (the same body fails everywhere)", async () => {
    // Prepare
    const first = gemini.firstCallGets(streamError({ code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' }));

    // Act
    const { status, body, requestId } = await streamArray();

    // Assess
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    expect(gemini.fakes[first.other()].requests).toHaveLength(0);
    expect(gemini.health.isCooling(`google/${first.first()}`)).toBe(false);
    expect(await gemini.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 400 });
  });
});

describe('Vertex AI: errors that name a retry delay, and the SSE stream of @google/genai', () => {
  const EXHAUSTED = PROVIDERS[1]!.exhausted;

  it('RESOURCE_EXHAUSTED naming its retryDelay on both accounts: a real 429 whose retry-after is Google\'s delay', async () => {
    // Prepare: Vertex's quota error, with the RetryInfo Google adds, as each account's first element.
    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' };
    const exhausted: VertexReply = { kind: 'stream-error', afterEvents: 0, error: { ...EXHAUSTED, details: [retryInfo] } };
    vertex.fakes.one.reply(exhausted);
    vertex.fakes.two.reply(exhausted);

    // Act
    const { status, body, retryAfter, requestId } = await streamGeminiArray(vertex.gw.url, vertex.key, GEMINI);

    // Assess
    expect(status).toBe(429);
    expect(retryAfter).toBe('12');
    expect(body).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    expect([vertex.health.isCooling('vertex/one'), vertex.health.isCooling('vertex/two')]).toEqual([true, true]);
    expect(await vertex.recordOf(requestId)).toMatchObject({ attempts: 2, status: 429, outcome: 'upstream_error' });
  });

  it('@google/genai: the other account answers, the first rests', async () => {
    // Prepare
    const first = vertex.firstCallGets(streamError(UNAVAILABLE));
    const ai = geminiClient(vertex.gw, vertex.key);

    // Act
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: GEMINI, contents: 'hello there' })) text += chunk.text ?? '';

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(askedOf(vertex)).toEqual(['streamGenerateContent?alt=sse', 'streamGenerateContent?alt=sse']);
    expect(vertex.health.isCooling(`vertex/${first.first()}`)).toBe(true);
  });

  it('@google/genai on the last account: a real HTTP 429 it raises, not a 200 with an error event', async () => {
    // Prepare
    vertex.fakes.one.reply(streamError(EXHAUSTED));
    vertex.fakes.two.reply(streamError(EXHAUSTED));
    const ai = geminiClient(vertex.gw, vertex.key);

    // Act
    const thrown = await (async () => {
      for await (const _ of await ai.models.generateContentStream({ model: GEMINI, contents: 'hello there', config: { httpOptions: { retryOptions: { attempts: 1 } } } })) void _;
    })().catch((e: unknown) => e);

    // Assess
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(429);
    expect((thrown as ApiError).message).toContain('Resource exhausted');
    expect([vertex.health.isCooling('vertex/one'), vertex.health.isCooling('vertex/two')]).toEqual([true, true]);
  });
});
