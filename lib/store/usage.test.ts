import { startTestTable } from '../../test/dynalite';
import type { UsageRecord } from '../usage/record';
import { DynamoUsageSink, listUsage, usageItem } from './usage';
import type { TableRef } from './dynamo';

const record = (i: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  requestId: `req-${i}`,
  at: new Date(Date.UTC(2026, 10, 26, 12, 0, i)),
  keyId: 'key_1',
  surface: 'openai',
  model: 'gpt-4o-mini',
  provider: 'openai',
  account: 'main',
  upstreamModel: 'gpt-4o-mini-2024-07-18',
  stream: true,
  status: 200,
  outcome: 'ok',
  inputTokens: 10 + i,
  outputTokens: 5,
  cacheReadTokens: 2,
  cacheWriteTokens: 0,
  reasoningTokens: 1,
  latencyMs: 12.5,
  ttftMs: 3.25,
  attempts: 1,
  ...over,
});

describe('usageItem', () => {
  it('keys usage by key and UTC day, sorted by time, with a TTL from the retention', () => {
    const item = usageItem(record(1), 90);

    expect(item.PK).toEqual({ S: 'USAGE#key_1#2026-11-26' });
    expect(item.SK).toEqual({ S: '2026-11-26T12:00:01.000Z#req-1' });
    expect(Number(item.ttl!.N)).toBe(Date.UTC(2026, 10, 26, 12, 0, 1) / 1000 + 90 * 86_400);
  });

  it('leaves out what a failed request never had', () => {
    const item = usageItem(record(1, { provider: undefined, account: undefined, upstreamModel: undefined, ttftMs: undefined }), 1);

    expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['provider']));
    expect(item.ttftMs).toBeUndefined();
    expect(item.guardrails).toBeUndefined();
  });

  it('keeps the guardrails\' hits as a list of rule, action and count', () => {
    const item = usageItem(record(1, { guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 2 }] }), 1);

    expect(item.guardrails).toEqual({ L: [{ M: { rule: { S: 'aws-access-key' }, action: { S: 'redact' }, count: { N: '2' } } }] });
  });

  it.each([
    ['a balanced pool names its strategy', { balancedBy: 'least-busy' as const }, { S: 'least-busy' }],
    ['a sticky conversation says so', { balancedBy: 'sticky' as const }, { S: 'sticky' }],
    ['a call no balance ordered carries no attribute at all', {}, undefined],
  ])('keeps what picked the account only when something did: %s', (_name, over, expected) => {
    const item = usageItem(record(1, over), 1);

    expect(item.balancedBy).toEqual(expected);
  });
});

describe('DynamoUsageSink on dynalite', () => {
  let table: TableRef;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ table, close } = await startTestTable());
  });
  afterAll(async () => close());

  it('writes every record, in batches, and drain waits for them', async () => {
    const sink = new DynamoUsageSink(table, { retentionDays: 30 });

    for (let i = 0; i < 60; i++) sink.record(record(i));
    await sink.drain();

    const rows = await listUsage(table, 'key_1', '2026-11-26');
    expect(rows).toHaveLength(60);
    expect(rows[0]).toMatchObject({ requestId: 'req-0', inputTokens: 10, outputTokens: 5, stream: true, ttftMs: 3.25, outcome: 'ok' });
  });

  it('collects records into one write until the batch is full or its time is up', async () => {
    const sends: { input: { RequestItems: Record<string, unknown[]> } }[] = [];
    const spy = { client: { send: async (c: (typeof sends)[number]) => (sends.push(c), {}) }, tableName: 't' } as unknown as TableRef;
    const sink = new DynamoUsageSink(spy, { retentionDays: 1, flushAfterMs: 30 });

    for (let i = 0; i < 27; i++) sink.record(record(i));
    const whenFull = sends.length;
    await new Promise((r) => setTimeout(r, 60));

    expect(whenFull).toBe(1);
    expect(sends.map((s) => s.input.RequestItems.t!.length)).toEqual([25, 2]);
  });

  it('sends waiting records at once on drain', async () => {
    const sends: unknown[] = [];
    const spy = { client: { send: async (c: unknown) => (sends.push(c), {}) }, tableName: 't' } as unknown as TableRef;
    const sink = new DynamoUsageSink(spy, { retentionDays: 1, flushAfterMs: 60_000 });

    sink.record(record(1));
    const before = sends.length;
    await sink.drain();

    expect(before).toBe(0);
    expect(sends).toHaveLength(1);
  });

  it('holds requests back while too many records wait, and lets them go in order, one per record written', async () => {
    // Prepare: a store that answers only when told to, and 100 records in 4 batches against a limit of 50.
    const answers: (() => void)[] = [];
    const slow = { client: { send: () => new Promise((r) => answers.push(() => r({}))) }, tableName: 't' } as unknown as TableRef;
    const sink = new DynamoUsageSink(slow, { retentionDays: 1, backlogLimit: 50 });
    for (let i = 0; i < 49; i++) sink.record(record(i));
    const underLimit = sink.backlog();
    for (let i = 49; i < 100; i++) sink.record(record(i));
    const released: number[] = [];
    const held = Array.from({ length: 30 }, (_, i) => sink.backlog()!.then(() => released.push(i)));
    const settle = () => new Promise((r) => setImmediate(r));

    // Act
    await settle();
    const beforeAnyWrite = released.length;
    answers.shift()!(); // 75 unwritten: room for the 25 oldest
    await settle();
    const afterOneBatch = [...released];
    answers.shift()!(); // 50 unwritten: room for the rest
    await Promise.all(held);

    // Assess
    expect(underLimit).toBeUndefined();
    expect(beforeAnyWrite).toBe(0);
    expect(afterOneBatch).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(released).toEqual(Array.from({ length: 30 }, (_, i) => i));
    answers.forEach((answer) => answer());
    await sink.drain();
    expect(sink.backlog()).toBeUndefined();
  });

  it('lets waiting requests go after a bounded wait when the store does not answer at all', async () => {
    const stuck = { client: { send: () => new Promise(() => {}) }, tableName: 't' } as unknown as TableRef;
    const sink = new DynamoUsageSink(stuck, { retentionDays: 1, backlogLimit: 25, backlogMaxWaitMs: 30 });
    for (let i = 0; i < 25; i++) sink.record(record(i));
    const started = Date.now();

    await sink.backlog();

    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports records it could not write instead of throwing', async () => {
    const failing = { client: { send: async () => Promise.reject(new Error('boom')) }, tableName: 't' } as unknown as TableRef;
    const lost: string[][] = [];
    const sink = new DynamoUsageSink(failing, { retentionDays: 1, onError: (_e, ids) => lost.push(ids) });

    sink.record(record(1));
    sink.record(record(2));
    await sink.drain();

    expect(lost).toEqual([['req-1', 'req-2']]);
  });
});
