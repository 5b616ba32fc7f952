import OpenAI from 'openai';
import { ApiError } from '@google/genai';
import { startFakeGoogleOAuth, testServiceAccount, type FakeGoogleOAuth } from '../fakes/google-oauth';
import { defaultVertexReply, startFakeVertex, type FakeVertex, type VertexReply } from '../fakes/vertex';
import { poolAccounts, startFakePool, type FakePool } from './fake-pool';
import { arrayText, streamGeminiArray } from './gemini-array-call';
import { geminiClient } from './harness';

/**
 * Gemini on Vertex AI failing in-band before its answer, through a pool of two Vertex accounts
 * (each its own fake Vertex, one fake Google OAuth): a 200 whose stream opens with Google's
 * `{"error":…}`. The gateway asks Vertex for the JSON array (`streamGenerateContent` without
 * `alt=sse`) when its client does (`geminiMethod` in lib/providers/vertex/request.ts), and for SSE
 * otherwise; both are held until their first element or event, so such an error is a failed
 * attempt like the HTTP error it stands for: the other account answers one clean stream, the
 * first rests, and with no account left the client gets a real HTTP error in its dialect. No
 * official client asks for the array (`@google/genai` asks for SSE), so its caller is the REST call
 * Google documents, by `fetch`; the SSE stream's are `@google/genai` and `openai` (translated).
 */
const PROJECT = 'aigw-prod-4821';
const GEMINI = 'gemini-2.5-flash';
const UNAVAILABLE = { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' };
const EXHAUSTED = { code: 429, message: 'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.', status: 'RESOURCE_EXHAUSTED' };
const ARRAY = { 'content-type': 'application/json; charset=UTF-8' };

let google: FakeGoogleOAuth;
let pool: FakePool<FakeVertex, VertexReply>;

beforeAll(async () => {
  const sa = testServiceAccount(`aigw-gateway@${PROJECT}.iam.gserviceaccount.com`);
  google = await startFakeGoogleOAuth({ accounts: [sa] });
  pool = await startFakePool({
    start: () => startFakeVertex({ oauth: google, grants: { [PROJECT]: [sa.clientEmail] } }),
    provider: (fakes) => ({ id: 'vertex', type: 'vertex', project: PROJECT, region: 'us-east5', accounts: poolAccounts(fakes, { serviceAccount: { env: 'SA' } }) }),
    config: { models: [{ name: GEMINI, targets: [{ provider: 'vertex', model: GEMINI }] }], routing: { sticky: false } },
    credentials: { SA: sa.keyJson(google.tokenUri) },
    usual: defaultVertexReply,
    keyName: 'early-error-vertex',
  });
});
afterAll(async () => {
  await pool.close();
  await google.close();
});
beforeEach(() => pool.reset());

const streamError = (error: typeof UNAVAILABLE, afterEvents = 0): VertexReply => ({ kind: 'stream-error', afterEvents, error });

const streamArray = () => streamGeminiArray(pool.gw.url, pool.key, GEMINI);

/** The method each fake was asked for, and whether with `alt=sse`. */
const asked = () => [...pool.fakes.one.requests, ...pool.fakes.two.requests].map((r) => `${r.method}${new URLSearchParams(r.search).get('alt') === 'sse' ? '?alt=sse' : ''}`);

describe("a Vertex Gemini JSON-array stream whose first element is Google's error", () => {
  it.each<[string, () => VertexReply]>([
    ['UNAVAILABLE as the first element', () => streamError(UNAVAILABLE)],
    ['RESOURCE_EXHAUSTED as the first element', () => streamError(EXHAUSTED)],
    [
      'the error element cut across three reads',
      () => {
        const text = `[${JSON.stringify({ error: UNAVAILABLE }, null, 2)}\n]`;
        return { kind: 'raw', status: 200, headers: ARRAY, body: [text.slice(0, 4), text.slice(4, 30), text.slice(30)], delayMs: 30 };
      },
    ],
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
    expect(asked()).toEqual(['streamGenerateContent', 'streamGenerateContent']);
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`vertex/${first.first()}`)).toBe(true);
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
    expect([pool.health.isCooling('vertex/one'), pool.health.isCooling('vertex/two')]).toEqual([true, true]);
    expect(await pool.recordOf(requestId)).toMatchObject({ attempts: 2, status: 503, outcome: 'upstream_error' });
  });

  it("RESOURCE_EXHAUSTED naming its retryDelay on both accounts: a real 429 whose retry-after is Google's delay", async () => {
    // Prepare: Vertex's quota error, with the RetryInfo Google adds, as each account's first element.
    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' };
    const exhausted: VertexReply = { kind: 'stream-error', afterEvents: 0, error: { ...EXHAUSTED, details: [retryInfo] } };
    pool.fakes.one.reply(exhausted);
    pool.fakes.two.reply(exhausted);

    // Act
    const { status, body, retryAfter, requestId } = await streamArray();

    // Assess
    expect(status).toBe(429);
    expect(retryAfter).toBe('12');
    expect(body).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    expect([pool.health.isCooling('vertex/one'), pool.health.isCooling('vertex/two')]).toEqual([true, true]);
    expect(await pool.recordOf(requestId)).toMatchObject({ attempts: 2, status: 429, outcome: 'upstream_error' });
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
    expect(pool.health.isCooling(`vertex/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ account: first.first(), attempts: 1, status: 200 });
  });
});

describe("a Vertex Gemini SSE stream whose first event is Google's error", () => {
  it('@google/genai: the other account answers, the first rests', async () => {
    // Prepare
    const first = pool.firstCallGets(streamError(UNAVAILABLE));
    const ai = geminiClient(pool.gw, pool.key);

    // Act
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: GEMINI, contents: 'hello there' })) text += chunk.text ?? '';

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(asked()).toEqual(['streamGenerateContent?alt=sse', 'streamGenerateContent?alt=sse']);
    expect(pool.health.isCooling(`vertex/${first.first()}`)).toBe(true);
  });

  it('@google/genai on the last account: a real HTTP 429 it raises, not a 200 with an error event', async () => {
    // Prepare
    pool.fakes.one.reply(streamError(EXHAUSTED));
    pool.fakes.two.reply(streamError(EXHAUSTED));
    const ai = geminiClient(pool.gw, pool.key);

    // Act
    const thrown = await (async () => {
      for await (const _ of await ai.models.generateContentStream({ model: GEMINI, contents: 'hello there', config: { httpOptions: { retryOptions: { attempts: 1 } } } })) void _;
    })().catch((e: unknown) => e);

    // Assess
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(429);
    expect((thrown as ApiError).message).toContain('Resource exhausted');
    expect([pool.health.isCooling('vertex/one'), pool.health.isCooling('vertex/two')]).toEqual([true, true]);
  });

  it('the OpenAI client (translated): one clean stream from the other account', async () => {
    // Prepare
    const first = pool.firstCallGets(streamError(UNAVAILABLE));
    const openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ model: GEMINI, stream: true, messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(pool.health.isCooling(`vertex/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });
});
