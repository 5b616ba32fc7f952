import { createHash } from 'node:crypto';
import type { PolicyChoices } from '../canonical/types';
import type { ResponseCacheModelConfig } from '../config/schema';

/** The surfaces whose model calls may be answered from the cache (ctx.surface): chat, messages, Responses, Gemini, completions, embeddings. */
export const CACHEABLE_SURFACES = ['openai', 'anthropic', 'openai-responses', 'gemini', 'openai-completions', 'openai-embeddings'] as const;
export type CacheableSurface = (typeof CACHEABLE_SURFACES)[number];

export const isCacheableSurface = (surface: string): surface is CacheableSurface => (CACHEABLE_SURFACES as readonly string[]).includes(surface);

/**
 * Fields that never change an answer's bytes, by surface: left out of the key so that callers who
 * only label their calls differently share an entry. `stream` is not among them (a stream and a
 * whole answer are different bytes): the key takes it from the call, not the body. `user` and
 * `metadata` stay in a Responses key, since its answers echo them back.
 */
const IGNORED: Record<CacheableSurface, readonly string[]> = {
  // `user`: an end-user id for the provider's abuse monitoring; `metadata`: tags for stored completions.
  openai: ['stream', 'stream_options', 'user', 'metadata'],
  // `metadata.user_id`: the same, Anthropic's way.
  anthropic: ['stream', 'metadata'],
  'openai-responses': ['stream', 'stream_options'],
  gemini: [],
  'openai-completions': ['stream', 'stream_options', 'user'],
  'openai-embeddings': ['user'],
};

/** What a call's cache key is made of. */
export interface CacheKeyInput {
  surface: CacheableSurface;
  /** The model name the client asked for (an alias is its own entry). */
  model: string;
  /**
   * Where the model name leads: its targets' provider ids and models, in order. An answer is the
   * upstream model's: a config that sends the name elsewhere must not be served the old model's.
   */
  upstream: readonly string[];
  /** Who may share the entry (`scopeOf`). */
  scope: string;
  /** Whether the answer is a stream, and which framing (Gemini's JSON array is not SSE). */
  stream: boolean;
  jsonArray?: boolean;
  /** The body as the pipeline uses it (after any step that rewrites it). */
  body: Record<string, unknown>;
  /** Headers that change the answer: `anthropic-version` and `anthropic-beta` on messages. */
  headers?: Readonly<Record<string, string | undefined>>;
  /**
   * Which of the body's values the model's parameter policy chose rather than the client
   * (`ChatRequest.setByPolicy`): a translation to Claude gives way on those, so one body may go
   * upstream two ways.
   */
  setByPolicy?: PolicyChoices | undefined;
  /**
   * Which rules screen the answer, where not the gateway's own (`RequestContext.answerScreen`):
   * `set:<name>` or `none`. The cache keeps the answer the client got, redacted by its rules: a
   * caller screened otherwise must not be served it, nor an exempt caller's answer be served to a
   * screened one. Screening of the request needs nothing here: a redaction changes the body.
   */
  answerScreen?: string;
}

/**
 * The cache key of a call: SHA-256 (hex) over its surface, model, its targets, sharing scope, framing and its
 * body in canonical JSON (keys sorted), less the fields that do not change the answer.
 * `stream_options.include_usage` changes a stream's bytes (one more chunk), and so does
 * `include_obfuscation: false` (no padding field), so a stream keeps them; any other member an
 * OpenAI-compatible server may read (vLLM's `continuous_usage_stats`, usage in every chunk) is
 * kept too, as it is. A whole answer keeps none: they change streams only.
 *
 * Keyed, rather than one entry stored with usage and trimmed at replay to the client's choice:
 * the cache stores the bytes the client got (after the relay dropped the usage chunk, after the
 * answer's guardrails), so the other variant is not at hand to store, and a translated stream's
 * encoder writes the usage chunk only for a client that asked.
 *
 * @example
 * cacheKey({ surface: 'openai', model: 'gpt-4o-mini', upstream: ['openai:gpt-4o-mini'], scope: 'key_1', stream: false, body: { model: 'gpt-4o-mini', messages, user: 'u1' } })
 * // the same hex string as with `user: 'u2'`, or with `messages` before `model`
 */
export function cacheKey(input: CacheKeyInput): string {
  const ignored = IGNORED[input.surface];
  // Without a prototype, so that a `__proto__` member is a member, not a prototype set (and lost).
  const body = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(input.body)) if (!ignored.includes(name)) body[name] = value;
  const streamOptions = input.stream ? (input.body.stream_options as { include_usage?: unknown; include_obfuscation?: unknown; [member: string]: unknown } | null | undefined) : undefined;
  const usageChunk = streamOptions?.include_usage === true;
  // OpenAI pads each chunk with a random `obfuscation` field unless told not to: other bytes.
  const unpadded = streamOptions?.include_obfuscation === false;
  // Members the gateway does not know may change the stream too: kept as they are (and nothing when there are none, so other keys stay as they were).
  const { include_usage: _usage, include_obfuscation: _padding, ...otherOptions } = typeof streamOptions === 'object' && streamOptions !== null ? streamOptions : {};
  // Only what the policy did choose, and nothing when it chose nothing: keys of calls without a policy stay as they were.
  const chosen = Object.entries(input.setByPolicy ?? {})
    .filter(([, set]) => set)
    .map(([name]) => name)
    .sort();
  const headers = input.surface === 'anthropic' ? { version: input.headers?.['anthropic-version'] ?? null, beta: input.headers?.['anthropic-beta'] ?? null } : null;
  const parts = {
    v: 1,
    surface: input.surface,
    model: input.model,
    upstream: input.upstream,
    scope: input.scope,
    stream: input.stream ? (input.jsonArray ? 'array' : `sse${usageChunk ? '+usage' : ''}${unpadded ? '-obfuscation' : ''}`) : 'whole',
    headers,
    body,
    ...(Object.keys(otherOptions).length > 0 ? { streamOptions: otherOptions } : {}),
    ...(chosen.length > 0 ? { setByPolicy: chosen } : {}),
    // Only for a caller not on the gateway's own rules: other keys stay as they were.
    ...(input.answerScreen ? { answerScreen: input.answerScreen } : {}),
  };
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/**
 * JSON with every object's keys sorted, so that bodies that differ only in key order are the same
 * text. Values that JSON drops (undefined) are dropped here too.
 *
 * @example
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  // JSON.stringify's own walk with each object's keys put in order: a third faster than a walk by
  // hand on a 60 KB chat body (110 µs against 170), the strings escaped natively.
  return JSON.stringify(value, sortedKeys) ?? 'null';
}

/**
 * An object as a copy with its keys in sorted order (JSON.stringify then writes them so). Keys
 * that look like array indexes still come first, in numeric order, as JavaScript orders them: the
 * order depends only on the set of keys, which is all a key needs.
 */
function sortedKeys(_name: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  // Without a prototype: on `{}` a `__proto__` member (a JSON schema may name a property so) would
  // set the prototype and drop out of the text, and bodies that differ there would share a key.
  const sorted = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(value).sort()) sorted[name] = (value as Record<string, unknown>)[name];
  return sorted;
}

/**
 * Whose entries a call may be served: its key's, its team's (a key without a team keeps its own),
 * or everyone's. The prefixes keep a key id and a team id apart.
 *
 * @example
 * scopeOf('team', { keyId: 'key_1', teamId: 'team_9' }) // 'team:team_9'
 * scopeOf('team', { keyId: 'key_1' }) // 'key:key_1'
 */
export function scopeOf(share: ResponseCacheModelConfig['share'], caller: { keyId: string; teamId?: string | undefined }): string {
  if (share === 'all') return 'all';
  if (share === 'team' && caller.teamId) return `team:${caller.teamId}`;
  return `key:${caller.keyId}`;
}
