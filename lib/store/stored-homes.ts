import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { MAX_STORED_ID_CHARS, type Home, type StoredRef } from '../routing/response-homes';
import type { TableRef } from './dynamo';
import { TABLE_SHAPE, storedHomeKey } from './table';

/** How long a stored object's home is kept: OpenAI keeps a stored response 30 days. */
export const STORED_HOME_DAYS = 30;

/** A stored Responses object's home as the table keeps it: the account, the owner, and who made it when (its kind is its `ref`'s). */
export interface StoredHome extends Required<Omit<Home, 'kind'>> {
  ref: StoredRef;
  /** The key whose call made it (or, for a conversation, last built on it): for the operator, not the owner check. */
  keyId: string;
  /** The model name the client asked for. */
  model: string;
  /** Epoch ms. */
  createdAt: number;
  /**
   * For a response made in a conversation, the conversation's id: such a response is kept by the
   * provider until deleted (OpenAI: "Conversation objects and items in them are not subject to
   * the 30 day TTL"), and outlives the conversation's delete ("Items in the conversation will not
   * be deleted"), so its home is kept until the response is deleted through the gateway; the id
   * lets an operator find what a deleted conversation left. A conversation is always kept until deleted.
   */
  conversation?: string;
}

/**
 * Reads stored objects' homes from the table, one id at a time. They are written and removed with
 * usage records (`UsageSink.record`, `DynamoUsageSink`), in their batch: the gateway's role needs
 * no DeleteItem for them.
 */
export interface StoredHomeStore {
  /** The object's home, if the table has one. */
  read(id: string): Promise<StoredHome | undefined>;
}

const n = (v: number): AttributeValue => ({ N: String(v) });

/**
 * The table item of a stored object's home (`storedHomeKey`), its TTL `STORED_HOME_DAYS` after it
 * was made, as the provider keeps a response; none for a conversation and what is made in one
 * (which names the conversation),
 * which the provider keeps until deleted: a home gone before its object would leave the object to
 * whoever names it first (a conversation is claimed by its first caller, a response with no home
 * is anyone's).
 *
 * @example
 * storedHomeItem({ ref: { kind: 'response', id: 'resp_1' }, providerId: 'openai', accountId: 'b', owner: 'team_a', keyId: 'key_1', model: 'gpt-4o', createdAt: 0 })
 * // { PK: { S: 'STORED#resp_1' }, SK: { S: 'STORED' }, kind: { S: 'response' }, provider: { S: 'openai' }, …, ttl: { N: '2592000' } }
 */
export function storedHomeItem(home: StoredHome): Record<string, AttributeValue> {
  const key = storedHomeKey(home.ref.id);
  return {
    PK: { S: key.PK },
    SK: { S: key.SK },
    kind: { S: home.ref.kind },
    provider: { S: home.providerId },
    account: { S: home.accountId },
    owner: { S: home.owner },
    keyId: { S: home.keyId },
    model: { S: home.model },
    createdAt: n(home.createdAt),
    ...(home.conversation === undefined ? {} : { conversation: { S: home.conversation } }),
    ...(home.ref.kind === 'conversation' || home.conversation !== undefined ? {} : { [TABLE_SHAPE.ttlAttribute]: n(Math.floor(home.createdAt / 1000) + STORED_HOME_DAYS * 86_400) }),
  };
}

/**
 * A stored object's home read back from its item; undefined for an item that is not one (a field
 * missing), or one past its TTL that DynamoDB has not deleted yet (it may be days late).
 */
export function storedHomeOf(id: string, item: Record<string, AttributeValue> | undefined, nowMs: number): StoredHome | undefined {
  const kind = item?.kind?.S;
  const [providerId, accountId, owner] = [item?.provider?.S, item?.account?.S, item?.owner?.S];
  if ((kind !== 'response' && kind !== 'conversation') || !providerId || !accountId || !owner) return undefined;
  const ttl = Number(item![TABLE_SHAPE.ttlAttribute]?.N ?? Infinity);
  if (ttl * 1000 <= nowMs) return undefined;
  return { ref: { kind, id }, providerId, accountId, owner, keyId: item!.keyId?.S ?? '', model: item!.model?.S ?? '', createdAt: Number(item!.createdAt?.N ?? 0) };
}

/**
 * Stored objects' homes in the one table. Read strongly consistent: the continuation of a response
 * made a moment ago on another instance is the common case (a chat's next turn), and an eventual
 * read could miss it and fall back to asking the pool.
 */
export class DynamoStoredHomes implements StoredHomeStore {
  constructor(
    readonly table: TableRef,
    readonly now: () => number = Date.now,
  ) {}

  async read(id: string): Promise<StoredHome | undefined> {
    // None is written (`madeAt`), and DynamoDB refuses a key over 2 KB: a client's made-up id would be a 500.
    if (id.length > MAX_STORED_ID_CHARS) return undefined;
    const key = storedHomeKey(id);
    const out = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
    return storedHomeOf(id, out.Item, this.now());
  }
}
