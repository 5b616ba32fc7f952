import type { Caller } from '../access/caller';
import { GatewayError } from '../http/errors';
import { silentLogger } from '../observe/logger';
import { AccountLoad } from '../routing/account-load';
import type { Attempt } from '../routing/attempts';
import { MAX_STORED_ID_CHARS, type StoredRef } from '../routing/response-homes';
import type { StoredHome, StoredHomeStore } from '../store/stored-homes';
import { MemoryUsageSink } from '../usage/record';
import type { ProxyDeps } from './deps';
import { continuationOf, madeAt, namedStoredRef, notFoundAnswer } from './stored-objects';

/** The table's homes in memory, counting its reads: what a call costs in reads is what these tests assert. */
class CountingHomes implements StoredHomeStore {
  reads = 0;
  constructor(readonly homes: Record<string, StoredHome> = {}) {}
  async read(id: string): Promise<StoredHome | undefined> {
    this.reads++;
    return this.homes[id];
  }
}

/** A table whose reads wait until `release` is called (then all answer, and later reads at once). */
class HeldHomes extends CountingHomes {
  #release!: () => void;
  readonly #held = new Promise<void>((resolve) => (this.#release = resolve));
  fail = false;
  override async read(id: string): Promise<StoredHome | undefined> {
    this.reads++;
    await this.#held;
    if (this.fail) throw new Error('table unreachable');
    return this.homes[id];
  }
  release(): void {
    this.#release();
  }
}

const caller = (keyId: string, teamId?: string) => ({ key: { id: keyId }, ...(teamId ? { team: { id: teamId } } : {}) }) as unknown as Caller;
const call = (body: Record<string, unknown>, who = caller('key_1', 'team_a')) => ({ caller: who, body, model: 'gpt-4o' });
const stored = (id: string, owner: string, kind: StoredRef['kind'] = 'response'): StoredHome => ({ ref: { kind, id }, providerId: 'pool', accountId: 'two', owner, keyId: 'key_9', model: 'gpt-4o', createdAt: 0 });
const SETTLE_S = 120;
/** Deps with a table (when given) and a clock the test moves (`clock.at`, epoch ms). */
const depsWith = (homes?: StoredHomeStore, clock = { at: 0 }) =>
  ({ load: new AccountLoad(), ...(homes ? { storedHomes: homes } : {}), providers: {}, config: { routing: { ownerlessAfterSeconds: SETTLE_S } }, now: () => clock.at, logger: silentLogger }) as unknown as ProxyDeps;

describe('notFoundAnswer', () => {
  it.each<[string, StoredRef, { status: number; message: string; code: string | undefined; param: string | undefined }]>([
    ['a response: 400 previous_response_not_found', { kind: 'response', id: 'resp_1' }, { status: 400, message: "Previous response with id 'resp_1' not found.", code: 'previous_response_not_found', param: 'previous_response_id' }],
    ['a conversation: 404 without code or param', { kind: 'conversation', id: 'conv_1' }, { status: 404, message: "Conversation with id 'conv_1' not found.", code: undefined, param: undefined }],
  ])("is OpenAI's answer for %s it does not know", (_name, ref, expected) => {
    const error = notFoundAnswer(ref, 'owned by team_b');

    expect({ status: error.status, message: error.message, code: error.code, param: error.param }).toEqual(expected);
    expect(error.detail).toBe('owned by team_b');
  });
});

describe('namedStoredRef', () => {
  it.each<[string, Record<string, unknown>, StoredRef | undefined]>([
    ['nothing', { input: 'Hi' }, undefined],
    ['a previous response', { previous_response_id: 'resp_1' }, { kind: 'response', id: 'resp_1' }],
    ['a conversation by its id', { conversation: 'conv_1' }, { kind: 'conversation', id: 'conv_1' }],
    ['a conversation as an object', { conversation: { id: 'conv_1' } }, { kind: 'conversation', id: 'conv_1' }],
  ])('names the stored object of a call naming %s, reading nothing', (_name, body, expected) => {
    expect(namedStoredRef(body)).toEqual(expected);
  });

  it("refuses a call naming both a previous response and a conversation with OpenAI's 400", () => {
    const refused = (() => {
      try {
        return namedStoredRef({ previous_response_id: 'resp_1', conversation: 'conv_1' });
      } catch (err) {
        return err;
      }
    })();

    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 400, code: 'mutually_exclusive_parameters' });
  });
});

describe('continuationOf', () => {
  it('reads nothing, and makes no promise, for a call that builds on nothing', async () => {
    const homes = new CountingHomes();

    expect(continuationOf(call({ input: 'Hi' }), depsWith(homes))).toBeUndefined();
    expect(homes.reads).toBe(0);
  });

  it("reads the table once for an id this instance does not know, and then knows it", async () => {
    const homes = new CountingHomes({ resp_1: stored('resp_1', 'team_a') });
    const deps = depsWith(homes);

    const first = await continuationOf(call({ previous_response_id: 'resp_1' }), deps);
    const again = await continuationOf(call({ previous_response_id: 'resp_1' }, caller('key_2', 'team_a')), deps);

    expect([first?.home, first?.owner]).toEqual([{ providerId: 'pool', accountId: 'two', owner: 'team_a', model: 'gpt-4o', kind: 'response' }, 'team_a']);
    expect(again?.home).toEqual(first?.home);
    expect(homes.reads).toBe(1);
  });

  it('reads nothing for an id this instance remembers', async () => {
    const homes = new CountingHomes();
    const deps = depsWith(homes);
    deps.load.homes.remember('resp_1', 'pool', 'one', 'team_a');

    const continuation = await continuationOf(call({ previous_response_id: 'resp_1' }), deps);

    expect(continuation?.home).toEqual({ providerId: 'pool', accountId: 'one', owner: 'team_a' });
    expect(homes.reads).toBe(0);
  });

  it.each([
    ['remembered', true],
    ['read from the table', false],
  ])("refuses another team's response, %s, as OpenAI refuses an unknown id", async (_name, warm) => {
    const deps = depsWith(new CountingHomes({ resp_1: stored('resp_1', 'team_a') }));
    if (warm) deps.load.homes.remember('resp_1', 'pool', 'two', 'team_a');

    const err = await continuationOf(call({ previous_response_id: 'resp_1' }, caller('key_3', 'team_b')), deps)!.catch((e: unknown) => e);

    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
  });

  it("refuses another key's conversation with the conversation's 404, and lets the owning key without a team on", async () => {
    const deps = depsWith(new CountingHomes({ conv_1: stored('conv_1', 'key_1', 'conversation') }));

    const refused = await continuationOf(call({ conversation: 'conv_1' }, caller('key_2')), deps)!.catch((e: unknown) => e);
    const own = await continuationOf(call({ conversation: { id: 'conv_1' } }, caller('key_1')), deps);

    expect(refused).toMatchObject({ status: 404, message: "Conversation with id 'conv_1' not found." });
    expect(own?.owner).toBe('key_1');
  });

  it.each<[string, Record<string, unknown>, StoredRef['kind'], 'table' | 'memory', { status: number; message: string }]>([
    ["a response's id as the conversation, from the table", { conversation: 'resp_1' }, 'response', 'table', { status: 404, message: "Conversation with id 'resp_1' not found." }],
    ["a response's id as the conversation, from memory", { conversation: { id: 'resp_1' } }, 'response', 'memory', { status: 404, message: "Conversation with id 'resp_1' not found." }],
    ["a conversation's id as the previous response, from the table", { previous_response_id: 'resp_1' }, 'conversation', 'table', { status: 400, message: "Previous response with id 'resp_1' not found." }],
    ["a conversation's id as the previous response, from memory", { previous_response_id: 'resp_1' }, 'conversation', 'memory', { status: 400, message: "Previous response with id 'resp_1' not found." }],
  ])("refuses %s with the field's not-found, even for its owner", async (_name, body, kind, where, expected) => {
    const deps = depsWith(new CountingHomes(where === 'table' ? { resp_1: stored('resp_1', 'team_a', kind) } : {}));
    if (where === 'memory') deps.load.homes.remember('resp_1', 'pool', 'two', 'team_a', 'gpt-4o', kind);

    const refused = await continuationOf(call(body), deps)!.catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject(expected);
    expect(deps.load.homes.homeOf('resp_1')?.kind).toBe(kind);
  });

  it("leaves an id the table does not know to the pool: a response whose owner nothing proves, a conversation the caller's from its first use", async () => {
    const deps = depsWith(new CountingHomes());

    const response = await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
    const conversation = await continuationOf(call({ conversation: 'conv_x' }), deps);

    expect([response?.home, response?.owner]).toEqual([undefined, undefined]);
    expect([conversation?.home, conversation?.owner]).toEqual([undefined, 'team_a']);
  });

  describe('an id the table does not know, found by asking the pool', () => {
    /** The memory after `tryTargets` found the response at account one with no owner to give it. */
    const foundByAsking = (deps: ProxyDeps) => deps.load.homes.remember('resp_x', 'pool', 'one');
    const settleMs = SETTLE_S * 1000;

    it.each<[string, number[], number[]]>([
      ['each continuation reads until a read the settle time after the first still finds no item', [0, 60_000, settleMs - 1], [1, 2, 3]],
      ['a read the settle time after the first settles it: none after, for the settle time', [0, 60_000, settleMs, settleMs + 1, 2 * settleMs - 1], [1, 2, 3, 3, 3]],
      ['once the settle time has passed again, one read, then none for another settle time', [0, settleMs, 2 * settleMs, 2 * settleMs + 1, 3 * settleMs - 1, 10 * settleMs, 10 * settleMs + 1], [1, 2, 3, 3, 3, 4, 4]],
      ['the settle time counts from the first read, not from the last', [5_000, 5_000 + settleMs, 5_000 + settleMs + 1], [1, 2, 2]],
      ['a clock set back settles nothing', [50_000, 0, 40_000], [1, 2, 3]],
    ])('%s', async (_name, times, expected) => {
      // Prepare
      const homes = new CountingHomes();
      const clock = { at: 0 };
      const deps = depsWith(homes, clock);
      foundByAsking(deps);
      const reads: number[] = [];

      // Act
      for (const at of times) {
        clock.at = at;
        const continuation = await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_3', 'team_b')), deps);
        expect([continuation?.home, continuation?.owner]).toEqual([{ providerId: 'pool', accountId: 'one' }, undefined]);
        reads.push(homes.reads);
      }

      // Assess
      expect(reads).toEqual(expected);
    });

    it("tells the operator once, when a response is settled as anyone's", async () => {
      // Prepare
      const clock = { at: 0 };
      const deps = depsWith(new CountingHomes(), clock);
      const lines: unknown[][] = [];
      deps.logger = { ...silentLogger, info: (...line: unknown[]) => void lines.push(line) };
      foundByAsking(deps);

      // Act
      for (const at of [0, settleMs, settleMs + 1]) {
        clock.at = at;
        await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      }

      // Assess
      expect(lines).toEqual([["stored response settled as anyone's: the table has no owner for it", { storedId: 'resp_x' }]]);
    });

    it('counts no read made before the pool was found to hold it: such a read may predate the maker\'s answer', async () => {
      // Prepare: a cold continuation reads (no item), then asks the pool, which finds it.
      const homes = new CountingHomes();
      const clock = { at: 0 };
      const deps = depsWith(homes, clock);
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      foundByAsking(deps);

      // Act: the first read after that starts the watch.
      for (const at of [settleMs, settleMs + 1, 2 * settleMs - 1]) {
        clock.at = at;
        await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      }
      const beforeSettling = homes.reads;
      clock.at = 2 * settleMs;
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);

      // Assess
      expect([beforeSettling, homes.reads]).toEqual([4, 5]);
    });

    it("keeps to its owner a response whose maker's home reached the table before it settled, past the settle time too", async () => {
      // Prepare: found with no owner; the maker's batch lands 30 s later.
      const homes = new CountingHomes();
      const clock = { at: 0 };
      const deps = depsWith(homes, clock);
      foundByAsking(deps);
      await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_3', 'team_b')), deps);
      homes.homes.resp_x = stored('resp_x', 'team_a');

      // Act
      const refusals: unknown[] = [];
      for (const at of [30_000, settleMs, 10 * settleMs]) {
        clock.at = at;
        refusals.push(await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_3', 'team_b')), deps)!.catch((e: unknown) => e));
      }
      const own = await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_2', 'team_a')), deps);

      // Assess
      for (const err of refusals) expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found' });
      expect(own?.owner).toBe('team_a');
      expect(homes.reads).toBe(2);
    });

    it("sees the owner of a home that reached the table after it settled, once the settle ends: another team is refused from then, the owner served", async () => {
      // Prepare: settled with no item at settleMs; the maker's home (written again after its batch was refused) lands just after.
      const homes = new CountingHomes();
      const clock = { at: 0 };
      const deps = depsWith(homes, clock);
      foundByAsking(deps);
      for (const at of [0, settleMs]) {
        clock.at = at;
        await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_3', 'team_b')), deps);
      }
      homes.homes.resp_x = stored('resp_x', 'team_a');

      // Act
      const outcomes: unknown[] = [];
      for (const at of [settleMs + 1_000, 2 * settleMs - 1, 2 * settleMs, 2 * settleMs + 1, 10 * settleMs]) {
        clock.at = at;
        outcomes.push(await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_3', 'team_b')), deps)!.then((c) => c.owner ?? 'anyone', (e: { code?: string }) => e.code));
      }
      const own = await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_2', 'team_a')), deps);

      // Assess: within the settle, memory's answer, with no read; then one read, and the owner from then on.
      expect(outcomes).toEqual(['anyone', 'anyone', 'previous_response_not_found', 'previous_response_not_found', 'previous_response_not_found']);
      expect(own?.owner).toBe('team_a');
      expect(homes.reads).toBe(3);
    });

    it.each([
      ['before it is settled', [0]],
      ['once it is settled', [0, settleMs]],
    ])("refuses a conversation call naming it (%s), with OpenAI's 404, rather than let that call's team claim a response as its conversation", async (_name, reads) => {
      // Prepare
      const clock = { at: 0 };
      const deps = depsWith(new CountingHomes(), clock);
      foundByAsking(deps);
      for (const at of reads) {
        clock.at = at;
        await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      }

      // Act
      const refused = await continuationOf(call({ conversation: 'resp_x' }, caller('key_3', 'team_b')), deps)?.catch((e: unknown) => e);
      const continued = await continuationOf(call({ previous_response_id: 'resp_x' }, caller('key_3', 'team_b')), deps);

      // Assess
      expect(refused).toMatchObject({ status: 404, message: "Conversation with id 'resp_x' not found." });
      expect(continued?.owner).toBeUndefined();
    });

    it.each([
      ['the wall clock jumps a day ahead while a second passes', 86_400_000, 1_000, false],
      ['the wall clock is set back while the settle time passes', -86_400_000, settleMs, true],
    ])('times the settle time on the monotonic clock, not the wall clock: %s', async (_case, wallStep, monotonicStep, settled) => {
      // Prepare: the watch began at 0 on both clocks.
      const homes = new CountingHomes();
      const [wall, monotonic] = [{ at: 0 }, { at: 0 }];
      const deps = depsWith(homes, wall);
      deps.monotonicNow = () => monotonic.at;
      foundByAsking(deps);
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);

      // Act
      [wall.at, monotonic.at] = [wallStep, monotonicStep];
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);

      // Assess
      expect(deps.load.homes.settledOwnerless('resp_x', monotonic.at)).toBe(settled);
    });

    it('counts a read as made when it was sent: one sent a moment before the settle time and answered after it settles nothing', async () => {
      // Prepare: the watch began at 0; the next read leaves just short of the settle time and is slow to answer.
      const homes = new HeldHomes();
      const clock = { at: 0 };
      const deps = depsWith(homes, clock);
      foundByAsking(deps);
      homes.release();
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      const slow = new HeldHomes();
      deps.storedHomes = slow;
      clock.at = settleMs - 1;
      const pending = continuationOf(call({ previous_response_id: 'resp_x' }), deps);

      // Act
      clock.at = settleMs + 5_000;
      slow.release();
      await pending;
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);

      // Assess: the read after it still goes out (and, made past the settle time, settles it).
      expect(slow.reads).toBe(2);
      expect(deps.load.homes.settledOwnerless('resp_x', clock.at)).toBe(true);
    });

    it('reads again once a settled response is forgotten (deleted through the gateway)', async () => {
      // Prepare
      const homes = new CountingHomes();
      const clock = { at: 0 };
      const deps = depsWith(homes, clock);
      foundByAsking(deps);
      for (const at of [0, settleMs]) {
        clock.at = at;
        await continuationOf(call({ previous_response_id: 'resp_x' }), deps);
      }
      deps.load.homes.forget('resp_x');
      foundByAsking(deps);

      // Act
      await continuationOf(call({ previous_response_id: 'resp_x' }), deps);

      // Assess
      expect(homes.reads).toBe(3);
    });
  });

  describe('continuations of one id at once', () => {
    it.each([
      ['an id this instance does not know', false],
      ['an id found by asking the pool', true],
    ])('share one read: %s', async (_name, found) => {
      // Prepare
      const homes = new HeldHomes({ resp_1: stored('resp_1', 'team_a') });
      const deps = depsWith(homes);
      if (found) deps.load.homes.remember('resp_1', 'pool', 'one');

      // Act
      const calls = [caller('key_1', 'team_a'), caller('key_2', 'team_a'), caller('key_3', 'team_b'), caller('key_1', 'team_a')].map((who) =>
        continuationOf(call({ previous_response_id: 'resp_1' }, who), deps)!.then((c) => c.owner, (e: unknown) => e),
      );
      homes.release();
      const outcomes = await Promise.all(calls);

      // Assess
      expect(homes.reads).toBe(1);
      expect(outcomes.map((o) => (o instanceof GatewayError ? o.code : o))).toEqual(['team_a', 'team_a', 'previous_response_not_found', 'team_a']);
    });

    it('fail together when the shared read fails, and the next continuation reads again', async () => {
      // Prepare
      const homes = new HeldHomes({ resp_1: stored('resp_1', 'team_a') });
      homes.fail = true;
      const deps = depsWith(homes);

      // Act
      const calls = [1, 2, 3].map(() => continuationOf(call({ previous_response_id: 'resp_1' }), deps)!.catch((e: unknown) => e));
      homes.release();
      const failures = await Promise.all(calls);
      homes.fail = false;
      const next = await continuationOf(call({ previous_response_id: 'resp_1' }), deps);

      // Assess
      for (const err of failures) expect(err).toMatchObject({ message: 'table unreachable' });
      expect(next?.owner).toBe('team_a');
      expect(homes.reads).toBe(2);
    });
  });

  it('keeps to memory alone without a table', async () => {
    const deps = depsWith();

    expect((await continuationOf(call({ previous_response_id: 'resp_1' }), deps))?.home).toBeUndefined();
  });
});

describe('madeAt', () => {
  const attempt = { provider: { id: 'pool' }, account: { id: 'two' }, model: 'gpt-4o' } as unknown as Attempt;

  it.each([
    ['a provider-sized id', `conv_${'x'.repeat(MAX_STORED_ID_CHARS - 5)}`, 1],
    ['an id longer than any provider gives (an upstream that ignored it took it)', `conv_${'x'.repeat(MAX_STORED_ID_CHARS - 4)}`, 0],
  ])('keeps %s in memory and in the usage sink\'s next batch at once, or neither', (_name, id, kept) => {
    const usage = new MemoryUsageSink();
    const deps = { ...depsWith(), now: () => 0, usage } as unknown as ProxyDeps;

    madeAt({ kind: 'conversation', id }, attempt, 'team_a', call({ conversation: id }), deps);

    expect([usage.homes.length, deps.load.homes.size, usage.records.length]).toEqual([kept, kept, 0]);
  });

  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['a response made on its own: kept 30 days', { input: 'Hi' }, undefined],
    ['a response made in a conversation (an object): kept until deleted, naming it', { input: 'Hi', conversation: { id: 'conv_1' } }, 'conv_1'],
    ['a response made in a conversation (an id): kept until deleted, naming it', { input: 'Hi', conversation: 'conv_2' }, 'conv_2'],
  ])('marks %s', (_name, body, conversation) => {
    const usage = new MemoryUsageSink();
    const deps = { ...depsWith(), now: () => 0, usage } as unknown as ProxyDeps;

    madeAt({ kind: 'response', id: 'resp_1' }, attempt, 'team_a', call(body), deps);

    expect(usage.homes[0]?.conversation).toBe(conversation);
  });
});
