import OpenAI from 'openai';
import type { TableRef } from '../../lib/store/dynamo';
import { beforeTableCalls, countStoredReads, STORED_PREFIX } from '../dynalite';
import { eventually } from './harness';
import type { Instances } from './instances';
import { POOL_ACCOUNTS as ACCOUNTS, type PoolAccount as AccountId, openingAwayFrom as awayFrom, storedPoolForSuite } from './stored-pool';

const MODEL = 'gpt-4o-mini';
const SETTLE_S = 300;
const SETTLE_MS = SETTLE_S * 1000;

/**
 * Stored responses the table has no home for (made at the provider directly, or before homes were
 * written; a home lost with its batch is in homes-written-again.test.ts): found by asking the pool, with no owner, and read from the
 * table again on each continuation until a read `routing.ownerlessAfterSeconds` after the first
 * still finds none, so a warm instance stops reading them without letting a probe made before the
 * maker's batch landed open a team's response for good. Three fake OpenAI accounts behind two
 * instances on one dynalite, on one clock the tests move.
 */
describe('stored responses the table does not know', () => {
  // Streams take a moment (25 ms an event): long enough for other calls while a maker's stream runs.
  const pool = storedPoolForSuite({ tableName: 'stored-unknown', model: MODEL, settleS: SETTLE_S, chunkDelayMs: 25 });
  const { fakes, clients, time } = pool;

  beforeEach(() => {
    for (const id of ACCOUNTS) fakes[id].reset();
  });

  const requests = () => Object.fromEntries(ACCOUNTS.map((id) => [id, fakes[id].requests.length])) as Record<AccountId, number>;
  const since = (before: Record<AccountId, number>) => {
    const now = requests();
    return ACCOUNTS.map((id) => now[id] - before[id]);
  };
  const holderOf = (id: string) => ACCOUNTS.find((account) => fakes[account].stored.has(id))!;
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  /** A stored response made at the account itself, with its own key: the gateway never saw it made. */
  const madeAtTheProvider = async (account: AccountId, input: string) => (await new OpenAI({ apiKey: 'sk-up', baseURL: fakes[account].url, maxRetries: 0 }).responses.create({ model: MODEL, input })).id;
  const continueOn = (client: OpenAI, previous: string, input = 'More') => client.responses.create({ model: MODEL, input, previous_response_id: previous });

  it("reads the table on each continuation of a response it found by asking the pool, until a read the settle time after the first still finds no item; then none for the settle time, and once when it has passed again, on that instance alone", async () => {
    // Prepare: made at account two directly; B finds it by asking (a cold read, then the pool).
    const id = await madeAtTheProvider('two', awayFrom(MODEL, 'More'));
    const reads = { a: countStoredReads(pool.instances.gateways[0]!.table), b: countStoredReads(pool.instances.gateways[1]!.table) };
    const start = time.now;
    const first = await continueOn(clients.b.mine, id);
    const afterProbe = requests();

    // Act: more branches from the same response, on B, as the clock moves.
    const seen: number[] = [];
    for (const [after, who] of [[10_000, 'mine'], [60_000, 'rival'], [10_000 + SETTLE_MS - 1, 'mine'], [10_000 + SETTLE_MS, 'rival'], [10_000 + SETTLE_MS + 1, 'mine'], [3_600_000, 'rival']] as const) {
      time.now = start + after;
      expect((await continueOn(clients.b[who], id)).output_text).toBe('Echo: More (turn 2)');
      seen.push(reads.b.count);
    }
    const onB = since(afterProbe);
    await continueOn(clients.a.rival, id);

    // Assess
    expect(first.output_text).toBe('Echo: More (turn 2)');
    // The last, an hour on, past the settle: one read (a home that landed late would be seen), finding none again.
    expect(seen).toEqual([2, 3, 4, 5, 5, 6]);
    expect(onB).toEqual(ACCOUNTS.map((account) => (account === 'two' ? 6 : 0)));
    expect(reads.a.count).toBe(1);
    for (const count of Object.values(reads)) count.stop();
  });

  it("reads once for a chain that starts from such a response: each turn's own answer is its caller's, known without a read", async () => {
    // Prepare
    let previous = await madeAtTheProvider('three', 'Opening');
    const reads = countStoredReads(pool.instances.gateways[1]!.table);

    // Act
    for (let turn = 2; turn <= 6; turn++) {
      const answer = await continueOn(clients.b.mine, previous, 'Next step');
      expect(answer.output_text).toBe(`Echo: Next step (turn ${turn})`);
      previous = answer.id;
    }
    const rival = await failure(continueOn(clients.b.rival, previous));

    // Assess
    expect(reads.count).toBe(1);
    expect(rival).toMatchObject({ status: 400, code: 'previous_response_not_found' });
    reads.stop();
  });

  it("keeps to its team a response found by asking before its maker's batch reached the table, when the batch lands before the settle time: past it too, and without a read once known", async () => {
    // Prepare: A's batches held while B finds the response by asking, and reads again 60 s later.
    const held = holdBatches(pool.instances.gateways[0]!.table);
    const made = await clients.a.mine.responses.create({ model: MODEL, input: awayFrom(MODEL, 'More') });
    const start = time.now;
    await continueOn(clients.b.mine, made.id);
    time.now = start + 60_000;
    await continueOn(clients.b.mine, made.id);
    held.release();
    await pool.instances.drain();
    expect(await pool.homes.read(made.id)).toMatchObject({ owner: pool.teamId });
    const reads = countStoredReads(pool.instances.gateways[1]!.table);
    const before = requests();

    // Act
    const refused: unknown[] = [];
    for (const after of [60_000 + SETTLE_MS, 60_000 + SETTLE_MS + 1, 3_600_000]) {
      time.now = start + after;
      refused.push(await failure(continueOn(clients.b.rival, made.id)));
    }
    const own = await continueOn(clients.b.mine, made.id);

    // Assess
    for (const err of refused) expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
    expect(own.output_text).toBe('Echo: More (turn 2)');
    expect(since(before)).toEqual(ACCOUNTS.map((account) => (account === holderOf(made.id) ? 1 : 0)));
    expect(reads.count).toBe(1);
    reads.stop();
  });

  it("keeps to its team a response continued elsewhere while its maker's stream still ran, past the settle time and once the stream ended: its home is written when the answer names it", async () => {
    // Prepare: a long answer (about 3 s of stream) for the maker, short ones for continuations; the
    // maker's writes held until B has found the response by asking (the provider keeps it from its start).
    const long = Array.from({ length: 120 }, (_, n) => `word${n}`).join(' ');
    for (const account of ACCOUNTS) fakes[account].reply((req) => ({ kind: 'text', text: (req.body as { previous_response_id?: string }).previous_response_id ? 'Short' : long }));
    const held = holdBatches(pool.instances.gateways[0]!.table);
    const stream = await clients.a.mine.responses.create({ model: MODEL, input: awayFrom(MODEL, 'More'), stream: true });
    const events = stream[Symbol.asyncIterator]();
    let id = '';
    while (!id) {
      const next = await events.next();
      if (next.done) throw new Error('the stream ended before naming its response');
      if (next.value.type === 'response.created') id = next.value.response.id;
    }
    // The rest of the maker's stream is read as it comes, noting when it completed (real time, not the test's clock).
    const completedAt = (async () => {
      for (let next = await events.next(); !next.done; next = await events.next()) if (next.value.type === 'response.completed') return performance.now();
      return undefined;
    })();
    const found = await continueOn(clients.b.mine, id);
    held.release();
    await pool.instances.drain();
    const start = time.now;

    // Act: the rival tries on B as the clock moves past the settle time, the maker's stream still running; then once it ended.
    const outcomes: unknown[] = [];
    for (const after of [1_000, 1_000 + SETTLE_MS, 2_000 + SETTLE_MS]) {
      time.now = start + after;
      outcomes.push(await failure(continueOn(clients.b.rival, id)));
    }
    const triedUntil = performance.now();
    const triedWhileStreaming = triedUntil < ((await completedAt) ?? 0);
    await pool.instances.drain();
    outcomes.push(await failure(continueOn(clients.b.rival, id)));

    // Assess
    expect(found.output_text).toBe('Short (turn 2)');
    expect(triedWhileStreaming).toBe(true);
    for (const err of outcomes) expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found' });
  });

  it('shares one read among continuations of one id that reach a cold instance at once, and refuses the other team among them', async () => {
    // Prepare
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Fan out' });
    await pool.instances.drain();
    await Promise.all([clients.b.mine.models.list(), clients.b.rival.models.list()]);
    const reads = countStoredReads(pool.instances.gateways[1]!.table);
    // The read answers after all five have asked: without sharing it, each would make its own.
    const slow = slowStoredReads(pool.instances.gateways[1]!.table, 1_000);
    const before = requests();

    // Act
    const outcomes = await Promise.all(
      (['mine', 'mine', 'rival', 'mine', 'mine'] as const).map((who, i) =>
        continueOn(clients.b[who], made.id, `Branch ${i}`).then(
          (r) => r.output_text,
          (e: { code?: string }) => e.code,
        ),
      ),
    );

    // Assess
    expect(outcomes).toEqual(['Echo: Branch 0 (turn 2)', 'Echo: Branch 1 (turn 2)', 'previous_response_not_found', 'Echo: Branch 3 (turn 2)', 'Echo: Branch 4 (turn 2)']);
    expect(reads.count).toBe(1);
    expect(since(before)).toEqual(ACCOUNTS.map((account) => (account === holderOf(made.id) ? 4 : 0)));
    reads.stop();
    slow.stop();
  });

  it("lets a continuation whose client leaves go while the table read it shares waits, booked aborted; the read goes on for the others", async () => {
    // Prepare: B has never seen the response; its reads of homes wait until released.
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Wait for me' });
    await pool.instances.drain();
    const leaverKey = await pool.instances.createKey({ name: 'alpha-leaver', teamId: pool.teamId });
    const leaver = new OpenAI({ apiKey: leaverKey.key, baseURL: `${pool.instances.gateways[1]!.url}/v1`, maxRetries: 0, timeout: 10_000 });
    await Promise.all([leaver.models.list(), clients.b.mine.models.list()]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const hold = beforeTableCalls(pool.instances.gateways[1]!.table, 'GetItemCommand', (pk) => pk?.startsWith(STORED_PREFIX) && held);

    // Act: both wait on B's one read; one client leaves while it is held.
    const staying = continueOn(clients.b.mine, made.id, 'Stay');
    const controller = new AbortController();
    const leaving = failure(leaver.responses.create({ model: MODEL, input: 'Leave', previous_response_id: made.id }, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    let bookedWhileHeld: Awaited<ReturnType<Instances['usage']>> = [];
    await eventually(async () => {
      bookedWhileHeld = await pool.instances.usage(leaverKey.id);
      expect(bookedWhileHeld).toHaveLength(1);
    }).finally(() => release());
    const answer = await staying;

    // Assess
    expect(bookedWhileHeld).toMatchObject([{ outcome: 'aborted', status: 499, attempts: 0 }]);
    expect(answer.output_text).toBe('Echo: Stay (turn 2)');
    expect(await leaving).toBeInstanceOf(OpenAI.APIUserAbortError);
    hold.stop();
  });
});

/** Delays the table's reads of stored objects' homes through this client by `ms` until `stop`. */
const slowStoredReads = (table: TableRef, ms: number) =>
  beforeTableCalls(table, 'GetItemCommand', (pk) => pk?.startsWith(STORED_PREFIX) && new Promise((resolve) => setTimeout(resolve, ms)));

/** Holds the table's BatchWriteItem calls (usage records, stored homes) through this client until `release`, as a batch not yet written. */
function holdBatches(table: TableRef): { release(): void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { stop } = beforeTableCalls(table, 'BatchWriteItemCommand', () => held);
  return {
    release() {
      stop();
      release();
    },
  };
}
