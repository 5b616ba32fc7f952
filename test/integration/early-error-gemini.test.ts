import { ApiError, GoogleGenAI } from '@google/genai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import { defaultGeminiReply, startFakeGemini, type FakeGemini, type GeminiReply } from '../fakes/gemini';
import { createGatewayKey } from './harness';
import { ADMIN } from './instances';
import { firstCallOfPool, onlyRecordOf, type PoolAccount } from './pool-rig';

/**
 * A Gemini stream (`alt=sse`) whose first event is Google's error object, through a pool of two
 * Gemini accounts, with `@google/genai`: a failed attempt like the HTTP error it stands for.
 */
let fakes: Record<PoolAccount, FakeGemini>;
let gw: LocalGateway;
let keyId: string;
let ai: GoogleGenAI;
const requestIds: string[] = [];
/** The HTTP status of each answer the client got. */
const statuses: number[] = [];
const health = new AccountHealth();
const UNAVAILABLE = { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' };

beforeAll(async () => {
  fakes = { one: await startFakeGemini({ apiKey: 'gemini-key' }), two: await startFakeGemini({ apiKey: 'gemini-key' }) };
  const config = parseConfig({
    providers: [{ id: 'google', type: 'gemini', accounts: (['one', 'two'] as const).map((id) => ({ id, baseUrl: fakes[id].url, apiKey: { env: 'GEMINI_KEY' } })) }],
    models: [{ name: 'gemini-2.5-flash', targets: [{ provider: 'google', model: 'gemini-2.5-flash' }] }],
    routing: { sticky: false },
  });
  gw = await startLocalGateway({ config, health, adminToken: ADMIN, store: { embedded: undefined }, shareHealth: false, credentials: new LocalCredentials({ GEMINI_KEY: 'gemini-key' }) });
  const minted = await createGatewayKey(gw.url, ADMIN, { name: 'early-error-gemini' });
  keyId = minted.id;
  ai = new GoogleGenAI({
    apiKey: minted.key,
    httpOptions: {
      baseUrl: gw.url,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        requestIds.push(res.headers.get('x-request-id') ?? '');
        statuses.push(res.status);
        return res;
      },
    },
  });
});
afterAll(async () => {
  await gw.close();
  await fakes.one.close();
  await fakes.two.close();
});
beforeEach(() => {
  fakes.one.reset();
  fakes.two.reset();
  health.clear();
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
    const first = firstCallOfPool<FakeGemini, Parameters<typeof defaultGeminiReply>[0], GeminiReply>(fakes, { kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE }, defaultGeminiReply);

    // Act
    const text = await stream();

    // Assess
    expect(text).toBe('Echo: hello there');
    expect(fakes[first.other()].requests).toHaveLength(1);
    expect(health.isCooling(`google/${first.first()}`)).toBe(true);
    expect(await onlyRecordOf(gw, keyId, requestIds[0])).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('on the last account: a real HTTP 503 in Google\'s shape, not a 200 with an error event', async () => {
    // Prepare
    fakes.one.reply({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });
    fakes.two.reply({ kind: 'stream-error', afterEvents: 0, error: UNAVAILABLE });

    // Act
    const thrown = await stream().catch((e: unknown) => e);

    // Assess
    expect(statuses).toEqual([503]);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(503);
    expect((thrown as ApiError).message).toContain('The model is overloaded. Please try again later.');
  });
});
