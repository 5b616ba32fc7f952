import { hash } from 'node:crypto';
import { isName, isObject } from '../http/json-checks';

// Sticky routing: calls of one conversation go to the same provider account, because providers'
// prompt caches are per account (per organisation). Spreading a conversation over accounts pays
// full price for a prefix that was already cached, and for Claude Code's 20–100K-token prompts
// the cached prefix is most of the bill. Both functions are pure and need no shared state, so
// every instance routes a conversation the same way.

/** The surface a body was written for (`SurfaceBinding['name']`). */
export type StickySurface = 'openai' | 'anthropic' | 'openai-responses' | 'gemini';

/** The header a client may send to name its session outright; header names arrive lower-cased. */
export const SESSION_HEADER = 'x-session-id';

/**
 * How much of each part of a conversation's start is hashed (UTF-16 code units): the system
 * prompt, and separately the first user message. A conversation is told apart well within its
 * first KBs, while a first message can be a pasted file of megabytes; the cap bounds the work per
 * request (~10 µs per part with SHA-256). Each part has its own cap because one app's system
 * prompt is the same in all its conversations (Claude Code's alone is 14 KB): a cap over both
 * together would let it crowd out the user's message, the part that differs.
 */
export const HASHED_CHARS_PER_PART = 16 * 1024;

/** Digest characters kept in a key: 22 base64url characters are 132 bits, ample against collisions. */
const DIGEST_CHARS = 22;

/**
 * What identifies the conversation a request belongs to, or undefined when nothing does. The
 * first source present wins; the key names its source, so equal values from two sources differ:
 *
 * - `s:` the `x-session-id` header;
 * - `k:` OpenAI's `prompt_cache_key`, then `u:` its `user` (on the Responses API, or its
 *   `safety_identifier`, which replaces `user` there);
 * - `m:` Anthropic's `metadata.user_id` (Claude Code sends one per user or session);
 * - (Gemini bodies name no user or session: only the header or the start's hash);
 * - `h:` a hash of the conversation's start, the system prompt and the first user message's
 *   text, which later turns (more messages appended, `cache_control` moved) leave unchanged.
 *
 * Values are hashed too, so a key has a bounded length and carries no user id or prompt text
 * into logs. Malformed bodies are the surfaces' to refuse: odd shapes here give undefined, never
 * an exception.
 *
 * @example
 * stickyKeyOf('anthropic', {}, { metadata: { user_id: 'user_abc' }, messages: [] }); // 'm:…'
 * stickyKeyOf('openai', {}, { messages: [{ role: 'user', content: 'hi' }] }); // 'h:…'
 */
export function stickyKeyOf(surface: StickySurface, headers: Readonly<Record<string, string | undefined>>, body: Record<string, unknown>): string | undefined {
  const session: unknown = headers[SESSION_HEADER];
  if (isName(session)) return namedKey('s', session);
  if (!isObject(body)) return undefined;
  if (surface === 'gemini') {
    const start = geminiStart(body.systemInstruction, body.contents);
    return start === undefined ? undefined : keyOf('h', start);
  }
  if (surface !== 'anthropic') {
    if (isName(body.prompt_cache_key)) return namedKey('k', body.prompt_cache_key);
    if (isName(body.user)) return namedKey('u', body.user);
    if (surface === 'openai-responses' && isName(body.safety_identifier)) return namedKey('u', body.safety_identifier);
  } else {
    const metadata = body.metadata;
    if (isObject(metadata) && isName(metadata.user_id)) return namedKey('m', metadata.user_id);
  }
  const start = surface === 'openai' ? openAiChatStart(body.messages) : surface === 'openai-responses' ? responsesStart(body.instructions, body.input) : anthropicStart(body.system, body.messages);
  return start === undefined ? undefined : keyOf('h', start);
}

/**
 * The accounts in the order a sticky key prefers them, by weighted rendezvous (highest random
 * weight) hashing: each account scores `-weight / ln(u)`, `u` in (0, 1) drawn from a hash of
 * (key, account id). Every instance computes the same order with no shared state; over many keys
 * each account comes first in proportion to its weight; and removing an account moves only the
 * keys it was first for (the others' scores do not change). The input is not changed.
 *
 * @example
 * const [first, ...fallbacks] = rendezvousOrder(target.accounts, key);
 */
export function rendezvousOrder<T extends { id: string; weight: number }>(accounts: readonly T[], key: string): T[] {
  if (accounts.length <= 1) return [...accounts];
  const scored = accounts.map((account) => ({ account, score: rendezvousScore(key, account) }));
  scored.sort((a, b) => b.score - a.score || compareIds(a.account.id, b.account.id));
  return scored.map((s) => s.account);
}

/**
 * `-weight / ln(u)` is the reciprocal of an exponential draw with rate `weight`; the largest
 * score is the smallest draw, which an account wins with probability weight / total weight.
 */
function rendezvousScore(key: string, { id, weight }: { id: string; weight: number }): number {
  // The config allows only positive weights; anything else ranks last rather than breaking the sort.
  if (!(weight > 0)) return 0;
  // NUL cannot occur in an account id (config `Id`), so (key, id) pairs cannot run together.
  // The digest as hex, not a Buffer: a pool's plan hashes once per account on every sticky call,
  // and allocating a Buffer cost more than the hash (about 0.9 µs a hash against 0.4).
  const digest = hash('sha256', `${key}\u0000${id}`, 'hex');
  // The first 52 bits (13 hex digits), so that n + 0.5 is exact in a double: u runs from 2^-53 to
  // 1 - 2^-53, never 0 or 1, and ln(u) is finite and negative.
  const n = parseInt(digest.slice(0, 13), 16);
  const u = (n + 0.5) / 2 ** 52;
  return -weight / Math.log(u);
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Where a key came from: session header, prompt_cache_key, user, metadata.user_id, hash of the start. */
type KeySource = 's' | 'k' | 'u' | 'm' | 'h';

function keyOf(source: KeySource, text: string): string {
  return `${source}:${hash('sha256', text, 'base64url').slice(0, DIGEST_CHARS)}`;
}

/** A key from a value the client named; capped like the start's parts, since nothing else bounds a body field. */
function namedKey(source: Exclude<KeySource, 'h'>, value: string): string {
  return keyOf(source, value.slice(0, HASHED_CHARS_PER_PART));
}

/** OpenAI Chat: the leading system/developer messages, then the first user message. */
function openAiChatStart(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const system: string[] = [];
  let budget = HASHED_CHARS_PER_PART;
  let i = 0;
  for (; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObject(m) || (m.role !== 'system' && m.role !== 'developer')) break;
    budget = appendText(system, m.content, budget);
  }
  return startText(system, firstUserContent(messages, i));
}

/**
 * Responses API: `instructions` and the leading system/developer messages, then the first user
 * message (`input` itself when it is a string). Items without a type are messages.
 */
function responsesStart(instructions: unknown, input: unknown): string | undefined {
  const system: string[] = [];
  let budget = appendText(system, instructions, HASHED_CHARS_PER_PART);
  if (typeof input === 'string') return startText(system, input);
  if (!Array.isArray(input)) return startText(system, undefined);
  let i = 0;
  for (; i < input.length; i++) {
    const m: unknown = input[i];
    if (!isObject(m) || (m.type !== undefined && m.type !== 'message') || (m.role !== 'system' && m.role !== 'developer')) break;
    budget = appendText(system, m.content, budget);
  }
  return startText(system, firstUserContent(input, i));
}

/** Anthropic Messages: `system` (a string or text blocks), then the first user message. */
function anthropicStart(system: unknown, messages: unknown): string | undefined {
  const parts: string[] = [];
  appendText(parts, system, HASHED_CHARS_PER_PART);
  return startText(parts, Array.isArray(messages) ? firstUserContent(messages, 0) : undefined);
}

/** Gemini: `systemInstruction` (a string or a Content), then the first user turn; parts carry no `type`, only `text`. */
function geminiStart(system: unknown, contents: unknown): string | undefined {
  const asBlocks = (content: unknown) => (typeof content === 'string' ? content : isObject(content) && Array.isArray(content.parts) ? content.parts.map((p: unknown) => (isObject(p) && typeof p.text === 'string' ? { type: 'text', text: p.text } : p)) : undefined);
  const parts: string[] = [];
  appendText(parts, asBlocks(system), HASHED_CHARS_PER_PART);
  const first = Array.isArray(contents) ? contents.find((c: unknown) => isObject(c) && (c.role === undefined || c.role === 'user')) : undefined;
  return startText(parts, asBlocks(first));
}

function firstUserContent(messages: readonly unknown[], from: number): unknown {
  for (let i = from; i < messages.length; i++) {
    const m = messages[i];
    if (isObject(m) && m.role === 'user') return m.content;
  }
  return undefined;
}

/** The text to hash, or undefined when the start holds no text at all. */
function startText(system: readonly string[], firstUser: unknown): string | undefined {
  const user: string[] = [];
  appendText(user, firstUser, HASHED_CHARS_PER_PART);
  const systemText = system.join('');
  const userText = user.join('');
  if (systemText === '' && userText === '') return undefined;
  // NUL between the parts, so text moved from the system prompt into the message changes the key.
  return `${systemText}\u0000${userText}`;
}

/**
 * Appends the text of a message content (a string, or blocks / parts of which only `text` ones
 * count: `cache_control`, images and tool calls say nothing about which conversation this is and
 * `cache_control` moves between turns) to `out`, at most `budget` characters; returns what is left.
 * Blocks are joined without a separator, so a client that splits or merges text blocks between
 * turns keeps its key.
 */
function appendText(out: string[], content: unknown, budget: number): number {
  if (typeof content === 'string') return take(out, content, budget);
  if (!Array.isArray(content)) return budget;
  for (const part of content as unknown[]) {
    if (budget <= 0) break;
    // `input_text` is the Responses API's text part.
    if (isObject(part) && (part.type === 'text' || part.type === 'input_text') && typeof part.text === 'string') budget = take(out, part.text, budget);
  }
  return budget;
}

function take(out: string[], text: string, budget: number): number {
  if (budget <= 0) return 0;
  const piece = text.length > budget ? text.slice(0, budget) : text;
  out.push(piece);
  return budget - piece.length;
}
