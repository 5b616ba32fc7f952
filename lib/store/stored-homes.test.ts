import { BatchWriteItemCommand, type BatchWriteItemCommandInput } from '@aws-sdk/client-dynamodb';
import { startTestTable } from '../../test/dynalite';
import type { TableRef } from './dynamo';
import { DynamoStoredHomes, STORED_HOME_DAYS, storedHomeItem, storedHomeOf, type StoredHome } from './stored-homes';
import { DynamoUsageSink, listUsage } from './usage';
import type { UsageRecord } from '../usage/record';

const MADE = Date.UTC(2026, 10, 27, 8, 0, 0);
const home = (over: Partial<StoredHome> = {}): StoredHome => ({
  ref: { kind: 'response', id: 'resp_1' },
  providerId: 'openai',
  accountId: 'b',
  owner: 'team_a',
  keyId: 'key_1',
  model: 'gpt-4o',
  createdAt: MADE,
  ...over,
});
const usage: UsageRecord = { requestId: 'req-1', at: new Date(MADE), keyId: 'key_1', surface: 'openai-responses', model: 'gpt-4o', stream: false, status: 200, outcome: 'ok', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, latencyMs: 1, attempts: 1 };

describe('storedHomeItem', () => {
  it('keys the home by the object id alone, with its account, owner, maker and a TTL 30 days on', () => {
    expect(storedHomeItem(home())).toEqual({
      PK: { S: 'STORED#resp_1' },
      SK: { S: 'STORED' },
      kind: { S: 'response' },
      provider: { S: 'openai' },
      account: { S: 'b' },
      owner: { S: 'team_a' },
      keyId: { S: 'key_1' },
      model: { S: 'gpt-4o' },
      createdAt: { N: String(MADE) },
      ttl: { N: String(MADE / 1000 + STORED_HOME_DAYS * 86_400) },
    });
  });
});

describe('storedHomeItem TTL', () => {
  const ttlOf = (over: Partial<StoredHome>) => storedHomeItem(home(over)).ttl?.N;
  it.each<[string, Partial<StoredHome>, string | undefined]>([
    ['a response: 30 days, as OpenAI keeps one', {}, String(MADE / 1000 + STORED_HOME_DAYS * 86_400)],
    ['a conversation: none, as OpenAI keeps one until it is deleted', { ref: { kind: 'conversation', id: 'conv_1' } }, undefined],
    ['a response made in a conversation: none, as OpenAI keeps it until deleted, past the conversation too', { conversation: 'conv_1' }, undefined],
  ])('gives %s', (_name, over, expected) => {
    expect(ttlOf(over)).toBe(expected);
  });
});

describe('storedHomeOf', () => {
  const item = storedHomeItem(home({ ref: { kind: 'conversation', id: 'conv_1' } }));
  const without = (field: string) => Object.fromEntries(Object.entries(item).filter(([k]) => k !== field));
  it.each<[string, Parameters<typeof storedHomeOf>[1], number, StoredHome | undefined]>([
    ['an item as written', item, MADE, home({ ref: { kind: 'conversation', id: 'conv_1' } })],
    ['no item', undefined, MADE, undefined],
    ['an item past its TTL that DynamoDB has not deleted yet', { ...item, ttl: { N: String(MADE / 1000 + STORED_HOME_DAYS * 86_400) } }, MADE + (STORED_HOME_DAYS * 86_400 + 1) * 1000, undefined],
    ["a conversation's item (no TTL) long after", item, MADE + 365 * 86_400_000, home({ ref: { kind: 'conversation', id: 'conv_1' } })],
    ['an item without an owner', without('owner'), MADE, undefined],
    ['an item without an account', without('account'), MADE, undefined],
    ['an item of another kind', { ...item, kind: { S: 'file' } }, MADE, undefined],
  ])('reads %s', (_name, stored, now, expected) => {
    expect(storedHomeOf('conv_1', stored, now)).toEqual(expected);
  });
});

describe('stored homes in the table', () => {
  let table: TableRef;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ table, close } = await startTestTable());
  });
  afterAll(async () => close());

  it('reads back a home written through the usage sink, and nothing for an id never written', async () => {
    const sink = new DynamoUsageSink(table, { retentionDays: 30 });

    sink.storeHomes([home(), home({ ref: { kind: 'conversation', id: 'conv_9' }, accountId: 'c' })]);
    sink.record(usage);
    await sink.drain();

    const homes = new DynamoStoredHomes(table, () => MADE);
    expect(await homes.read('resp_1')).toEqual(home());
    expect(await homes.read('conv_9')).toMatchObject({ ref: { kind: 'conversation', id: 'conv_9' }, accountId: 'c' });
    expect(await homes.read('resp_never')).toBeUndefined();
  });

  it('writes a home stored ahead of its usage record flushAfterMs later, with no record to wait for, and a delete of it after that removes it', async () => {
    // Prepare
    const sink = new DynamoUsageSink(table, { retentionDays: 30, flushAfterMs: 20 });
    const homes = new DynamoStoredHomes(table, () => MADE);

    // Act: the answer names its response; the call has not ended (no record), nor is the sink drained.
    sink.storeHomes([home({ ref: { kind: 'response', id: 'resp_early' } })]);
    let landed: unknown;
    for (let tries = 0; tries < 100 && !landed; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      landed = await homes.read('resp_early');
    }
    sink.record({ ...usage, requestId: 'req-deleted-early' }, ['resp_early']);
    await sink.drain();

    // Assess
    expect(landed).toMatchObject({ ref: { id: 'resp_early' }, owner: 'team_a' });
    expect(await homes.read('resp_early')).toBeUndefined();
  });

  it('writes one home per object in a batch, the latest, so two calls on one conversation within a batch lose neither usage record (DynamoDB refuses a batch that names a key twice)', async () => {
    const sink = new DynamoUsageSink(table, { retentionDays: 30, flushAfterMs: 60_000 });
    const conversation = { kind: 'conversation' as const, id: 'conv_twice' };

    sink.storeHomes([home({ ref: conversation, accountId: 'a', keyId: 'key_a' })]);
    sink.record({ ...usage, requestId: 'req-a' });
    sink.storeHomes([home({ ref: conversation, accountId: 'a', keyId: 'key_b' })]);
    sink.record({ ...usage, requestId: 'req-b' });
    await sink.drain();

    expect(await new DynamoStoredHomes(table, () => MADE).read('conv_twice')).toMatchObject({ keyId: 'key_b' });
    expect((await listUsage(table, 'key_1', '2026-11-27')).map((r) => r.requestId)).toEqual(expect.arrayContaining(['req-a', 'req-b']));
  });

  it('removes a home forgotten with a usage record in its batch, replacing a write of it still waiting', async () => {
    const sink = new DynamoUsageSink(table, { retentionDays: 30, flushAfterMs: 60_000 });
    sink.storeHomes([home({ ref: { kind: 'response', id: 'resp_gone' } })]);
    sink.record({ ...usage, requestId: 'req-c' });
    await sink.drain();

    sink.storeHomes([home({ ref: { kind: 'response', id: 'resp_brief' } })]);
    sink.record({ ...usage, requestId: 'req-d' });
    sink.record({ ...usage, requestId: 'req-e' }, ['resp_gone', 'resp_brief']);
    await sink.drain();

    const homes = new DynamoStoredHomes(table, () => MADE);
    expect([await homes.read('resp_gone'), await homes.read('resp_brief')]).toEqual([undefined, undefined]);
    expect((await listUsage(table, 'key_1', '2026-11-27')).map((r) => r.requestId)).toEqual(expect.arrayContaining(['req-c', 'req-d', 'req-e']));
  });

  it('removes what a call deleted in the same BatchWriteItem as its usage record, sending the batch before first if both would not fit in it', async () => {
    const batches: number[] = [];
    const sink = new DynamoUsageSink(table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch: async (input) => (batches.push(Object.values(input.RequestItems!)[0]!.length), {}) });

    for (let i = 0; i < 24; i++) sink.record({ ...usage, requestId: `req-${i}` });
    sink.record({ ...usage, requestId: 'req-24' }, ['resp_deleted']);
    await sink.drain();

    expect(batches).toEqual([24, 2]);
  });

  it('retries a home the table left unprocessed with its batch, and names no request as lost for a home alone', async () => {
    // Prepare: the first BatchWriteItem writes all but the home and hands it back, as DynamoDB does under load.
    const lost: string[][] = [];
    let sends = 0;
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      const [stored, rest] = [writes.filter((w) => w.PutRequest?.Item?.PK?.S?.startsWith('STORED#')), writes.filter((w) => !w.PutRequest?.Item?.PK?.S?.startsWith('STORED#'))];
      const now = sends++ === 0 ? rest : writes;
      if (now.length) await table.client.send(new BatchWriteItemCommand({ RequestItems: { [table.tableName]: now } }));
      return { UnprocessedItems: now === rest && stored.length ? { [table.tableName]: stored } : {} };
    };
    const sink = new DynamoUsageSink(table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch, onError: (_err, ids) => lost.push(ids) });

    // Act
    sink.storeHomes([home({ ref: { kind: 'response', id: 'resp_retried' } })]);
    sink.record({ ...usage, requestId: 'req-retried' });
    await sink.drain();

    // Assess
    expect(sends).toBe(2);
    expect(await new DynamoStoredHomes(table, () => MADE).read('resp_retried')).toMatchObject({ owner: 'team_a' });
    expect((await listUsage(table, 'key_1', '2026-11-27')).map((r) => r.requestId)).toContain('req-retried');
    expect(lost).toEqual([]);
  });

  it('names the homes it could not write apart from the usage records, as kept to be written again (its object is anyone\'s on another instance until one lands)', async () => {
    // Prepare: the table never takes the home.
    const lost: Array<[string[], string[], string[]]> = [];
    const writeBatch = async (input: BatchWriteItemCommandInput) => {
      const writes = Object.values(input.RequestItems!)[0]!;
      const stored = writes.filter((w) => w.PutRequest?.Item?.PK?.S?.startsWith('STORED#'));
      const rest = writes.filter((w) => !stored.includes(w));
      if (rest.length) await table.client.send(new BatchWriteItemCommand({ RequestItems: { [table.tableName]: rest } }));
      return { UnprocessedItems: stored.length ? { [table.tableName]: stored } : {} };
    };
    const sink = new DynamoUsageSink(table, { retentionDays: 30, flushAfterMs: 60_000, writeBatch, keptDelayMs: () => 60_000, onError: (_err, ids, homes, kept) => lost.push([ids, homes, kept]) });

    // Act
    sink.storeHomes([home({ ref: { kind: 'response', id: 'resp_lost' } })]);
    sink.record({ ...usage, requestId: 'req-home-lost' });
    await sink.drain();

    // Assess
    expect(lost).toEqual([[[], [], ['resp_lost']]]);
    expect((await listUsage(table, 'key_1', '2026-11-27')).map((r) => r.requestId)).toContain('req-home-lost');
  });
});
