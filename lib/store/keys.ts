import { GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ApiKeyRecord, KeyLimits } from '../access/api-key';
import { listIndexPartition, setAttributes, type TableRef } from './dynamo';
import { limitsItem, limitsOf } from './limits-item';
import { KEY_LIST_PARTITION, TABLE_SHAPE, keyItemKey } from './table';

/** Where gateway keys live. */
export interface KeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  getByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  getById(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; undefined when there is no such key. */
  revoke(id: string, at: Date): Promise<ApiKeyRecord | undefined>;
  /** Replaces the fields given (limits `{}` removes them all, allowedIps null the list, teamId null the team); undefined when there is no such key. */
  update(id: string, changes: KeyChanges): Promise<ApiKeyRecord | undefined>;
}

/** What can change on a key after it was made. */
export type KeyChanges = Partial<Pick<ApiKeyRecord, 'name' | 'models'>> & { limits?: KeyLimits; allowedIps?: string[] | null; teamId?: string | null };

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
  if (r.teamId) item.teamId = { S: r.teamId };
  if (r.expiresAt) item.expiresAt = { S: r.expiresAt };
  if (r.revokedAt) item.revokedAt = { S: r.revokedAt };
  return item;
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
  const teamId = s('teamId');
  if (teamId) record.teamId = teamId;
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
    const items = await listIndexPartition(this.table, KEY_LIST_PARTITION);
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
    if (changes.teamId) values.teamId = { S: changes.teamId };
    const remove = [...(changes.limits && !limits ? ['limits'] : []), ...(changes.allowedIps === null ? ['allowedIps'] : []), ...(changes.teamId === null ? ['teamId'] : [])];
    return this.#set(found, values, remove);
  }

  /** Sets (and removes) attributes of a key's item, unless it has gone meanwhile. */
  async #set(found: ApiKeyRecord, values: Item, remove: string[] = []): Promise<ApiKeyRecord | undefined> {
    if (!Object.keys(values).length && !remove.length) return found;
    const item = await setAttributes(this.table, keyItemKey(found.hash), values, remove);
    return item ? fromItem(item) : undefined;
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
      const { limits, allowedIps, teamId, ...rest } = changes;
      Object.assign(r, rest);
      if (teamId) r.teamId = teamId;
      else if (teamId === null) delete r.teamId;
      if (limits && Object.keys(limits).length) r.limits = { ...limits };
      else if (limits) delete r.limits;
      if (allowedIps) r.allowedIps = [...allowedIps];
      else if (allowedIps === null) delete r.allowedIps;
      return { ...r };
    }
    return undefined;
  }
}
