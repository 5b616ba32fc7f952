import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { GuardrailHit } from '../guardrails/scan';
import type { TokenUsage } from '../usage/tokens';
import type { TableRef } from './dynamo';
import { TABLE_SHAPE, responseCacheItemKey } from './table';

/** One stored answer of the response cache, as a whole. */
export interface CacheEntry {
  /** The answer's bytes as the client got them, gzip-compressed (a stream's SSE events, in order). */
  payload: Uint8Array;
  contentType: string;
  /** The bytes are a stream (SSE or Gemini's JSON array), replayed as one. */
  stream: boolean;
  /** The tokens of the call that made the answer: a hit's usage record carries them. */
  usage: TokenUsage;
  /** What that call cost, when its model has a price: what a hit saved. */
  costMicros?: number;
  /** The guardrails' hits in the answer as stored (`side: 'response'`): a hit replays them onto its own books, and a flag puts it in the `flagged` audit. */
  answerHits?: GuardrailHit[];
  /** Epoch ms when it was stored. */
  createdAt: number;
  /** Epoch ms after which it is not served. */
  expiresAt: number;
}

/** Where the response cache keeps its answers, by their call's hash (`cacheKey`). */
export interface ResponseCacheStore {
  /** The entry under `hash`, unless there is none or it expired by `nowMs`. */
  get(hash: string, nowMs: number): Promise<CacheEntry | undefined>;
  /** Stores (or replaces) the entry under `hash`. */
  put(hash: string, entry: CacheEntry): Promise<void>;
}

const n = (v: number): AttributeValue => ({ N: String(v) });

/**
 * The response cache in the one table: one item per answer (`CACHE#<hash>`), its bytes a binary
 * attribute, its expiry the table's TTL attribute (epoch seconds). DynamoDB deletes expired items
 * up to days late, so a read checks the expiry itself.
 */
export class DynamoResponseCache implements ResponseCacheStore {
  constructor(readonly table: TableRef) {}

  async get(hash: string, nowMs: number): Promise<CacheEntry | undefined> {
    const key = responseCacheItemKey(hash);
    // Eventually consistent (half the price): an answer stored a moment ago is missed at worst.
    const out = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));
    const item = out.Item;
    if (!item?.payload?.B) return undefined;
    const entry = entryOf(item, item.payload.B);
    return entry.expiresAt > nowMs ? entry : undefined;
  }

  async put(hash: string, entry: CacheEntry): Promise<void> {
    const key = responseCacheItemKey(hash);
    const { usage } = entry;
    await this.table.client.send(
      new PutItemCommand({
        TableName: this.table.tableName,
        Item: {
          PK: { S: key.PK },
          SK: { S: key.SK },
          payload: { B: entry.payload },
          contentType: { S: entry.contentType },
          stream: { BOOL: entry.stream },
          usage: { M: { input: n(usage.input), output: n(usage.output), cacheRead: n(usage.cacheRead), cacheWrite: n(usage.cacheWrite), reasoning: n(usage.reasoning) } },
          ...(entry.costMicros !== undefined ? { costMicros: n(entry.costMicros) } : {}),
          ...(entry.answerHits?.length ? { answerHits: { S: JSON.stringify(entry.answerHits) } } : {}),
          createdAt: n(entry.createdAt),
          expiresAt: n(entry.expiresAt),
          [TABLE_SHAPE.ttlAttribute]: n(Math.ceil(entry.expiresAt / 1000)),
        },
      }),
    );
  }
}

function entryOf(item: Record<string, AttributeValue>, payload: Uint8Array): CacheEntry {
  const num = (v: AttributeValue | undefined) => Number(v?.N ?? 0);
  const usage = item.usage?.M ?? {};
  return {
    payload,
    contentType: item.contentType?.S ?? 'application/json',
    stream: item.stream?.BOOL === true,
    usage: { input: num(usage.input), output: num(usage.output), cacheRead: num(usage.cacheRead), cacheWrite: num(usage.cacheWrite), reasoning: num(usage.reasoning) },
    ...(item.costMicros?.N !== undefined ? { costMicros: num(item.costMicros) } : {}),
    ...(item.answerHits?.S !== undefined ? { answerHits: JSON.parse(item.answerHits.S) as GuardrailHit[] } : {}),
    createdAt: num(item.createdAt),
    expiresAt: num(item.expiresAt),
  };
}

/** The response cache in memory (tests, and counting what the table would be asked). */
export class MemoryResponseCache implements ResponseCacheStore {
  readonly entries = new Map<string, CacheEntry>();
  /** Reads and writes asked of it, so tests can tell what a call cost. */
  gets = 0;
  puts = 0;

  async get(hash: string, nowMs: number): Promise<CacheEntry | undefined> {
    this.gets++;
    const entry = this.entries.get(hash);
    return entry && entry.expiresAt > nowMs ? entry : undefined;
  }

  async put(hash: string, entry: CacheEntry): Promise<void> {
    this.puts++;
    this.entries.set(hash, entry);
  }
}
