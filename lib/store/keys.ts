import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ApiKeyRecord, KeyLimits } from '../access/api-key';
import { queryAll, type TableRef } from './dynamo';
import { KEY_LIST_PARTITION, TABLE_SHAPE, keyItemKey } from './table';

/** Where gateway keys live. */
export interface KeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  getByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  getById(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; undefined when there is no such key. */
  revoke(id: string, at: Date): Promise<ApiKeyRecord | undefined>;
  /** Replaces the fields given (limits `{}` removes them all, allowedIps null the list); undefined when there is no such key. */
  update(id: string, changes: KeyChanges): Promise<ApiKeyRecord | undefined>;
}

/** What can change on a key after it was made. */
export type KeyChanges = Partial<Pick<ApiKeyRecord, 'name' | 'models'>> & { limits?: KeyLimits; allowedIps?: string[] | null };

type Item = Record<string, AttributeValue>;

function toItem(r: ApiKeyRecord): Item {
  const item: Item = {
    ...Object.fromEntries(Object.entries(keyItemKey(r.hash)).map(([k, v]) => [k, { S: v }])),
    [TABLE_SHAPE.index.partitionKey]: { S: KEY_LIST_PARTITION },
    [TABLE_SHAPE.index.sortKey]: { S: r.id },
    id: { S: r.id },
    hash: { S: r.hash },
    name: { S: r.name },
    prefix: { S: r.prefix },
    // An empty list is legal for a key (it may use no model); DynamoDB has no empty sets, so a JSON list.
    models: { S: JSON.stringify(r.models) },
    status: { S: r.status },
    createdAt: { S: r.createdAt },
  };
  if (r.limits && Object.keys(r.limits).length) item.limits = limitsItem(r.limits);
  // A JSON list like models: it keeps the order the entries were given in, duplicates and all.
  if (r.allowedIps) item.allowedIps = { S: JSON.stringify(r.allowedIps) };
  if (r.expiresAt) item.expiresAt = { S: r.expiresAt };
  if (r.revokedAt) item.revokedAt = { S: r.revokedAt };
  return item;
}

function limitsItem(limits: KeyLimits): AttributeValue {
  return { M: Object.fromEntries(Object.entries(limits).map(([name, value]) => [name, { N: String(value) }])) };
}

const LIMIT_NAMES = ['requestsPerMinute', 'tokensPerMinute', 'usdPerDay', 'usdPerMonth'] as const satisfies readonly (keyof KeyLimits)[];

function limitsOf(value: AttributeValue | undefined): KeyLimits | undefined {
  if (!value?.M) return undefined;
  const limits: KeyLimits = {};
  for (const name of LIMIT_NAMES) {
    const n = value.M[name]?.N;
    if (n !== undefined) limits[name] = Number(n);
  }
  return Object.keys(limits).length ? limits : undefined;
}

function fromItem(item: Item): ApiKeyRecord {
  const s = (name: string) => item[name]?.S;
  const record: ApiKeyRecord = {
    id: s('id')!,
    hash: s('hash')!,
    name: s('name')!,
    prefix: s('prefix')!,
    models: JSON.parse(s('models') ?? '[]') as string[],
    status: s('status') === 'revoked' ? 'revoked' : 'active',
    createdAt: s('createdAt')!,
  };
  const limits = limitsOf(item.limits);
  if (limits) record.limits = limits;
  const allowedIps = s('allowedIps');
  if (allowedIps !== undefined) record.allowedIps = JSON.parse(allowedIps) as string[];
  const expiresAt = s('expiresAt');
  const revokedAt = s('revokedAt');
  if (expiresAt) record.expiresAt = expiresAt;
  if (revokedAt) record.revokedAt = revokedAt;
  return record;
}

export class DynamoKeyStore implements KeyStore {
  constructor(readonly table: TableRef) {}

  async put(record: ApiKeyRecord): Promise<void> {
    await this.table.client.send(
      new PutItemCommand({ TableName: this.table.tableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(PK)' }),
    );
  }

  async getByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const key = keyItemKey(hash);
    const out = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async getById(id: string): Promise<ApiKeyRecord | undefined> {
    const { index } = TABLE_SHAPE;
    const out = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk AND #sk = :sk',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': { S: KEY_LIST_PARTITION }, ':sk': { S: id } },
      }),
    );
    const item = out.Items?.[0];
    return item ? fromItem(item) : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { index } = TABLE_SHAPE;
    const items = await queryAll(this.table, {
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': { S: KEY_LIST_PARTITION } },
    });
    return items.map(fromItem).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }


  async revoke(id: string, at: Date): Promise<ApiKeyRecord | undefined> {
    const found = await this.getById(id);
    if (!found || found.status === 'revoked') return found;
    return this.#set(found, { status: { S: 'revoked' }, revokedAt: { S: at.toISOString() } });
  }

  async update(id: string, changes: KeyChanges): Promise<ApiKeyRecord | undefined> {
    const found = await this.getById(id);
    if (!found) return undefined;
    const values: Item = {};
    if (changes.name !== undefined) values.name = { S: changes.name };
    if (changes.models !== undefined) values.models = { S: JSON.stringify(changes.models) };
    const limits = changes.limits && Object.keys(changes.limits).length ? limitsItem(changes.limits) : undefined;
    if (limits) values.limits = limits;
    if (changes.allowedIps) values.allowedIps = { S: JSON.stringify(changes.allowedIps) };
    const remove = [...(changes.limits && !limits ? ['limits'] : []), ...(changes.allowedIps === null ? ['allowedIps'] : [])];
    return this.#set(found, values, remove);
  }

  /** Sets (and removes) attributes of a key's item, unless it has gone meanwhile. */
  async #set(found: ApiKeyRecord, values: Item, remove: string[] = []): Promise<ApiKeyRecord | undefined> {
    const names = [...Object.keys(values), ...remove];
    if (!names.length) return found;
    const sets = Object.keys(values).map((name, i) => `#n${i} = :v${i}`);
    const removes = remove.map((_, i) => `#n${Object.keys(values).length + i}`);
    const key = keyItemKey(found.hash);
    try {
      const out = await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: { PK: { S: key.PK }, SK: { S: key.SK } },
          UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
          ...(sets.length ? { ExpressionAttributeValues: Object.fromEntries(Object.values(values).map((v, i) => [`:v${i}`, v])) } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? fromItem(out.Attributes) : undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }
}

/** The same contract in memory: for unit tests of code that uses a KeyStore. */
export class MemoryKeyStore implements KeyStore {
  readonly #byHash = new Map<string, ApiKeyRecord>();

  async put(record: ApiKeyRecord): Promise<void> {
    if (this.#byHash.has(record.hash)) throw new Error('key exists');
    this.#byHash.set(record.hash, { ...record });
  }
  async getByHash(hash: string) {
    const r = this.#byHash.get(hash);
    return r && { ...r };
  }
  async getById(id: string) {
    for (const r of this.#byHash.values()) if (r.id === id) return { ...r };
    return undefined;
  }
  async list() {
    return [...this.#byHash.values()].map((r) => ({ ...r })).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
  async revoke(id: string, at: Date) {
    for (const r of this.#byHash.values()) {
      if (r.id !== id) continue;
      if (r.status !== 'revoked') Object.assign(r, { status: 'revoked', revokedAt: at.toISOString() });
      return { ...r };
    }
    return undefined;
  }
  async update(id: string, changes: KeyChanges) {
    for (const r of this.#byHash.values()) {
      if (r.id !== id) continue;
      const { limits, allowedIps, ...rest } = changes;
      Object.assign(r, rest);
      if (limits && Object.keys(limits).length) r.limits = { ...limits };
      else if (limits) delete r.limits;
      if (allowedIps) r.allowedIps = [...allowedIps];
      else if (allowedIps === null) delete r.allowedIps;
      return { ...r };
    }
    return undefined;
  }
}
