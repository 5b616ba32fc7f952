import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalGateway } from '../../lib/local/start';
import { AccountLoad } from '../../lib/routing/account-load';
import { AccountHealth } from '../../lib/routing/health';
import { defaultReply, type FakeOpenAI } from '../fakes/openai';
import { balancedByLog } from './balanced-by-log';
import { startOpenAIPool, type OpenAIPool } from './pool-rig';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

/**
 * A pool of two accounts, each its own fake upstream (so the one that served is known), balanced
 * by latency for one model and by calls in flight for another, through the gateway as `npm start`
 * runs it and the official OpenAI client. Sticky routing is off: every call is balanced.
 */
describe('balancing a pool by latency and by calls in flight', () => {
  let pool: OpenAIPool;
  let one: FakeOpenAI;
  let two: FakeOpenAI;
  let gw: LocalGateway;
  let client: OpenAI;
  let keyId: string;
  const health = new AccountHealth();
  /** Added to the latency averages' clock: a case moves it on to age them. */
  let skewMs = 0;
  const load = new AccountLoad(() => Date.now() + skewMs);
  /** What the access log's `request` lines said ordered each call's pool. */
  const { logger, balancedBy } = balancedByLog();

  beforeAll(async () => {
    pool = await startOpenAIPool({
      // Streams write a chunk every 20 ms: a stream is in flight for a good part of a second.
      fakes: { chunkDelayMs: 20 },
      pool: { balance: 'least-busy', timeouts: { headersMs: 300 } },
      config: {
        models: [
          { name: 'spread', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] },
          { name: 'fastest', targets: [{ provider: 'pool', model: 'gpt-4o-mini', balance: 'latency' }] },
        ],
        routing: { sticky: false },
      },
      gateway: { health, load, logger },
      key: { name: 'balance' },
    });
    ({ one, two, gw, client, keyId } = pool);
  });
  afterAll(async () => pool.close());
  beforeEach(() => {
    one.reset();
    two.reset();
    health.clear();
    load.clearLatency();
    balancedBy.length = 0;
  });
  afterEach(async () => {
    // Every case ends with no call counted in flight: a call never given back would starve its account.
    expect(await idle()).toBe(0);
  });

  /** Calls in flight once the gateway has closed the books of every answer sent (at most 2 s). */
  async function idle(): Promise<number> {
    for (let waited = 0; load.totalInFlight() > 0 && waited < 2_000; waited += 10) await sleep(10);
    return load.totalInFlight();
  }
  const ask = (model: string, content = 'hi') => client.chat.completions.create({ model, messages: [{ role: 'user', content }] });
  const askStream = (model: string, options?: OpenAI.RequestOptions) => client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] }, options);
  const readAll = async (stream: AsyncIterable<OpenAI.ChatCompletionChunk>) => {
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  };

  it('sends the large majority of a latency pool to the faster account once both were timed', async () => {
    two.reply(async (req) => {
      await sleep(40);
      return defaultReply(req);
    });
    for (let i = 0; i < 4; i++) await ask('fastest'); // warm-up: each account is tried until timed
    one.requests.length = 0;
    two.requests.length = 0;

    for (let i = 0; i < 60; i++) await ask('fastest');

    // 97.5% expected (the slower one gets half of the 5% that explore); 52 of 60 leaves room for chance.
    expect(one.requests.length).toBeGreaterThanOrEqual(52);
    expect(one.requests.length + two.requests.length).toBe(60);
    await gw.gateway.drain();
    expect(balancedBy).toHaveLength(64);
    expect(balancedBy.every((by) => by === 'latency' || by === 'explore')).toBe(true);
  });

  it('goes back to an account that was slow once it answers fast again (found by exploring)', async () => {
    const slow = (ms: number) => async (req: Parameters<typeof defaultReply>[0]) => {
      await sleep(ms);
      return defaultReply(req);
    };
    one.reply(slow(80));
    for (let i = 0; i < 4; i++) await ask('fastest');
    one.reset(); // fast again, but its average still says 80 ms
    two.reply(slow(15));
    skewMs += 60_000; // a minute on: one's old average weighs little against its next sample

    let calls = 0;
    while (one.requests.length === 0 && calls++ < 400) await ask('fastest'); // two serves until one is explored (1 in 40 expected)
    one.requests.length = 0;
    two.requests.length = 0;
    for (let i = 0; i < 40; i++) await ask('fastest');

    expect(one.requests.length).toBeGreaterThanOrEqual(34);
  });

  it('sends a never-timed account of a latency pool one call at a time until it has answered', async () => {
    // No exploring, and the weighted draw puts `two` first: only the balance decides.
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      load.observe('pool/one', 'gpt-4o-mini', false, 500); // timed, and slower than `two` will be
      two.reply(async (req) => {
        await sleep(150);
        return defaultReply(req);
      });
      const first = ask('fastest'); // `two` has never answered: it is tried
      while (two.requests.length === 0) await sleep(5);

      await Promise.all([first, ask('fastest'), ask('fastest'), ask('fastest')]);

      // The three that came while `two`'s first call was out went to `one`, not all to `two`.
      expect([one.requests.length, two.requests.length]).toEqual([3, 1]);
    } finally {
      random.mockRestore();
    }
  });

  it('stops sending a latency pool to its fastest account while that account keeps a call waiting longer than the others answer', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5); // no exploring: only the balance decides
    try {
      load.observe('pool/one', 'gpt-4o-mini', false, 2);
      load.observe('pool/two', 'gpt-4o-mini', false, 40);
      one.reply(async (req) => {
        await sleep(1_000); // past the pool's 300 ms header timeout: the call fails over to `two`
        return defaultReply(req);
      });
      const hanging = ask('fastest');
      while (one.requests.length === 0) await sleep(5);
      await sleep(60); // `one`'s call has now waited longer than `two` takes

      for (let i = 0; i < 3; i++) await ask('fastest');
      await hanging;

      // Without the wait counted, each of the three would have gone to `one` and waited 300 ms first.
      expect([one.requests.length, two.requests.length]).toEqual([1, 4]);
    } finally {
      random.mockRestore();
    }
  });

  it('spreads concurrent slow streams of a least-busy pool evenly over its accounts', async () => {
    const streams = await Promise.all(Array.from({ length: 8 }, () => askStream('spread')));
    const inFlightWhileStreaming = [load.inFlight('pool/one'), load.inFlight('pool/two')];

    const texts = await Promise.all(streams.map(readAll));

    expect(inFlightWhileStreaming).toEqual([4, 4]);
    expect([one.requests.length, two.requests.length]).toEqual([4, 4]);
    expect(texts.every((t) => t === 'Echo: one two three four five six')).toBe(true);
    await gw.gateway.drain();
    expect(balancedBy).toEqual(Array(8).fill('least-busy'));
  });

  it('says in each usage record, as stored in the table, what picked its account', async () => {
    await ask('spread');
    await ask('fastest');
    await gw.gateway.drain();

    // The day's records oldest first: the last two are these calls'.
    const last = (await usageSince(gw.table, keyId, STARTED_AT)).slice(-2);

    expect(last.map((r) => [r.model, r.balancedBy])).toEqual([
      ['spread', 'least-busy'],
      ['fastest', balancedBy[1]],
    ]);
    expect(['latency', 'explore']).toContain(last[1]!.balancedBy);
  });

  it('gives a stream back when the client leaves it halfway', async () => {
    const stream = await askStream('spread');
    let chunks = 0;
    let inFlight = 0;

    for await (const _chunk of stream) {
      inFlight = load.totalInFlight();
      if (++chunks === 2) break; // the client's for-await ends: it aborts the request
    }

    expect(inFlight).toBe(1);
  });

  it('gives a call back when the client leaves before the upstream answered', async () => {
    one.reply({ kind: 'hang' });
    two.reply({ kind: 'hang' });
    const leave = new AbortController();
    const call = askStream('spread', { signal: leave.signal });
    await sleep(100);
    const inFlight = load.totalInFlight();

    leave.abort();

    await expect(call).rejects.toThrow();
    expect(inFlight).toBe(1);
  });

  it('gives back a failed account on failing over, and the one that answered when it has answered', async () => {
    one.reply({ kind: 'error', status: 500 });
    two.reply({ kind: 'error', status: 500 });
    await expect(ask('spread')).rejects.toMatchObject({ status: 500 });
    two.reset();
    health.clear();

    const answers = await Promise.all([ask('spread'), ask('spread')]);

    expect(answers.map((a) => a.choices[0]!.message.content)).toEqual(['Echo: hi', 'Echo: hi']);
    expect(one.requests).toHaveLength(2); // the first call's, and one of the two at once (the least busy of the second is the other)
    expect(two.requests).toHaveLength(2); // since its reset: the other call, and the one that failed over
  });

  it('gives back an account that timed out before its headers, and the one that answered after it', async () => {
    one.reply({ kind: 'hang' });

    // Two at once: the least busy account of the second is the one the first did not take.
    const texts = await Promise.all([askStream('spread').then(readAll), askStream('spread').then(readAll)]);

    expect(texts).toEqual(['Echo: one two three four five six', 'Echo: one two three four five six']);
    expect(one.requests).toHaveLength(1); // timed out (300 ms), and its call went over to two
    expect(two.requests).toHaveLength(2);
  });

  it('gives back a stream the upstream broke off halfway', async () => {
    one.reply({ kind: 'drop', afterChunks: 2 });
    two.reply({ kind: 'drop', afterChunks: 2 });

    await expect(readAll(await askStream('spread'))).rejects.toThrow();
  });
});
