import type { ChatRequest, Message, Part, TextPart, ToolDefinition } from '../../canonical/types';

/** "You can define up to 4 cache breakpoints" (https://docs.claude.com/en/docs/build-with-claude/prompt-caching); a fifth is a 400. */
export const MAX_CACHE_BREAKPOINTS = 4;


/**
 * A request whose client marked more cache breakpoints than Claude takes, with the extra marks
 * left off rather than refused: a mark only decides where the cache is written and read, never
 * what the model answers. The earliest message marks go first, as each later breakpoint's prefix
 * holds theirs (a client marking every user turn, as Roo Code's frequency strategy does, loses
 * nothing the next turn reads); then the system prompt's, then the tools' (which serve across
 * conversations). The same request when it is within the limit.
 *
 * @example
 * // the system prompt and five user turns marked: the system's and the last three turns' are kept
 * withinBreakpointLimit(req).messages.filter((m) => m.parts.some((p) => p.cacheControl)).length // 3
 */
export function withinBreakpointLimit(req: ChatRequest, limit = MAX_CACHE_BREAKPOINTS): ChatRequest {
  const inMessages = req.messages.reduce((n, m) => n + countMarked(m.parts), 0);
  const inSystem = countMarked(req.system);
  const inTools = countMarked(req.tools ?? []);
  let excess = inMessages + inSystem + inTools - limit;
  if (excess <= 0) return req;

  const out: ChatRequest = { ...req };
  const unmark = <T extends object>(items: readonly T[]): T[] =>
    items.map((item) => {
      if (excess <= 0 || !isMarked(item)) return item;
      excess--;
      const { cacheControl: _dropped, ...rest } = item as T & { cacheControl?: unknown };
      return rest as T;
    });
  out.messages = req.messages.map((m) => (excess > 0 && countMarked(m.parts) > 0 ? ({ role: m.role, parts: unmark(m.parts as Part[]) } as Message) : m));
  if (excess > 0) out.system = unmark<TextPart>(req.system);
  if (excess > 0 && req.tools) out.tools = unmark<ToolDefinition>(req.tools);
  return out;
}

// Thinking parts carry no cacheControl at all, hence the `in` check.
const isMarked = (item: object): boolean => 'cacheControl' in item && !!item.cacheControl;

function countMarked(items: readonly object[]): number {
  return items.filter(isMarked).length;
}
