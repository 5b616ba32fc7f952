import { BatchWriteItemCommand, type BatchWriteItemCommandInput, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { reporting, sinkTableForSuite, storedHome, until, usageRecord, type SinkReport } from '../../test/usage-sink';
import { DynamoUsageSink, KEPT_PER_WAKE, keptHomeRetryDelayMs, listUsage, MAX_RETRIES } from './usage';

const usage = (requestId: string) => usageRecord('key_kept', requestId);
const isStored = (w: WriteRequest) => (w.PutRequest?.Item?.PK?.S ?? w.DeleteRequest?.Key?.PK?.S ?? '').startsWith('STORED#');


describe('DynamoUsageSink: stored homes lost with their batch are kept and written again', () => {
  const db = sinkTableForSuite();

  /**
   * The table behind the BatchWriter seam, failing the first `failures` calls in the given way:
   * thrown (the SDK gave up), or every stored home handed back unprocessed (throttled). The records beside a home are written when the failure is the home's alone; those
   * handed back are copies, as DynamoDB's are.
   */
  const failingFirst = (failures: number, how: 'thrown' | 'unprocessed') => {
    const calls: number[] = [];
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      calls.push(writes.length);
      if (calls.length <= failures) {
        if (how === 'thrown') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        const rest = writes.filter((w) => !isStored(w));
        if (rest.length) await db.table.client.send(new BatchWriteItemCommand({ RequestItems: { [db.table.tableName]: rest } }));
        // Copies, as the SDK hands back what it read off the wire.
        return { UnprocessedItems: { [db.table.tableName]: structuredClone(writes.filter(isStored)) } };
      }
      return db.table.client.send(new BatchWriteItemCommand(input));
    };
    return { calls, writeBatch };
  };

  it.each<[string, 'thrown' | 'unprocessed', number, number]>([
    ['each batch thrown (the SDK gave up): the home is written in the fourth batch, the records of the three lost as before', 'thrown', 3, 3],
    ['the home handed back unprocessed through every retry of its batch: written in a later batch, the record beside it at once', 'unprocessed', MAX_RETRIES + 1, 1],
  ])('%s', async (_name, how, failures, lostBatches) => {
    // Prepare
    const table$ = failingFirst(failures, how);
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 5, writeBatch: table$.writeBatch, keptDelayMs: () => 20, onError: reporting(reports) });
    const id = `resp_kept_${how}`;

    // Act: no drain: the kept home goes on a timer, in a batch of its own.
    sink.storeHomes([storedHome(id)]);
    sink.record(usage(`req-kept-${how}`));
    const landed = await until(async () => (await db.homes.read(id)) !== undefined);

    // Assess
    expect(landed).toBe(true);
    expect(await db.homes.read(id)).toMatchObject({ owner: 'team_a', accountId: 'b' });
    expect(reports).toHaveLength(lostBatches);
    for (const report of reports) expect(report).toMatchObject({ lostHomes: [], keptHomes: [id] });
    const recordWritten = (await listUsage(db.table, 'key_kept', '2026-11-27')).some((r) => r.requestId === `req-kept-${how}`);
    expect(recordWritten).toBe(how === 'unprocessed');
    expect(reports[0]!.lostRequests).toEqual(how === 'unprocessed' ? [] : [`req-kept-${how}`]);
  });

  it('sends a kept home when its wake comes, not flushAfterMs later: the wake holds no process open, and neither does what it starts', async () => {
    // Prepare: the home's batch fails once; records would wait a minute for their batch.
    const table$ = failingFirst(1, 'thrown');
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: table$.writeBatch, keptDelayMs: () => 20 });
    const id = 'resp_kept_woken';
    sink.storeHomes([storedHome(id)]);
    await sink.drain();

    // Act: the wake, 20 ms on.
    const landed = await until(async () => (await db.homes.read(id)) !== undefined);

    // Assess: written within the wait, a minute before a batch timer would have sent it.
    expect(landed).toBe(true);
    expect(table$.calls).toEqual([1, 1]);
  });

  it('writes kept homes on drain, due or not, with whatever waits (on Lambda the drain may be the last chance)', async () => {
    // Prepare: the first batch is lost; the kept home would wait a minute.
    const table$ = failingFirst(1, 'thrown');
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: table$.writeBatch, keptDelayMs: () => 60_000, onError: reporting(reports) });
    sink.storeHomes([storedHome('resp_drained')]);
    await sink.drain();
    const keptAfterFirst = await db.homes.read('resp_drained');

    // Act
    sink.record(usage('req-beside-kept'));
    await sink.drain();

    // Assess: one batch, holding the record and the kept home.
    expect(keptAfterFirst).toBeUndefined();
    expect(table$.calls).toEqual([1, 2]);
    expect(await db.homes.read('resp_drained')).toMatchObject({ owner: 'team_a' });
    expect(reports).toEqual([{ error: 'socket hang up', lostRequests: [], lostHomes: [], keptHomes: ['resp_drained'] }]);
  });

  it('keeps at most keptLimit, dropping the oldest with a report naming it as lost for good', async () => {
    // Prepare: three homes lost, each in a batch of its own, against a limit of two.
    const table$ = failingFirst(3, 'thrown');
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: table$.writeBatch, keptLimit: 2, keptDelayMs: () => 60_000, onError: reporting(reports) });

    // Act: each drain tries the kept homes again too, so each sends one more batch that fails.
    sink.storeHomes([storedHome('resp_cap_1')]);
    await sink.drain();
    sink.storeHomes([storedHome('resp_cap_2')]);
    await sink.drain();
    sink.storeHomes([storedHome('resp_cap_3')]);
    await sink.drain();
    await sink.drain();

    // Assess: the third failing batch held all three; the oldest was dropped past the limit.
    expect(table$.calls).toEqual([1, 2, 3, 2]);
    expect(reports.at(-1)).toEqual({ error: 'more than 2 stored homes kept to be written again: the oldest dropped', lostRequests: [], lostHomes: ['resp_cap_1'], keptHomes: [] });
    expect([await db.homes.read('resp_cap_1'), await db.homes.read('resp_cap_2'), await db.homes.read('resp_cap_3')].map((h) => h?.ref.id)).toEqual([undefined, 'resp_cap_2', 'resp_cap_3']);
  });

  it('drops past keptLimit the home first lost longest ago, not the one lost again last', async () => {
    // Prepare: every batch fails. 100 homes lost, then one more; a wake puts the 100 back (at most
    // KEPT_PER_WAKE), and they are lost again after the one, which waits for the next wake.
    const reports: SinkReport[] = [];
    const writeBatch = async () => {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 5, writeBatch, keptLimit: KEPT_PER_WAKE + 1, keptDelayMs: (round) => (round === 1 ? 300 : 60_000), onError: reporting(reports) });
    const ids = Array.from({ length: KEPT_PER_WAKE }, (_, i) => `resp_order_${i}`);
    sink.storeHomes(ids.map((id) => storedHome(id)));
    await until(async () => reports.length === KEPT_PER_WAKE / 25);
    sink.storeHomes([storedHome('resp_order_late')]);
    await until(async () => reports.some((r) => r.keptHomes.includes('resp_order_late')));
    const keptAgain = await until(async () => reports.filter((r) => r.keptHomes.includes(ids[0]!)).length === 2);

    // Act: one more lost, past the limit.
    sink.storeHomes([storedHome('resp_order_over')]);
    await until(async () => reports.some((r) => r.lostHomes.length > 0));

    // Assess
    expect(keptAgain).toBe(true);
    expect(reports.filter((r) => r.lostHomes.length)).toEqual([{ error: `more than ${KEPT_PER_WAKE + 1} stored homes kept to be written again: the oldest dropped`, lostRequests: [], lostHomes: [ids[0]], keptHomes: [] }]);
  });

  it('puts at most KEPT_PER_WAKE kept writes back at once, oldest first, so a recovering table is not sent every batch together', async () => {
    // Prepare: 150 homes lost in six batches (not due for a minute); the table takes writes from then on.
    const table$ = failingFirst(6, 'thrown');
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: table$.writeBatch, keptDelayMs: () => 60_000 });
    const ids = Array.from({ length: 150 }, (_, i) => `resp_wave_${i}`);
    sink.storeHomes(ids.map((id) => storedHome(id)));
    await sink.drain();
    const lost = table$.calls.length;

    // Act
    await sink.drain();
    const firstWave = await Promise.all([ids[0]!, ids[99]!, ids[100]!].map((id) => db.homes.read(id)));
    await sink.drain();

    // Assess: six lost, then four batches (the oldest 100), then the other two.
    expect(KEPT_PER_WAKE).toBe(100);
    expect(lost).toBe(6);
    expect(firstWave.map((h) => h?.ref.id)).toEqual([ids[0], ids[99], undefined]);
    expect(table$.calls).toEqual(Array(12).fill(25));
    expect(await db.homes.read(ids[149]!)).toMatchObject({ owner: 'team_a' });
  });

  it('ends a drain once what it sent has settled, though the table throttles on and more kept writes fall due meanwhile (a Lambda invocation must not run to its timeout)', async () => {
    // Prepare: 1000 homes lost at once (thrown), due again 20 ms after each loss; from then on the table hands every home back unprocessed.
    let mode: 'thrown' | 'unprocessed' | 'ok' = 'thrown';
    const sent: string[][] = [];
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      sent.push(writes.map((w) => w.PutRequest!.Item!.PK!.S!));
      if (mode === 'thrown') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      if (mode === 'unprocessed') return { UnprocessedItems: { [db.table.tableName]: writes } };
      return db.table.client.send(new BatchWriteItemCommand(input));
    };
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch, keptDelayMs: () => 20 });
    const ids = Array.from({ length: 10 * KEPT_PER_WAKE }, (_, i) => `resp_throttled_${i}`);
    sink.storeHomes(ids.map((id) => storedHome(id)));
    await sink.drain();
    mode = 'unprocessed';
    sent.length = 0;

    // Act: one drain (its batches retried for about 1.3 s) against a bound of 4 s.
    let bound: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([sink.drain().then(() => 'drained'), new Promise((r) => (bound = setTimeout(r, 4_000, 'still draining')))]);
    clearTimeout(bound);
    const sentInDrain = new Set(sent.flat());
    mode = 'ok';
    await sink.drain();
    const landed = await until(async () => (await db.homes.read(ids.at(-1)!)) !== undefined);

    // Assess: the drain sent the oldest KEPT_PER_WAKE and ended; the rest were written once the table took them.
    expect(outcome).toBe('drained');
    expect(sentInDrain.size).toBe(KEPT_PER_WAKE);
    expect(landed).toBe(true);
  }, 15_000);

  it("drops a kept home once its object's delete is queued, so a home lost before its delete does not come back after it", async () => {
    // Prepare
    const table$ = failingFirst(1, 'thrown');
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: table$.writeBatch, keptDelayMs: () => 60_000 });
    sink.storeHomes([storedHome('resp_deleted_after')]);
    await sink.drain();

    // Act: the response is deleted through the gateway.
    sink.record(usage('req-delete'), ['resp_deleted_after']);
    await sink.drain();
    await sink.drain();

    // Assess: the delete went alone with its record; the kept home was never sent again.
    expect(table$.calls).toEqual([1, 2]);
    expect(await db.homes.read('resp_deleted_after')).toBeUndefined();
  });

  it("stops retrying in its batch a home whose object's delete was queued meanwhile, and keeps nothing of it", async () => {
    // Prepare: the home's put handed back unprocessed, always; the delete arrives while its batch waits to retry.
    const calls: number[] = [];
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      calls.push(writes.length);
      const [puts, rest] = [writes.filter((w) => isStored(w) && w.PutRequest), writes.filter((w) => !isStored(w) || !w.PutRequest)];
      if (rest.length) await db.table.client.send(new BatchWriteItemCommand({ RequestItems: { [db.table.tableName]: rest } }));
      return { UnprocessedItems: puts.length ? { [db.table.tableName]: puts } : {} };
    };
    const table$ = { calls, writeBatch };
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: table$.writeBatch, keptDelayMs: () => 10, onError: reporting(reports) });
    sink.storeHomes([storedHome('resp_replaced')]);
    const first = sink.drain();
    await until(async () => table$.calls.length === 1);

    // Act
    sink.record(usage('req-replacing'), ['resp_replaced']);
    await Promise.all([first, sink.drain()]);
    await new Promise((r) => setTimeout(r, 50));

    // Assess: one try of the home, then its delete's batch (record and delete); nothing kept or reported.
    expect(table$.calls).toEqual([1, 2]);
    expect(reports).toEqual([]);
    expect(await db.homes.read('resp_replaced')).toBeUndefined();
  });

  it('on close, tries the kept homes once more, then names those still unwritten as lost and writes nothing after', async () => {
    // Prepare: the table refuses everything from here on; a home is kept, due again in 30 ms.
    const calls: number[] = [];
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      calls.push(Object.values(input.RequestItems!)[0]!.length);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch, keptDelayMs: () => 30, onError: reporting(reports) });
    sink.storeHomes([storedHome('resp_closed')]);
    await sink.drain();

    // Act: the local server stops (its store goes with it).
    await sink.close();
    const callsAtClose = calls.length;
    await new Promise((r) => setTimeout(r, 150));

    // Assess: lost once, tried again by the close, then reported lost for good; no wake after.
    expect(callsAtClose).toBe(2);
    expect(calls).toHaveLength(2);
    expect(reports.map((r) => [r.lostHomes, r.keptHomes])).toEqual([
      [[], ['resp_closed']],
      [[], ['resp_closed']],
      [['resp_closed'], []],
    ]);
    expect(reports.at(-1)!.error).toBe('closed with stored homes kept unwritten');
  });

  it('counts kept writes in the backlog only while queued or in flight: they hold no request back, and leave no count behind', async () => {
    // Prepare: two homes lost twice, then written; a backlog of two.
    const table$ = failingFirst(2, 'thrown');
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 2, backlogMaxWaitMs: 50, writeBatch: table$.writeBatch, keptDelayMs: () => 60_000 });
    sink.storeHomes([storedHome('resp_backlog_1'), storedHome('resp_backlog_2')]);
    await sink.drain();
    const whileKept = sink.backlog();
    await sink.drain();
    await sink.drain();

    // Act
    sink.record(usage('req-backlog-1'));
    const underLimit = sink.backlog();
    sink.record(usage('req-backlog-2'));
    const atLimit = sink.backlog();
    await sink.drain();

    // Assess
    expect(table$.calls).toEqual([2, 2, 2, 2]);
    expect([whileKept, underLimit, atLimit === undefined]).toEqual([undefined, undefined, false]);
    expect(await db.homes.read('resp_backlog_2')).toMatchObject({ owner: 'team_a' });
  });

  it('keeps nothing of a home refused as malformed: written again it would be refused again (the record beside it is written, the batch split)', async () => {
    // Prepare: the table refuses any batch holding the home, as DynamoDB one holding an item over 400 KB.
    const calls: number[] = [];
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      calls.push(writes.length);
      if (writes.some(isStored)) throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
      return db.table.client.send(new BatchWriteItemCommand(input));
    };
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch, keptDelayMs: () => 10, onError: reporting(reports) });

    // Act
    sink.storeHomes([storedHome('resp_malformed')]);
    sink.record(usage('req-malformed'));
    await sink.drain();
    await new Promise((r) => setTimeout(r, 30));
    await sink.drain();

    // Assess: the batch, then its halves; nothing after.
    expect(calls).toEqual([2, 1, 1]);
    expect(reports).toEqual([{ error: 'Item size has exceeded the maximum allowed size', lostRequests: [], lostHomes: ['resp_malformed'], keptHomes: [] }]);
    expect((await listUsage(db.table, 'key_kept', '2026-11-27')).some((r) => r.requestId === 'req-malformed')).toBe(true);
  });
});

describe('keptHomeRetryDelayMs', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [5, 16_000],
    [6, 32_000],
    [7, 60_000],
    [40, 60_000],
  ])('waits before round %i: %i ms', (round, ms) => {
    expect(keptHomeRetryDelayMs(round)).toBe(ms);
  });
});
