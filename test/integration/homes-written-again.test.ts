import type { BatchWriteItemCommandOutput, WriteRequest } from '@aws-sdk/client-dynamodb';
import OpenAI from 'openai';
import type { TableRef } from '../../lib/store/dynamo';
import { MAX_RETRIES } from '../../lib/store/usage';
import { countStoredReads, STORED_PREFIX } from '../dynalite';
import { eventually } from './harness';
import { POOL_ACCOUNTS as ACCOUNTS, openingAwayFrom as awayFrom, storedPoolForSuite } from './stored-pool';

const MODEL = 'gpt-4o-mini';
const SETTLE_S = 300;
const SETTLE_MS = SETTLE_S * 1000;

/**
 * A stored response's home that its maker's batch lost (the table throttled it past the batch's
 * retries) is kept by the maker's usage sink and written again in a later batch; an instance that
 * settled the response as anyone's meanwhile reads it once more when its settle ends, and from then
 * refuses another team's key. Three fake OpenAI accounts behind two instances on one dynalite, on one
 * clock the test moves; the failure injected at the BatchWriter seam (the maker's table client),
 * where DynamoDB's own answer for a throttled write is the item handed back unprocessed.
 */
describe('stored homes lost with their batch, written again', () => {
  const pool = storedPoolForSuite({ tableName: 'homes-again', model: MODEL, settleS: SETTLE_S });
  const { fakes, clients, time } = pool;

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  const continueOn = (client: OpenAI, previous: string, input = 'More') => client.responses.create({ model: MODEL, input, previous_response_id: previous });

  it("writes the lost home again once the table takes it; the instance that settled the response as anyone's sees its owner when its settle ends, and refuses another team from then", async () => {
    // Prepare: A's table throttles every home write; A makes a response; B finds it by asking the
    // pool and settles it as anyone's (a read at once, one the settle time later, both finding no item).
    const throttled = throttleHomeWrites(pool.instances.gateways[0]!.table);
    const made = await clients.a.mine.responses.create({ model: MODEL, input: awayFrom(MODEL, 'More') });
    // The maker refuses another team from memory while the table has no home, asking no account.
    const askedBefore = ACCOUNTS.map((id) => fakes[id].requests.length);
    const onMaker = await failure(continueOn(clients.a.rival, made.id));
    const askedByMaker = ACCOUNTS.map((id, i) => fakes[id].requests.length - askedBefore[i]!);
    const start = time.now;
    const beforeSettled: string[] = [];
    for (const after of [0, 1_000, 1_000 + SETTLE_MS]) {
      time.now = start + after;
      beforeSettled.push((await continueOn(clients.b.rival, made.id)).output_text);
    }
    // The maker's batch has lost the home past its retries: kept, to be written again a second later.
    await eventually(() => expect(throttled.refused).toBeGreaterThanOrEqual(MAX_RETRIES + 1), 10_000);
    const lostMeanwhile = await pool.homes.read(made.id);

    // Act: the table takes writes again; A's sink writes the kept home on its own (no drain), within its backoff.
    throttled.stop();
    await eventually(async () => expect(await pool.homes.read(made.id)).toMatchObject({ owner: pool.teamId }), 15_000);
    const reads = countStoredReads(pool.instances.gateways[1]!.table);
    time.now = start + 1_000 + SETTLE_MS + 60_000;
    const withinSettle = (await continueOn(clients.b.rival, made.id)).output_text;
    const readsWithinSettle = reads.count;
    time.now = start + 1_000 + 2 * SETTLE_MS;
    const refused = await failure(continueOn(clients.b.rival, made.id));
    const refusedLater = await failure(continueOn(clients.b.rival, made.id));
    const own = await continueOn(clients.b.mine, made.id);
    const retrieved = await failure(clients.b.rival.responses.retrieve(made.id));

    // Assess
    expect(onMaker).toMatchObject({ status: 400, code: 'previous_response_not_found' });
    expect(askedByMaker).toEqual([0, 0, 0]);
    expect(beforeSettled).toEqual(['Echo: More (turn 2)', 'Echo: More (turn 2)', 'Echo: More (turn 2)']);
    expect(lostMeanwhile).toBeUndefined();
    // The window left: settled, B answers from memory, with no read, until its settle ends.
    expect([withinSettle, readsWithinSettle]).toEqual(['Echo: More (turn 2)', 0]);
    expect(refused).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
    expect(refusedLater).toMatchObject({ status: 400, code: 'previous_response_not_found' });
    expect(own.output_text).toBe('Echo: More (turn 2)');
    expect(retrieved).toMatchObject({ status: 404 });
    expect(reads.count).toBe(2);
    reads.stop();
  });

  it('keeps the response to its team on every instance when the table takes the kept home before another settles it', async () => {
    // Prepare: the maker's first batch loses the home; the table recovers; a drain (as Lambda's after each invocation) writes it.
    const throttled = throttleHomeWrites(pool.instances.gateways[0]!.table);
    const made = await clients.a.mine.responses.create({ model: MODEL, input: awayFrom(MODEL, 'More') });
    await eventually(() => expect(throttled.refused).toBeGreaterThanOrEqual(MAX_RETRIES + 1), 10_000);
    throttled.stop();
    await pool.instances.drain();

    // Act
    const onB = await failure(continueOn(clients.b.rival, made.id));
    const onA = await failure(continueOn(clients.a.rival, made.id));

    // Assess
    expect(await pool.homes.read(made.id)).toMatchObject({ owner: pool.teamId });
    for (const err of [onB, onA]) expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found' });
  });
});

/**
 * Until `stop`, the table's BatchWriteItem calls through this client write everything but the
 * stored objects' homes, which are handed back unprocessed, as DynamoDB does when it throttles a
 * write (copies, as the SDK reads them off the wire); `refused` counts the calls that handed one back (a batch loses its homes after `MAX_RETRIES + 1`).
 */
function throttleHomeWrites(table: TableRef): { readonly refused: number; stop(): void } {
  let refused = 0;
  const name = `throttle-homes-${Math.random()}`;
  const isHome = (w: WriteRequest) => (w.PutRequest?.Item?.PK?.S ?? w.DeleteRequest?.Key?.PK?.S ?? '').startsWith(STORED_PREFIX);
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand') return next(args);
      const input = args.input as { RequestItems: Record<string, WriteRequest[]> };
      const writes = input.RequestItems[table.tableName] ?? [];
      const homes = writes.filter(isHome);
      if (!homes.length) return next(args);
      refused++;
      const rest = writes.filter((w) => !isHome(w));
      const out = rest.length ? await next({ ...args, input: { ...input, RequestItems: { [table.tableName]: rest } } }) : { output: { $metadata: {} } as BatchWriteItemCommandOutput, response: {} };
      const output = out.output as BatchWriteItemCommandOutput;
      return { ...out, output: { ...output, UnprocessedItems: { [table.tableName]: [...(output.UnprocessedItems?.[table.tableName] ?? []), ...structuredClone(homes)] } } };
    },
    { step: 'initialize', name },
  );
  return {
    get refused() {
      return refused;
    },
    stop: () => void table.client.middlewareStack.remove(name),
  };
}
