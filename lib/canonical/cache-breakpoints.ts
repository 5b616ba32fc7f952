import type { CacheControl, ChatRequest, Message, Part, ToolDefinition } from './types';

const EPHEMERAL: CacheControl = Object.freeze({ type: 'ephemeral' });

/**
 * Prompt-cache breakpoints for a request whose client set none, for providers that cache only
 * where told (Anthropic, Claude on Bedrock). OpenAI caches prompts by itself, so clients of
 * OpenAI's API never mark them, and without marks an agent loop sends its whole history at the
 * full input price on every turn; with them, each turn reads the history from the cache (a tenth
 * of the price) and writes only what is new (a quarter more). The marks go where Anthropic's
 * guide puts them, four at most (its limit): the end of the tools, the end of the system prompt,
 * the end of the last message (written now, read by the next turn), and the end of the user turn
 * before it (read now: the last turn's mark, within the 20 blocks the cache looks back over).
 * Prompts shorter than the model's minimum are not cached, and cost nothing more.
 *
 * @example
 * withCacheBreakpoints({ ...req, system: [{ type: 'text', text: 'You are…' }] }).system[0].cacheControl // { type: 'ephemeral' }
 */
export function withCacheBreakpoints(req: ChatRequest): ChatRequest {
  if (hasCacheControl(req)) return req;
  const out: ChatRequest = { ...req };
  if (req.tools?.length) out.tools = markLast(req.tools, () => true);
  const system = markLast(req.system, (p) => p.text.trim() !== '');
  if (system !== req.system) out.system = system;
  const last = req.messages.length - 1;
  const previousUser = lastIndexOf(req.messages, (m, i) => i < last && m.role === 'user');
  if (last >= 0) {
    const messages = [...req.messages];
    for (const i of previousUser >= 0 ? [previousUser, last] : [last]) messages[i] = markMessage(messages[i]!);
    out.messages = messages;
  }
  return out;
}

/** Whether the client placed breakpoints of its own (then they are its choice, kept as they are). */
export function hasCacheControl(req: ChatRequest): boolean {
  return req.system.some((p) => p.cacheControl) || !!req.tools?.some((t) => t.cacheControl) || req.messages.some((m) => m.parts.some((p) => 'cacheControl' in p && p.cacheControl));
}

function markMessage(message: Message): Message {
  const parts = markLast(message.parts as Part[], cacheable);
  return parts === message.parts ? message : ({ role: message.role, parts } as Message);
}

/** Parts a breakpoint can sit on: not thinking (Anthropic refuses cache_control there) and not blank text (dropped on the way). */
function cacheable(part: Part): boolean {
  if (part.type === 'thinking' || part.type === 'redacted_thinking') return false;
  return part.type !== 'text' || part.text.trim() !== '';
}

/** A copy with the last item that `fits` marked; the same array when none fits. */
function markLast<T extends Part | ToolDefinition>(items: readonly T[], fits: (item: T) => boolean): T[] {
  const i = lastIndexOf(items, fits);
  if (i < 0) return items as T[];
  const copy = [...items];
  copy[i] = { ...items[i]!, cacheControl: EPHEMERAL };
  return copy;
}

function lastIndexOf<T>(items: readonly T[], fits: (item: T, i: number) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (fits(items[i]!, i)) return i;
  return -1;
}
