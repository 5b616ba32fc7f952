import { ApiError, GoogleGenAI } from '@google/genai';
import type { FakeGemini, GeminiReply } from '../fakes/gemini';
import type { FakePool } from './fake-pool';
import { geminiClient } from './harness';
import { startGeminiPool } from './provider-pools';

/**
 * A Gemini stream (`alt=sse`) whose first event is Google's error object, through a pool of two
 * Gemini accounts, with `@google/genai`: a failed attempt like the HTTP error it stands for.
 */
let pool: FakePool<FakeGemini, GeminiReply>;
let ai: GoogleGenAI;
const requestIds: string[] = [];
/** The HTTP status of each answer the client got. */
const statuses: number[] = [];
const UNAVAILABLE = { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' };

beforeAll(async () => {
  pool = await startGeminiPool('early-error-gemini');
  ai = geminiClient(pool.gw, pool.key, {
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      requestIds.push(res.headers.get('x-request-id') ?? '');
      statuses.push(res.status);
      return res;
    },
  });
});
afterAll(() => pool.close());
beforeEach(() => {
  pool.reset();
  requestIds.length = 0;
  statuses.length = 0;
});

const stream = async () => {
  let text = '';
  for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hello there', config: { httpOptions: { retryOptions: { attempts: 1 } } } })) text += chunk.text ?? '';
  return text;
};

describe('a Gemini stream whose first event is an error', () => {
  it('fails over: the other account answers, the first rests', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });

    // Act
    const text = await stream();

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(pool.fakes[first.other()].requests).toHaveLength(1);
    expect(pool.health.isCooling(`google/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(requestIds[0])).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('on the last account: a real HTTP 503 in Google\'s shape, not a 200 with an error event', async () => {
    // Prepare
    pool.fakes.one.reply({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });
    pool.fakes.two.reply({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });

    // Act
    const thrown = await stream().catch((e: unknown) => e);

    // Assess
    expect(statuses).toEqual([503]);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(503);
    expect((thrown as ApiError).message).toContain('The model is overloaded. Please try again later.');
  });
});
