import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalGateway } from '../../lib/local/start';
import { AccountLoad, HUNG } from '../../lib/routing/account-load';
import { AccountHealth } from '../../lib/routing/health';
import { rendezvousOrder, stickyKeyOf } from '../../lib/routing/sticky';
import { defaultReply, type FakeOpenAI } from '../fakes/openai';
import { startOpenAIPool, type OpenAIPool } from './pool-rig';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

/**
 * A least-busy pool of two accounts, each its own fake upstream, with sticky routing on (the
 * default), through the gateway as `npm start` runs it and the official OpenAI client: a
 * conversation whose own account hangs gives its next call to the other account, and keeps to that
 * one afterwards, even once its own account answers again.
 */
describe('a sticky conversation whose account hangs', () => {
  let pool: OpenAIPool;
  let one: FakeOpenAI;
  let two: FakeOpenAI;
  let gw: LocalGateway;
  let client: OpenAI;
  let keyId: string;
  const health = new AccountHealth();
  /** Added to the load's clock: moving it on makes a waiting call look as old as a hung one. */
  let skewMs = 0;
  const load = new AccountLoad(() => Date.now() + skewMs);
  const accounts = [{ id: 'one', weight: 1 }, { id: 'two', weight: 1 }];
  /** Conversations (the OpenAI `user` they send) whose own account, by rendezvous, is `one`. */
  const ownedByOne = Array.from({ length: 64 }, (_, i) => `conversation-${i}`).filter((user) => rendezvousOrder(accounts, stickyKeyOf('openai', {}, { user })!)[0]!.id === 'one');

  beforeAll(async () => {
    pool = await startOpenAIPool({
      // Long enough that the hung call is still waiting while the conversation's next call is served.
      pool: { balance: 'least-busy', timeouts: { headersMs: 5_000 } },
      config: {
        models: [
          { name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] },
          // Another model on the same accounts: its prompt cache is its own (a provider caches per model).
          { name: 'small', targets: [{ provider: 'pool', model: 'gpt-4.1-nano' }] },
        ],
      },
      gateway: { health, load },
      key: { name: 'sticky' },
    });
    ({ one, two, gw, client, keyId } = pool);
  });
  afterAll(async () => pool.close());

  const ask = (user: string, content: string, options?: OpenAI.RequestOptions, model = 'chat') => client.chat.completions.create({ model, user, messages: [{ role: 'user', content }] }, options);

  it('sends the next call to the other account at once, and keeps the conversation there once its own account answers again', async () => {
    // Prepare: two conversations at home on `one`; the first turn of each times `one`.
    expect(ownedByOne.length).toBeGreaterThanOrEqual(2);
    const [moved, control] = ownedByOne as [string, string];
    await ask(moved, 'turn 1');
    await ask(control, 'turn 1');
    one.reply({ kind: 'hang' });
    const leave = new AbortController();
    const hanging = ask(moved, 'turn 2', { signal: leave.signal }).catch((err: unknown) => err);
    while (one.requests.length < 3) await sleep(5);
    skewMs += HUNG.minMs * 2; // the call on `one` has now waited far longer than `one` takes

    // Act: the conversation's next turn while its call on `one` still hangs.
    const startedAt = Date.now();
    const next = await ask(moved, 'turn 3');
    const tookMs = Date.now() - startedAt;
    leave.abort(); // the client gives up on the hung call: no failover, no rest
    await hanging;
    one.reply(defaultReply); // answers again (the requests it has seen are kept)
    health.clear();
    const after = await ask(moved, 'turn 4');
    const controlAfter = await ask(control, 'turn 2');
    await gw.gateway.drain();

    // Assess: turn 3 went to `two` without waiting for `one`'s header timeout; turn 4 stayed there
    // although `one` answers again (the control conversation, at home on `one`, is served there).
    expect(next.choices[0]!.message.content).toBe('Echo: turn 3');
    expect(tookMs).toBeLessThan(2_500);
    expect(after.choices[0]!.message.content).toBe('Echo: turn 4');
    expect(controlAfter.choices[0]!.message.content).toBe('Echo: turn 2');
    expect(lastUserMessages(one)).toEqual(['turn 1', 'turn 1', 'turn 2', 'turn 2']);
    expect(lastUserMessages(two)).toEqual(['turn 3', 'turn 4']);
    expect(load.pinned(stickyKeyOf('openai', {}, { user: moved })!, 'pool', 'gpt-4o-mini')).toBe('two');
    // The usage records, as stored: what picked each served call's account.
    const rows = await usageSince(gw.table, keyId, STARTED_AT);
    const served = rows.filter((r) => r.status === 200).map((r) => [r.account, r.balancedBy]);
    expect(served).toEqual([
      ['one', 'sticky'],
      ['one', 'sticky'],
      ['two', 'least-busy'],
      ['two', 'sticky'],
      ['one', 'sticky'],
    ]);
  });

  it("keeps a conversation moved in one model to that model: its calls to another model stay on their own account, and do not unpin it", async () => {
    // Prepare: a conversation at home on `one`, moved to `two` in `chat` while its call on `one` hangs.
    const user = ownedByOne[2]!;
    await ask(user, 'chat 1');
    one.reply({ kind: 'hang' });
    const leave = new AbortController();
    const seen = one.requests.length;
    const hanging = ask(user, 'chat 2', { signal: leave.signal }).catch((err: unknown) => err);
    while (one.requests.length < seen + 1) await sleep(5);
    skewMs += HUNG.minMs * 2;
    await ask(user, 'chat 3');
    leave.abort();
    await hanging;
    one.reply(defaultReply);
    health.clear();

    // Act: the same conversation calls the other model, then `chat` again.
    const small = await ask(user, 'small 1', undefined, 'small');
    const chat = await ask(user, 'chat 4');

    // Assess: `small` was served on `one`, its own account (nothing of it hung, its cache is there);
    // `chat` kept to `two`, where its cache is now.
    expect([small.choices[0]!.message.content, chat.choices[0]!.message.content]).toEqual(['Echo: small 1', 'Echo: chat 4']);
    expect(lastUserMessages(one).slice(-1)).toEqual(['small 1']);
    expect(lastUserMessages(two).slice(-2)).toEqual(['chat 3', 'chat 4']);
  });
});

/** The text of the last user message of each request the fake received, in order. */
function lastUserMessages(upstream: FakeOpenAI): string[] {
  return upstream.requests.map((r) => {
    const messages = (r.body as { messages: { role: string; content: string }[] }).messages;
    return messages.filter((m) => m.role === 'user').at(-1)!.content;
  });
}

/**
 * The same hang in a weighted pool (no `balance`) with sticky routing off: every call is drawn,
 * and a draw that lands on the hung account gives the call to the other one at once.
 */
describe('a weighted pool whose account hangs, sticky routing off', () => {
  let pool: OpenAIPool;
  let one: FakeOpenAI;
  let two: FakeOpenAI;
  let gw: LocalGateway;
  let client: OpenAI;
  let skewMs = 0;
  const load = new AccountLoad(() => Date.now() + skewMs);

  beforeAll(async () => {
    pool = await startOpenAIPool({
      pool: { timeouts: { headersMs: 5_000 } },
      config: { routing: { sticky: false }, models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }] },
      gateway: { load },
      key: { name: 'weighted' },
    });
    ({ one, two, gw, client } = pool);
  });
  afterAll(async () => pool.close());

  it('serves every call on the other account without waiting for the header timeout', async () => {
    const ask = (content: string, options?: OpenAI.RequestOptions) => client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content }] }, options);
    // Until each account has answered once (timed), then `one` hangs on a call.
    while (one.requests.length === 0 || two.requests.length === 0) await ask('warm up');
    one.reply({ kind: 'hang' });
    const leave = new AbortController();
    const seen = one.requests.length;
    let hanging: Promise<unknown> | undefined;
    while (one.requests.length === seen) {
      const call = ask('maybe hangs', { signal: leave.signal }).catch((err: unknown) => err);
      await Promise.race([call, sleep(300)]);
      if (one.requests.length > seen) hanging = call;
    }
    skewMs += HUNG.minMs * 2;

    const startedAt = Date.now();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => ask(`call ${i}`)));
    const tookMs = Date.now() - startedAt;
    leave.abort();
    await hanging;

    expect(answers.map((a) => a.choices[0]!.message.content)).toEqual(Array.from({ length: 8 }, (_, i) => `Echo: call ${i}`));
    expect(tookMs).toBeLessThan(2_500);
    expect(one.requests.length).toBe(seen + 1);
  });
});
