import { BatchWriteItemCommand, type BatchWriteItemCommandInput, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { countCalls } from '../../test/dynalite';
import { fuzzer } from '../../test/fuzz';
import { reporting, sinkTableForSuite, storedHome, until, usageRecord, type SinkReport } from '../../test/usage-sink';
import { startDynalite } from '../local/dynalite';
import { ensureTable } from './create-table';
import { createTableRef } from './dynamo';
import type { TableRef } from './dynamo';
import { DynamoUsageSink, listUsage, MAX_SPLIT_CALLS } from './usage';

const DAY = '2026-11-27';
const nameOf = (w: WriteRequest) => w.PutRequest?.Item?.requestId?.S ?? (w.PutRequest?.Item?.PK?.S ?? w.DeleteRequest?.Key?.PK?.S ?? '').replace('STORED#', '');


/**
 * The table behind the BatchWriter seam, as DynamoDB answers: a batch holding any write named in
 * `malformed` is refused whole (`ValidationException`); a write named in `unprocessed` is handed back
 * (a copy) the first `times` batches it is in that the table takes; the rest are written to dynalite.
 * `throttled` throws on every call, as the SDK does past its own retries; `thrownOnceFor` throws
 * (the network) on the first call the table takes holding that write.
 */
function tableLike(table: TableRef, how: { malformed?: (name: string) => boolean; unprocessed?: { names: (name: string) => boolean; times: number }; throttled?: boolean; thrownOnceFor?: string; onRefused?: () => void }) {
  const calls: string[][] = [];
  const handedBack = new Map<string, number>();
  const writeBatch = async (input: BatchWriteItemCommandInput) => {
    const writes = Object.values(input.RequestItems!)[0]!;
    calls.push(writes.map(nameOf));
    if (how.throttled) throw Object.assign(new Error('Throughput exceeds the current capacity of your table'), { name: 'ProvisionedThroughputExceededException' });
    if (how.malformed && writes.some((w) => how.malformed!(nameOf(w)))) {
      how.onRefused?.();
      throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    }
    if (how.thrownOnceFor && writes.some((w) => nameOf(w) === how.thrownOnceFor)) {
      how.thrownOnceFor = undefined;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    }
    const back = writes.filter((w) => how.unprocessed?.names(nameOf(w)) && (handedBack.get(nameOf(w)) ?? 0) < how.unprocessed.times);
    for (const w of back) handedBack.set(nameOf(w), (handedBack.get(nameOf(w)) ?? 0) + 1);
    const rest = writes.filter((w) => !back.includes(w));
    if (rest.length) await table.client.send(new BatchWriteItemCommand({ RequestItems: { [table.tableName]: rest } }));
    return { UnprocessedItems: back.length ? { [table.tableName]: structuredClone(back) } : {} };
  };
  return { calls, writeBatch };
}

describe('DynamoUsageSink: a batch refused as malformed loses only the writes refused alone', () => {
  const db = sinkTableForSuite();

  const written = async (keyId: string) => (await listUsage(db.table, keyId, DAY)).map((r) => r.requestId as string);
  const ids = (keyId: string, n: number) => Array.from({ length: n }, (_, i) => `${keyId}-req-${String(i).padStart(2, '0')}`);

  it.each<[string, number[], number]>([
    // One bad write among 25: it is singled out in 5 halvings, two calls each.
    ['one malformed record among 25: only it is lost, the 24 beside it written', [7], 10],
    ['two malformed records in different halves: each lost alone, the 23 others written', [3, 20], 18],
    ['two malformed records side by side: each lost alone', [11, 12], 10],
  ])('%s', async (_name, bad, extraCalls) => {
    // Prepare
    const keyId = `key_mal_${bad.join('_')}`;
    const names = ids(keyId, 25);
    const badNames = bad.map((i) => names[i]!);
    const table$ = tableLike(db.table, { malformed: (n) => badNames.includes(n) });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, onError: reporting(reports) });

    // Act
    for (const n of names) sink.record(usageRecord(keyId, n));
    await sink.drain();

    // Assess
    expect(await written(keyId)).toEqual(names.filter((n) => !badNames.includes(n)));
    expect(reports).toEqual(badNames.map((n) => ({ error: 'Item size has exceeded the maximum allowed size', lostRequests: [n], lostHomes: [], keptHomes: [] })));
    expect(table$.calls).toHaveLength(1 + extraCalls);
    expect(sink.backlog()).toBeUndefined();
  });

  it(`when every write is malformed, spends at most MAX_SPLIT_CALLS (${MAX_SPLIT_CALLS}) calls more and reports each write once`, async () => {
    // Prepare
    const keyId = 'key_mal_all';
    const names = ids(keyId, 25);
    const table$ = tableLike(db.table, { malformed: () => true });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, onError: reporting(reports) });

    // Act
    for (const n of names) sink.record(usageRecord(keyId, n));
    await sink.drain();

    // Assess: the parts still refused when the calls ran out are lost whole, once each.
    expect(MAX_SPLIT_CALLS).toBe(20);
    expect(table$.calls).toHaveLength(1 + MAX_SPLIT_CALLS);
    expect(reports.flatMap((r) => r.lostRequests).sort()).toEqual(names);
    expect(await written(keyId)).toEqual([]);
    expect(sink.backlog()).toBeUndefined();
  });

  it('loses for good a malformed home (named in lostHomes, not kept), and writes the other homes and the records beside it', async () => {
    // Prepare
    const keyId = 'key_mal_home';
    const names = ids(keyId, 22);
    const homeIds = ['resp_mal_ok_1', 'resp_mal_bad', 'resp_mal_ok_2'];
    const table$ = tableLike(db.table, { malformed: (n) => n === 'resp_mal_bad' });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, keptDelayMs: () => 10, onError: reporting(reports) });

    // Act
    sink.storeHomes(homeIds.map((id) => storedHome(id)));
    for (const n of names) sink.record(usageRecord(keyId, n));
    await sink.drain();
    await new Promise((r) => setTimeout(r, 50));
    await sink.drain();

    // Assess: refused alone once, and never sent again.
    expect(reports).toEqual([{ error: 'Item size has exceeded the maximum allowed size', lostRequests: [], lostHomes: ['resp_mal_bad'], keptHomes: [] }]);
    expect(await written(keyId)).toEqual(names);
    expect((await Promise.all(homeIds.map((id) => db.homes.read(id)))).map((h) => h?.ref.id)).toEqual(['resp_mal_ok_1', undefined, 'resp_mal_ok_2']);
    expect(table$.calls.filter((c) => c.includes('resp_mal_bad')).at(-1)).toEqual(['resp_mal_bad']);
    expect(table$.calls.flat().filter((n) => n === 'resp_mal_bad').length).toBe(6);
    expect(sink.backlog()).toBeUndefined();
  });

  it('retries the writes a split part had handed back unprocessed, as any batch\'s, and writes them', async () => {
    // Prepare: one malformed record; two others handed back twice each by the parts that take them.
    const keyId = 'key_mal_unprocessed';
    const names = ids(keyId, 25);
    const table$ = tableLike(db.table, { malformed: (n) => n === names[4], unprocessed: { names: (n) => n === names[5] || n === names[20], times: 2 } });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, onError: reporting(reports) });

    // Act
    for (const n of names) sink.record(usageRecord(keyId, n));
    await sink.drain();

    // Assess: the two handed back went again together, in the batch's retries (not split again), and landed.
    expect(await written(keyId)).toEqual(names.filter((n) => n !== names[4]));
    expect(reports).toEqual([{ error: 'Item size has exceeded the maximum allowed size', lostRequests: [names[4]], lostHomes: [], keptHomes: [] }]);
    expect(table$.calls.slice(-2)).toEqual([
      [names[5], names[20]],
      [names[5], names[20]],
    ]);
    expect(sink.backlog()).toBeUndefined();
  });

  it('keeps a home a split part handed back past the retries, as any batch\'s, and writes it later', async () => {
    // Prepare: one malformed record; a home handed back through every retry of its batch.
    const keyId = 'key_mal_kept';
    const names = ids(keyId, 24);
    const table$ = tableLike(db.table, { malformed: (n) => n === names[0], unprocessed: { names: (n) => n === 'resp_mal_kept', times: 6 } });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 5, backlogLimit: 1, writeBatch: table$.writeBatch, keptDelayMs: () => 20, onError: reporting(reports) });

    // Act: no drain: the kept home goes on a timer.
    sink.storeHomes([storedHome('resp_mal_kept')]);
    for (const n of names) sink.record(usageRecord(keyId, n));
    const landed = await until(async () => (await db.homes.read('resp_mal_kept')) !== undefined);

    // Assess
    expect(landed).toBe(true);
    expect(reports.map((r) => [r.error, r.lostRequests, r.lostHomes, r.keptHomes]).sort()).toEqual(
      [
        ['Item size has exceeded the maximum allowed size', [names[0]], [], []],
        ['unprocessed after retries', [], [], ['resp_mal_kept']],
      ].sort(),
    );
    expect(await written(keyId)).toEqual(names.slice(1));
    expect(sink.backlog()).toBeUndefined();
  });

  it('loses a half that threw otherwise as any batch that threw (its records reported, its home kept and written later), and the bad write alone', async () => {
    // Prepare: one malformed record in the first half; the second half, holding a home, meets a network error once.
    const keyId = 'key_mal_half_thrown';
    const names = ids(keyId, 24);
    const table$ = tableLike(db.table, { malformed: (n) => n === names[2], thrownOnceFor: 'resp_mal_half_thrown' });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 5, backlogLimit: 1, writeBatch: table$.writeBatch, keptDelayMs: () => 20, onError: reporting(reports) });

    // Act
    for (const n of names) sink.record(usageRecord(keyId, n));
    sink.storeHomes([storedHome('resp_mal_half_thrown')]);
    const landed = await until(async () => (await db.homes.read('resp_mal_half_thrown')) !== undefined);

    // Assess: each loss reported with its own error; only the thrown half's home kept.
    expect(landed).toBe(true);
    expect(reports).toEqual([
      { error: 'Item size has exceeded the maximum allowed size', lostRequests: [names[2]], lostHomes: [], keptHomes: [] },
      { error: 'socket hang up', lostRequests: names.slice(13), lostHomes: [], keptHomes: ['resp_mal_half_thrown'] },
    ]);
    expect(await written(keyId)).toEqual(names.slice(0, 13).filter((n) => n !== names[2]));
    expect(sink.backlog()).toBeUndefined();
  });

  it('does not split a batch thrown for throttling: lost whole, its homes kept, as before', async () => {
    // Prepare
    const keyId = 'key_mal_throttled';
    const names = ids(keyId, 24);
    const table$ = tableLike(db.table, { throttled: true });
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, keptDelayMs: () => 60_000, onError: reporting(reports) });

    // Act
    sink.storeHomes([storedHome('resp_mal_throttled')]);
    for (const n of names) sink.record(usageRecord(keyId, n));
    await sink.drain();

    // Assess
    expect(table$.calls).toHaveLength(1);
    expect(reports).toEqual([{ error: 'Throughput exceeds the current capacity of your table', lostRequests: names, lostHomes: [], keptHomes: ['resp_mal_throttled'] }]);
    expect(sink.backlog()).toBeUndefined();
    await sink.close();
  });

  it('keeps the later of two records of one key when the earlier is handed back unprocessed: it is not written after the later', async () => {
    // Prepare: the same call recorded twice (same request id and time), the two in different halves; the table hands the key back once.
    const keyId = 'key_mal_dup_back';
    const names = ids(keyId, 20);
    const table$ = tableLike(db.table, {});
    let handedBack = false;
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      const earlier = writes.find((w) => w.PutRequest?.Item?.outputTokens?.N === '1');
      // The halves part the two; the table then hands the earlier back once (throttled), as it may any write.
      if (earlier && writes.length < 21 && !handedBack) {
        handedBack = true;
        const out = await table$.writeBatch({ RequestItems: { [db.table.tableName]: writes.filter((w) => w !== earlier) } });
        return { UnprocessedItems: { [db.table.tableName]: [...(out.UnprocessedItems?.[db.table.tableName] ?? []), structuredClone(earlier)] } };
      }
      return table$.writeBatch(input);
    };
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch, onError: reporting(reports) });

    // Act
    sink.record(usageRecord(keyId, 'req-twice-back', { outputTokens: 1 }));
    for (const n of names) sink.record(usageRecord(keyId, n));
    sink.record(usageRecord(keyId, 'req-twice-back', { outputTokens: 2 }));
    await sink.drain();

    // Assess: the later record holds; nothing lost.
    const rows = await listUsage(db.table, keyId, DAY);
    expect(reports).toEqual([]);
    expect(rows).toHaveLength(21);
    expect(rows.find((r) => r.requestId === 'req-twice-back')).toMatchObject({ outputTokens: 2 });
    expect(sink.backlog()).toBeUndefined();
  });

  it('over random bad writes, handed-back writes and thrown calls (seeded): each record written or reported lost once, each home written or lost once, the backlog exact, held requests let go', async () => {
    // Prepare: 24 sinks at once, each its own key and draw of records (1 to 60, several batches) and homes.
    const { random } = fuzzer(1127, { names: [], scalars: [] });
    const runs = Array.from({ length: 24 }, (_, run) => {
      const keyId = `key_prop_${run}`;
      const names = ids(keyId, 1 + Math.floor(random() * 60));
      const homeIds = Array.from({ length: Math.floor(random() * 6) }, (_, i) => `resp_prop_${run}_${i}`);
      const all = [...names, ...homeIds];
      const pick = (p: number) => new Set(all.filter(() => random() < p));
      const bad = pick([0.02, 0.1, 0.4][run % 3]!);
      const back = pick(0.15);
      const table$ = tableLike(db.table, { malformed: (n) => bad.has(n), unprocessed: { names: (n) => back.has(n), times: 1 + Math.floor(random() * 12) }, thrownOnceFor: random() < 0.5 ? all[Math.floor(random() * all.length)] : undefined });
      const reports: SinkReport[] = [];
      const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 3, backlogMaxWaitMs: 60_000, keptDelayMs: () => 60_000, writeBatch: table$.writeBatch, onError: reporting(reports) });
      const order = all.map((n) => [random(), n] as const).sort(([a], [b]) => a - b).map(([, n]) => n);
      return { run, keyId, names, homeIds, bad, sink, reports, order };
    });

    // Act: the writes in a random order, a request held behind them; drained, then closed (the kept homes reported lost).
    const held = await Promise.all(
      runs.map(async ({ sink, names, order }) => {
        for (const n of order) if (names.includes(n)) sink.record(usageRecord(n.replace(/-req-\d+$/, ''), n));
        else sink.storeHomes([storedHome(n)]);
        const waiting = sink.backlog();
        await sink.drain();
        await sink.close();
        // Wrapped: an async function's promise would otherwise take on the held one's.
        return { waiting };
      }),
    );

    // Assess
    for (const [i, { run, keyId, names, homeIds, bad, sink, reports }] of runs.entries()) {
      const lostRequests = reports.flatMap((r) => r.lostRequests);
      const lostHomes = reports.flatMap((r) => r.lostHomes);
      const writtenNames = await written(keyId);
      const writtenHomes = (await Promise.all(homeIds.map((id) => db.homes.read(id)))).flatMap((h) => (h ? [h.ref.id] : []));
      const sorted = (xs: string[]) => [...xs].sort();
      expect({ run, records: sorted([...writtenNames, ...lostRequests]) }).toEqual({ run, records: sorted(names) });
      expect({ run, homes: sorted([...writtenHomes, ...lostHomes]) }).toEqual({ run, homes: sorted(homeIds) });
      // The writes refused alone are never written; none written is reported.
      expect({ run, badWritten: [...writtenNames, ...writtenHomes].filter((n) => bad.has(n)) }).toEqual({ run, badWritten: [] });
      const { waiting } = held[i]!;
      const state = waiting ? await Promise.race([waiting.then(() => 'let go'), new Promise((r) => setImmediate(() => r('pending')))]) : 'none';
      expect({ run, held: state }).toEqual({ run, held: waiting ? 'let go' : 'none' });
      // None unwritten: two records leave the backlog under its limit of three, a third reaches it.
      sink.record(usageRecord(keyId, 'after-1'));
      sink.record(usageRecord(keyId, 'after-2'));
      expect({ run, two: sink.backlog() }).toEqual({ run, two: undefined });
      sink.record(usageRecord(keyId, 'after-3'));
      const third = sink.backlog();
      expect({ run, three: third instanceof Promise }).toEqual({ run, three: true });
      await sink.close();
      await third;
    }
  }, 30_000);

  it('still reports every part lost, and leaves no rejection behind, when the reporter throws', async () => {
    // Prepare: two bad writes in different halves make two reports; the reporter throws at the first.
    const keyId = 'key_mal_reporter_throws';
    const names = ids(keyId, 25);
    const badNames = [names[3]!, names[20]!];
    const table$ = tableLike(db.table, { malformed: (n) => badNames.includes(n) });
    const reports: SinkReport[] = [];
    const report = reporting(reports);
    const onError = (...args: Parameters<typeof report>) => {
      report(...args);
      if (reports.length === 1) throw new Error('the logger broke');
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, onError });

    try {
      // Act
      for (const n of names) sink.record(usageRecord(keyId, n));
      await sink.drain();
      await new Promise((r) => setImmediate(r));

      // Assess
      expect(reports.map((r) => r.lostRequests)).toEqual(badNames.map((n) => [n]));
      expect(unhandled).toEqual([]);
      expect(await written(keyId)).toEqual(names.filter((n) => !badNames.includes(n)));
      expect(sink.backlog()).toBeUndefined();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it("does not write, in a split part, a home whose object's delete was queued while its batch was refused", async () => {
    // Prepare: the batch is refused for a record in it; meanwhile the home's object is deleted.
    const keyId = 'key_mal_replaced';
    const names = ids(keyId, 3);
    let sink: DynamoUsageSink | undefined;
    let deleted = false;
    const table$ = tableLike(db.table, {
      malformed: (n) => n === names[1],
      onRefused: () => {
        if (!deleted) sink!.record(usageRecord(keyId, 'req-deleting'), ['resp_mal_replaced']);
        deleted = true;
      },
    });
    const reports: SinkReport[] = [];
    sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: table$.writeBatch, onError: reporting(reports) });

    // Act
    sink.storeHomes([storedHome('resp_mal_replaced')]);
    for (const n of names) sink.record(usageRecord(keyId, n));
    await sink.drain();
    await sink.drain();

    // Assess: the put was sent once (in the refused batch), never in a part; the delete went with its record.
    const withHome = table$.calls.filter((c) => c.includes('resp_mal_replaced'));
    expect(withHome).toEqual([['resp_mal_replaced', ...names], ['req-deleting', 'resp_mal_replaced']]);
    expect(await db.homes.read('resp_mal_replaced')).toBeUndefined();
    expect(reports.map((r) => r.lostRequests)).toEqual([[names[1]]]);
    expect(sink.backlog()).toBeUndefined();
  });
});

describe('DynamoUsageSink on dynalite: writes the table refuses', () => {
  const db = sinkTableForSuite();

  it('loses only the record and the home over 400 KB, and writes the 23 beside them', async () => {
    // Prepare: dynalite, as DynamoDB, refuses a batch holding an item over 400 KB (ValidationException).
    const huge = 'x'.repeat(410_000);
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, onError: reporting(reports) });
    const names = Array.from({ length: 22 }, (_, i) => `req-real-${String(i).padStart(2, '0')}`);

    // Act
    sink.storeHomes([storedHome('resp_real_ok'), storedHome('resp_real_huge', { owner: huge })]);
    names.forEach((n, i) => sink.record(usageRecord('key_real', n, i === 9 ? { model: huge } : {})));
    sink.record(usageRecord('key_real', 'req-real-last'));
    await sink.drain();

    // Assess
    expect((await listUsage(db.table, 'key_real', DAY)).map((r) => r.requestId)).toEqual([...names.filter((_, i) => i !== 9), 'req-real-last']);
    expect(await db.homes.read('resp_real_ok')).toMatchObject({ owner: 'team_a' });
    expect(await db.homes.read('resp_real_huge')).toBeUndefined();
    expect(reports).toEqual([
      { error: 'Item size has exceeded the maximum allowed size', lostRequests: [], lostHomes: ['resp_real_huge'], keptHomes: [] },
      { error: 'Item size has exceeded the maximum allowed size', lostRequests: [names[9]], lostHomes: [], keptHomes: [] },
    ]);
    expect(sink.backlog()).toBeUndefined();
  });

  it('sends again only the later record of a key named twice in one batch, once dynalite refused it whole as duplicates: two calls, nothing lost', async () => {
    // Prepare: the same call recorded twice (same request id and time).
    const calls = countCalls(db.table);
    const reports: SinkReport[] = [];
    const sink = new DynamoUsageSink(db.table, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, onError: reporting(reports) });

    // Act
    for (let i = 0; i < 10; i++) sink.record(usageRecord('key_dup', `req-dup-${i}`));
    sink.record(usageRecord('key_dup', 'req-dup-twice', { outputTokens: 1 }));
    for (let i = 10; i < 20; i++) sink.record(usageRecord('key_dup', `req-dup-${i}`));
    sink.record(usageRecord('key_dup', 'req-dup-twice', { outputTokens: 2 }));
    await sink.drain();

    // Assess: nothing lost or reported; one item for the key, the later record's.
    const rows = await listUsage(db.table, 'key_dup', DAY);
    expect(reports).toEqual([]);
    expect(rows).toHaveLength(21);
    expect(rows.find((r) => r.requestId === 'req-dup-twice')).toMatchObject({ outputTokens: 2 });
    expect(calls.get('BatchWriteItemCommand')).toBe(2);
    expect(sink.backlog()).toBeUndefined();
  });

  it("on the local server's store thread (its own BatchWriteItem): the refusal's name crosses the thread, so only the record over 400 KB is lost", async () => {
    // Prepare: dynalite on its thread, the sink writing through the thread's client, as `npm start` does.
    const dynamo = await startDynalite({ thread: true });
    const local = createTableRef({ tableName: 'aigw', endpoint: dynamo.endpoint });
    try {
      await ensureTable(local);
      const reports: SinkReport[] = [];
      const sink = new DynamoUsageSink(local, { retentionDays: 30, flushAfterMs: 60_000, backlogLimit: 1, writeBatch: dynamo.writeBatch!, onError: reporting(reports) });
      const names = Array.from({ length: 25 }, (_, i) => `req-thread-${String(i).padStart(2, '0')}`);

      // Act
      names.forEach((n, i) => sink.record(usageRecord('key_thread', n, i === 17 ? { model: 'x'.repeat(410_000) } : {})));
      await sink.drain();

      // Assess
      expect((await listUsage(local, 'key_thread', DAY)).map((r) => r.requestId)).toEqual(names.filter((_, i) => i !== 17));
      expect(reports).toEqual([{ error: 'Item size has exceeded the maximum allowed size', lostRequests: [names[17]], lostHomes: [], keptHomes: [] }]);
    } finally {
      local.client.destroy();
      await dynamo.close();
    }
  }, 20_000);
});
