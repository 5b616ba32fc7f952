import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { JSON_ARRAY_STREAM_HEADERS } from '../http/json-array';
import { SSE_HEADERS } from '../http/sse';
import type { GatewayResponse, ResponseBody } from '../http/types';
import type { GatewayLogger } from '../observe/logger';
import type { AfterResponse } from '../pipeline/after-response';
import type { RequestContext } from '../pipeline/context';
import type { CacheEntry, ResponseCacheStore } from '../store/response-cache';
import type { GuardrailHit } from '../guardrails/scan';
import type { TokenUsage } from '../usage/tokens';
import type { CachePlan } from './policy';
import { sseEvents } from './replay';

const gzipped = promisify(gzip);
const gunzipped = promisify(gunzip);

/** The answer header that tells the client what the cache did. */
export const CACHE_HEADER = 'x-aigw-cache';

/**
 * How many bytes of an answer are kept, at most, for the cache: gzip makes SSE and JSON several
 * times smaller, so an answer this long may still fit `maxBytes`; past it, a stream's copy is let
 * go, and a whole answer is not compressed to find out (a batch of embeddings runs to megabytes).
 */
const RAW_PER_STORED_BYTE = 16;

/** What a call's books hold for the cache (`RequestContext.cache`). */
export interface CacheTicket {
  status: 'hit' | 'miss' | 'bypass';
  /** On a hit: what the stored answer cost when it was made. */
  savedMicros?: number;
  /** On a miss: stores the answer, if it ended well; called once its books are closed. */
  store?: (ended: { status: number; outcome: string; estimated: boolean; tokens: TokenUsage; costMicros: number | undefined }) => void;
}

export interface ResponseCacheOptions {
  /** The largest answer stored, gzip-compressed (`responseCache.maxBytes`). */
  maxBytes: number;
  /** Epoch ms. */
  now: () => number;
  logger: GatewayLogger;
  /** Where the store's write joins the writes that outlive the response (Lambda drains them). */
  later: AfterResponse;
}

/**
 * The exact-match response cache: looks a call's answer up by its plan's hash, replays a stored
 * answer as the first caller got it, and stores complete answers after they have gone out.
 * Failures of the store never fail a call: a read that fails is a miss, a write that fails is logged.
 */
export class ResponseCache {
  constructor(
    readonly store: ResponseCacheStore,
    readonly options: ResponseCacheOptions,
  ) {}

  /**
   * The stored answer for the plan, or undefined (none, expired, or the store failed).
   *
   * @example
   * const entry = await cache.lookup(plan, ctx); // one GetItem
   */
  async lookup(plan: CachePlan, ctx: RequestContext): Promise<CacheEntry | undefined> {
    if (!plan.read) return undefined;
    try {
      const now = this.options.now();
      const entry = await this.store.get(plan.hash, now);
      // The model's ttlSeconds as configured now: an entry stored under a longer one is not served past it.
      return entry && entry.createdAt + plan.ttlSeconds * 1000 > now ? entry : undefined;
    } catch (err) {
      this.options.logger.warn('response cache not read: the store failed', { requestId: ctx.requestId, error: err as Error });
      return undefined;
    }
  }

  /**
   * A stored answer, as the answer to this call: its bytes (a stream's, event by event), with
   * `x-aigw-cache: hit` and its `age` in seconds; its books carry its tokens and cost nothing.
   */
  async replay(entry: CacheEntry, ctx: RequestContext, finish: () => void): Promise<GatewayResponse> {
    const bytes = await gunzipped(entry.payload);
    ctx.status = 200;
    // A stream's outcome is known once it has all gone out (a client may leave before).
    if (!entry.stream) ctx.outcome = 'ok';
    ctx.usage = entry.usage;
    ctx.cache = { status: 'hit', ...(entry.costMicros !== undefined ? { savedMicros: entry.costMicros } : {}) };
    const headers = { 'content-type': entry.contentType, [CACHE_HEADER]: 'hit', age: String(Math.max(0, Math.floor((this.options.now() - entry.createdAt) / 1000))) };
    if (!entry.stream) {
      ctx.ttftMs = performance.now() - ctx.startPerf;
      return { status: 200, headers, body: bytes };
    }
    // A Gemini JSON array has no events to cut at: it goes as one piece.
    const sse = entry.contentType.startsWith('text/event-stream');
    const pieces = sse ? sseEvents(bytes) : [bytes];
    async function* replayed(): AsyncGenerator<Uint8Array> {
      try {
        for (const piece of pieces) {
          ctx.ttftMs ??= performance.now() - ctx.startPerf;
          yield piece;
        }
        ctx.outcome = 'ok';
      } finally {
        // Reached without an outcome only when the door stopped reading: the client went away.
        ctx.outcome ??= 'aborted';
        finish();
      }
    }
    return { status: 200, headers: { ...(sse ? SSE_HEADERS : JSON_ARRAY_STREAM_HEADERS), ...headers }, body: replayed() };
  }

  /**
   * The upstream's answer, on its way to the client, and a copy of its bytes kept to be stored once
   * its books are closed, if it ended well (`CacheTicket.store`). Its ticket's status (`miss`, or
   * `bypass` when the client's `no-cache` skipped the read) is the one set before the call went up.
   */
  keep(plan: CachePlan, res: GatewayResponse, ctx: RequestContext): GatewayResponse {
    const contentType = res.headers['content-type'] ?? 'application/json';
    const copy = copyOf(res.body, this.options.maxBytes * RAW_PER_STORED_BYTE);
    ctx.cache = {
      status: ctx.cache?.status ?? (plan.read ? 'miss' : 'bypass'),
      store: (ended) => {
        // Only complete, successful answers: a cut, interrupted or estimated one would be served wrong forever.
        if (ended.status !== 200 || ended.outcome !== 'ok' || ended.estimated || res.status !== 200) return;
        const bytes = copy.bytes();
        if (!bytes) return;
        const createdAt = this.options.now();
        // The answer's guardrail hits go with it: the bytes are already screened, but a hit's record and the `flagged` audit should still know what was found in them.
        const answerHits = ctx.guardrails?.filter((hit) => hit.side === 'response');
        this.options.later.run(this.#put(plan, { contentType, stream: typeof res.body !== 'string' && !(res.body instanceof Uint8Array), tokens: ended.tokens, costMicros: ended.costMicros, createdAt, answerHits }, bytes, ctx), (err) =>
          this.options.logger.warn('response cache not written: the store failed', { requestId: ctx.requestId, error: err as Error }),
        );
      },
    };
    return { ...res, body: copy.body };
  }

  async #put(plan: CachePlan, answer: { contentType: string; stream: boolean; tokens: TokenUsage; costMicros: number | undefined; createdAt: number; answerHits: GuardrailHit[] | undefined }, bytes: Uint8Array, ctx: RequestContext): Promise<void> {
    // Read here, after the response and on misses only: a whole answer is passed on as it came, so
    // an error sent with status 200 (OpenRouter and some OpenAI-compatible servers do) reached the client as one.
    if (!answer.stream && isErrorBody(answer.contentType, bytes)) return;
    const payload = await gzipped(bytes);
    if (payload.length > this.options.maxBytes) {
      this.options.logger.info('response cache: answer not stored, larger than responseCache.maxBytes', { requestId: ctx.requestId, bytes: payload.length });
      return;
    }
    await this.store.put(plan.hash, {
      payload,
      contentType: answer.contentType,
      stream: answer.stream,
      usage: answer.tokens,
      ...(answer.costMicros !== undefined ? { costMicros: answer.costMicros } : {}),
      ...(answer.answerHits?.length ? { answerHits: answer.answerHits } : {}),
      createdAt: answer.createdAt,
      expiresAt: answer.createdAt + plan.ttlSeconds * 1000,
    });
  }
}

/**
 * A body passed on unchanged, with a copy of its bytes up to `limit` (past it, none): a whole body
 * is its own copy; a stream's chunks are kept as they are relayed (past the limit, the copy is dropped).
 */
function copyOf(body: ResponseBody, limit: number): { body: ResponseBody; bytes(): Uint8Array | undefined } {
  if (typeof body === 'string') return { body, bytes: () => (Buffer.byteLength(body) > limit ? undefined : Buffer.from(body)) };
  if (body instanceof Uint8Array) return { body, bytes: () => (body.byteLength > limit ? undefined : body) };
  let chunks: Uint8Array[] | undefined = [];
  let size = 0;
  async function* copied(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (chunks) {
        size += chunk.byteLength;
        if (size > limit) chunks = undefined;
        else chunks.push(chunk);
      }
      yield chunk;
    }
  }
  return { body: copied(), bytes: () => chunks && Buffer.concat(chunks) };
}

/**
 * Whether a whole JSON answer is an error: a top-level `error` that is set (OpenAI's, Gemini's and
 * Anthropic's error shapes; a Responses object carries `"error": null` when it succeeded).
 *
 * @example
 * isErrorBody('application/json', Buffer.from('{"error":{"message":"overloaded"}}')) // true
 * isErrorBody('application/json', Buffer.from('{"object":"response","error":null}')) // false
 */
export function isErrorBody(contentType: string, bytes: Uint8Array): boolean {
  if (!contentType.startsWith('application/json')) return false;
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    return json !== null && typeof json === 'object' && (json as { error?: unknown }).error != null;
  } catch {
    // Not JSON: nothing says it failed.
    return false;
  }
}
