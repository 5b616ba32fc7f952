import OpenAI from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { openAIClient, startHarness, type Harness } from './harness';

const AZURE_KEY = 'azure-key-0123456789';
const MODEL = 'gpt-4o-old';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The hour an account that makes no conversations is left out of creates is timed on the clock no
 * change of the wall clock moves: a wall clock set back (an NTP step, a host resumed) must not keep
 * an account away for a day more. The gateway runs on its own clocks here (none injected); only
 * `Date` and `performance` are jest's, so the case can move them apart, and every timer and socket
 * runs as usual.
 */
describe('conversations at an Azure OpenAI resource that makes none, when the wall clock is set back', () => {
  let resource: FakeAzureOpenAI;
  let h: Harness;
  let client: OpenAI;

  beforeAll(async () => {
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: ['hrtime', 'nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
    });
    resource = await startFakeAzureOpenAI({ apiKey: AZURE_KEY, conversations: false });
    h = await startHarness({
      credentials: { AZURE_KEY },
      config: () => ({
        providers: [{ id: 'az-old', type: 'azure-openai', baseUrl: resource.url, accounts: [{ id: 'west', apiKey: { env: 'AZURE_KEY' } }] }],
        models: [{ name: MODEL, targets: [{ provider: 'az-old', model: 'gpt4o' }] }],
      }),
    });
    client = openAIClient(h.gw, (await h.createKey({ name: 'clock', models: [MODEL] })).key);
  });
  afterAll(async () => {
    await h?.close();
    await resource?.close();
    jest.useRealTimers();
  });

  it('asks the resource again once an hour has passed, though the wall clock was set back a day in it', async () => {
    // Prepare: the resource answers a create's 404 and is remembered.
    const first = await client.conversations.create({}, { query: { model: MODEL } }).then(() => undefined, (e: unknown) => e);

    // Act: the wall clock goes back a day; a create within the hour, then one after it on both clocks.
    jest.setSystemTime(Date.now() - DAY);
    jest.advanceTimersByTime(HOUR - MINUTE);
    const within = await client.conversations.create({}, { query: { model: MODEL } }).then(() => undefined, (e: unknown) => e);
    const askedWithin = resource.requests.length;
    jest.advanceTimersByTime(2 * MINUTE);
    const later = await client.conversations.create({}, { query: { model: MODEL } }).then(() => undefined, (e: unknown) => e);

    // Assess: within the hour the memory answered; after it the resource was asked (its own 404 again, "each one asked").
    expect(first).toMatchObject({ status: 400, code: 'model_keeps_no_conversations' });
    expect((within as Error).message).toContain('in the last hour');
    expect(askedWithin).toBe(1);
    expect(later).toMatchObject({ status: 400, code: 'model_keeps_no_conversations' });
    expect((later as Error).message).toContain('each one asked answered 404');
    expect(resource.requests.filter((r) => r.path === '/openai/v1/conversations')).toHaveLength(2);
  });
});
