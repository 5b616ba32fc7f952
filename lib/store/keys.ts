import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { rotated, type ApiKeyRecord, type KeyLimits, type Rotation } from '../access/api-key';
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
  /** Replaces the fields given (limits or endUserLimits `{}` removes them all, endUserRequired false the requirement, allowedIps null the list, teamId null the team, audit false the flag, guardrails "on" the key's own choice, params null its policy); undefined when there is no such key. */
  update(id: string, changes: KeyChanges): Promise<ApiKeyRecord | undefined>;
  /**
   * Gives the key (as last read, `current`) a new secret: the record becomes `rotated(current,
   * rotation)` under the new hash, and the old hash, while its grace lasts, points to it. Undefined
   * when the key was revoked, rotated or removed meanwhile.
   */
  rotate(current: ApiKeyRecord, rotation: Rotation): Promise<ApiKeyRecord | undefined>;
}

/** What can change on a key after it was made. */
export type KeyChanges = Partial<Pick<ApiKeyRecord, 'name' | 'models'>> & { limits?: KeyLimits; endUserLimits?: KeyLimits; endUserRequired?: boolean; allowedIps?: string[] | null; teamId?: string | null; audit?: boolean; guardrails?: string; params?: string | null };

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
  if (r.endUserLimits && Object.keys(r.endUserLimits).length) item.endUserLimits = limitsItem(r.endUserLimits);
  if (r.endUserRequired) item.endUserRequired = { BOOL: true };
  // A JSON list like models: it keeps the order the entries were given in, duplicates and all.
  if (r.allowedIps) item.allowedIps = { S: JSON.stringify(r.allowedIps) };
  if (r.teamId) item.teamId = { S: r.teamId };
  if (r.audit) item.audit = { BOOL: true };
  if (r.guardrails) item.guardrails = { S: r.guardrails };
  if (r.params) item.params = { S: r.params };
  if (r.expiresAt) item.expiresAt = { S: r.expiresAt };
  if (r.revokedAt) item.revokedAt = { S: r.revokedAt };
  if (r.rotatedAt) item.rotatedAt = { S: r.rotatedAt };
  if (r.previousHash && r.previousExpiresAt) {
    item.previousHash = { S: r.previousHash };
    item.previousExpiresAt = { S: r.previousExpiresAt };
  }
  return item;
}

/** What an update may change on a key's record (`KeyChanges`), as item attributes. */
const CHANGEABLE = ['name', 'models', 'limits', 'endUserLimits', 'endUserRequired', 'allowedIps', 'teamId', 'audit', 'guardrails', 'params'] as const;

/** The changeable attributes that differ from `from` in `to`: set to `to`'s value, or removed where `to` has none. */
function changedAttributes(from: Item, to: Item): { values: Item; remove: string[] } {
  const values: Item = {};
  const remove: string[] = [];
  for (const name of CHANGEABLE) {
    if (isDeepStrictEqual(from[name], to[name])) continue;
    if (to[name] === undefined) remove.push(name);
    else values[name] = to[name];
  }
  return { values, remove };
}

/** The attribute that makes a `KEY#<hash>` item a pointer to the record under another hash, not a record. */
const SUCCESSOR = 'successorHash';
/** Pointers outlive their grace by a day before TTL removes them: the record, not the pointer, decides whether the old secret works. */
const POINTER_KEPT_MS = 86_400_000;

/**
 * What stays under a rotated-away secret's hash during its grace: a pointer to the record, not a
 * copy of it, so that an update or a revoke changes what both secrets see with one write.
 */
function pointerItem(oldHash: string, next: ApiKeyRecord): Item {
  const key = keyItemKey(oldHash);
  const until = Date.parse(next.previousExpiresAt!) + POINTER_KEPT_MS;
  return { PK: { S: key.PK }, SK: { S: key.SK }, [SUCCESSOR]: { S: next.hash }, [TABLE_SHAPE.ttlAttribute]: { N: String(Math.ceil(until / 1000)) } };
}

/**
 * The record that stands for each key id. While a rotation is being written, a key's record is
 * briefly under both hashes; the one rotated last is the key.
 */
function currentRecords(records: readonly ApiKeyRecord[]): ApiKeyRecord[] {
  const byId = new Map<string, ApiKeyRecord>();
  for (const r of records) {
    const seen = byId.get(r.id);
    if (!seen || (r.rotatedAt ?? '') > (seen.rotatedAt ?? '')) byId.set(r.id, r);
  }
  return [...byId.values()];
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
  const endUserLimits = limitsOf(item.endUserLimits);
  if (endUserLimits) record.endUserLimits = endUserLimits;
  if (item.endUserRequired?.BOOL) record.endUserRequired = true;
  const allowedIps = s('allowedIps');
  if (allowedIps !== undefined) record.allowedIps = JSON.parse(allowedIps) as string[];
  const teamId = s('teamId');
  if (teamId) record.teamId = teamId;
  if (item.audit?.BOOL) record.audit = true;
  const guardrails = s('guardrails');
  if (guardrails) record.guardrails = guardrails;
  const params = s('params');
  if (params) record.params = params;
  const expiresAt = s('expiresAt');
  const revokedAt = s('revokedAt');
  if (expiresAt) record.expiresAt = expiresAt;
  if (revokedAt) record.revokedAt = revokedAt;
  const rotatedAt = s('rotatedAt');
  if (rotatedAt) record.rotatedAt = rotatedAt;
  const previousHash = s('previousHash');
  const previousExpiresAt = s('previousExpiresAt');
  if (previousHash && previousExpiresAt) Object.assign(record, { previousHash, previousExpiresAt });
  return record;
}

export class DynamoKeyStore implements KeyStore {
  constructor(readonly table: TableRef) {}

  async put(record: ApiKeyRecord): Promise<void> {
    await this.table.client.send(
      new PutItemCommand({ TableName: this.table.tableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(PK)' }),
    );
  }

  /** One read; a rotated-away secret during its grace, two (its pointer, then the record), and only on a cache miss. */
  async getByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.#get(hash);
    const successor = item?.[SUCCESSOR]?.S;
    if (!successor) return item && fromItem(item);
    // One step only: a pointer to a pointer is a secret rotated away twice, which no longer works.
    const record = await this.#get(successor);
    return record && !record[SUCCESSOR] ? fromItem(record) : undefined;
  }

  async #get(hash: string): Promise<Item | undefined> {
    const key = keyItemKey(hash);
    const out = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }),
    );
    return out.Item;
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
    return currentRecords((out.Items ?? []).map(fromItem))[0];
  }

  async list(): Promise<ApiKeyRecord[]> {
    const items = await listIndexPartition(this.table, KEY_LIST_PARTITION);
    return currentRecords(items.map(fromItem)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
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
    const endUserLimits = changes.endUserLimits && Object.keys(changes.endUserLimits).length ? limitsItem(changes.endUserLimits) : undefined;
    if (endUserLimits) values.endUserLimits = endUserLimits;
    if (changes.endUserRequired) values.endUserRequired = { BOOL: true };
    if (changes.allowedIps) values.allowedIps = { S: JSON.stringify(changes.allowedIps) };
    if (changes.teamId) values.teamId = { S: changes.teamId };
    if (changes.audit) values.audit = { BOOL: true };
    if (changes.guardrails && changes.guardrails !== 'on') values.guardrails = { S: changes.guardrails };
    if (changes.params) values.params = { S: changes.params };
    const remove = [
      ...(changes.limits && !limits ? ['limits'] : []),
      ...(changes.endUserLimits && !endUserLimits ? ['endUserLimits'] : []),
      ...(changes.endUserRequired === false ? ['endUserRequired'] : []),
      ...(changes.allowedIps === null ? ['allowedIps'] : []),
      ...(changes.teamId === null ? ['teamId'] : []),
      ...(changes.audit === false ? ['audit'] : []),
      ...(changes.guardrails === 'on' ? ['guardrails'] : []),
      ...(changes.params === null ? ['params'] : []),
    ];
    return this.#set(found, values, remove);
  }

  /**
   * Three writes, as DynamoDB without transactions (and dynalite) allows, ordered so that the key
   * works at every moment: the record under the new hash first; then the old item becomes a
   * pointer (or goes, with no grace), on condition that it is still this key's active record,
   * which it returns as it was, so an update that landed since `current` was read is carried over;
   * last the pointer of a secret rotated away before is removed.
   */
  async rotate(current: ApiKeyRecord, rotation: Rotation): Promise<ApiKeyRecord | undefined> {
    const next = rotated(current, rotation);
    await this.put(next);
    const old = keyItemKey(current.hash);
    const condition = {
      TableName: this.table.tableName,
      ConditionExpression: '#hash = :hash AND #status = :active',
      ExpressionAttributeNames: { '#hash': 'hash', '#status': 'status' },
      ExpressionAttributeValues: { ':hash': { S: current.hash }, ':active': { S: 'active' } },
      ReturnValues: 'ALL_OLD' as const,
    };
    let was: Item | undefined;
    try {
      const client = this.table.client;
      was = next.previousHash
        ? (await client.send(new PutItemCommand({ ...condition, Item: pointerItem(current.hash, next) }))).Attributes
        : (await client.send(new DeleteItemCommand({ ...condition, Key: { PK: { S: old.PK }, SK: { S: old.SK } } }))).Attributes;
    } catch (err) {
      const newKey = keyItemKey(next.hash);
      await this.table.client.send(new DeleteItemCommand({ TableName: this.table.tableName, Key: { PK: { S: newKey.PK }, SK: { S: newKey.SK } } }));
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
    let result: ApiKeyRecord | undefined = next;
    const before = was && fromItem(was);
    if (before && !isDeepStrictEqual(before, current)) {
      // An update landed on the old record after `current` was read: carry over what it changed,
      // and only that, so a revoke or an update landing on the new record meanwhile is kept.
      const { values, remove } = changedAttributes(toItem(current), toItem(before));
      result = await this.#set(next, values, remove);
    }
    if (current.previousHash) await this.#dropPointer(current.previousHash);
    return result;
  }

  async #dropPointer(hash: string): Promise<void> {
    const key = keyItemKey(hash);
    try {
      await this.table.client.send(
        new DeleteItemCommand({
          TableName: this.table.tableName,
          Key: { PK: { S: key.PK }, SK: { S: key.SK } },
          // Never a record: only what is still a pointer.
          ConditionExpression: 'attribute_exists(#s)',
          ExpressionAttributeNames: { '#s': SUCCESSOR },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /**
   * Sets (and removes) attributes of a key's record, unless it has gone meanwhile. Only a record
   * (an item with a `hash`), never a pointer: a rotation that moved the record since `found` was
   * read is followed to where the record is now, so a revoke cannot land on the pointer and leave
   * the key working.
   */
  async #set(found: ApiKeyRecord, values: Item, remove: string[] = []): Promise<ApiKeyRecord | undefined> {
    if (!Object.keys(values).length && !remove.length) return found;
    let hash = found.hash;
    for (let tries = 0; tries < 3; tries++) {
      const item = await setAttributes(this.table, keyItemKey(hash), values, remove, 'hash');
      if (item) return fromItem(item);
      const moved = (await this.#get(hash))?.[SUCCESSOR]?.S ?? (await this.getById(found.id))?.hash;
      if (!moved || moved === hash) return undefined;
      hash = moved;
    }
    return undefined;
  }
}

/** The same contract in memory: for unit tests of code that uses a KeyStore. */
export class MemoryKeyStore implements KeyStore {
  readonly #byHash = new Map<string, ApiKeyRecord>();
  /** A rotated-away secret's hash → the hash its record is under now, as the table's pointer items. */
  readonly #successors = new Map<string, string>();

  async put(record: ApiKeyRecord): Promise<void> {
    if (this.#byHash.has(record.hash)) throw new Error('key exists');
    this.#byHash.set(record.hash, { ...record });
  }
  async getByHash(hash: string) {
    const successor = this.#successors.get(hash);
    const r = this.#byHash.get(successor ?? hash);
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
      const { limits, endUserLimits, endUserRequired, allowedIps, teamId, audit, guardrails, params, ...rest } = changes;
      Object.assign(r, rest);
      if (endUserLimits && Object.keys(endUserLimits).length) r.endUserLimits = { ...endUserLimits };
      else if (endUserLimits) delete r.endUserLimits;
      if (endUserRequired) r.endUserRequired = true;
      else if (endUserRequired === false) delete r.endUserRequired;
      if (audit) r.audit = true;
      else if (audit === false) delete r.audit;
      if (guardrails === 'on') delete r.guardrails;
      else if (guardrails) r.guardrails = guardrails;
      if (params) r.params = params;
      else if (params === null) delete r.params;
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
  async rotate(current: ApiKeyRecord, rotation: Rotation) {
    const r = this.#byHash.get(current.hash);
    if (!r || r.status !== 'active') return undefined;
    const next = rotated(r, rotation);
    this.#byHash.delete(r.hash);
    this.#byHash.set(next.hash, next);
    if (r.previousHash) this.#successors.delete(r.previousHash);
    if (next.previousHash) this.#successors.set(r.hash, next.hash);
    return { ...next };
  }
}
