import type { ChatRequest, Message, Part, TextPart, ToolDefinition } from '../../canonical/types';

/** "You can define up to 4 cache breakpoints" (https://docs.claude.com/en/docs/build-with-claude/prompt-caching); a fifth is a 400. */
export const MAX_CACHE_BREAKPOINTS = 4;

export interface BreakpointLimitOptions {
  /** The most marks the target takes. */
  limit?: number;
  /**
   * Whether marks inside a tool result's content reach the target: Anthropic sends them (and
   * counts them), Converse has no cache point there and leaves them out.
   */
  inToolResults?: boolean;
}

const DEFAULTS: BreakpointLimitOptions = Object.freeze({});

/**
 * A request whose client marked more cache breakpoints than Claude takes, with the extra marks
 * left off rather than refused: a mark only decides where the cache is written and read, never
 * what the model answers. The earliest message marks go first, as each later breakpoint's prefix
 * holds theirs (a client marking every user turn, as Roo Code's frequency strategy does, loses
 * nothing the next turn reads); then the system prompt's, then the tools' (which serve across
 * conversations). Marks that never go out (on blank text, which the translators drop) are not
 * counted. The same request, without copying anything, when it is within the limit.
 *
 * @example
 * // the system prompt and five user turns marked: the system's and the last three turns' are kept
 * withinBreakpointLimit(req).messages.filter((m) => m.parts.some((p) => p.cacheControl)).length // 3
 */
export function withinBreakpointLimit(req: ChatRequest, options: BreakpointLimitOptions = DEFAULTS): ChatRequest {
  const { limit = MAX_CACHE_BREAKPOINTS, inToolResults = true } = options;
  // Counted in plain loops: this runs on every Claude request, most of them with no marks at all.
  let marks = 0;
  const tools = req.tools;
  if (tools) for (let i = 0; i < tools.length; i++) if (tools[i]!.cacheControl) marks++;
  for (let i = 0; i < req.system.length; i++) if (req.system[i]!.cacheControl) marks += marksIn(req.system[i]!, inToolResults);
  for (let i = 0; i < req.messages.length; i++) {
    const parts: readonly Part[] = req.messages[i]!.parts;
    for (let j = 0; j < parts.length; j++) if ('cacheControl' in parts[j]! || (inToolResults && parts[j]!.type === 'tool_result')) marks += marksIn(parts[j]!, inToolResults);
  }
  let excess = marks - limit;
  if (excess <= 0) return req;

  const unmark = <T extends object>(item: T): T => {
    if (excess <= 0 || !isSentMark(item)) return item;
    excess--;
    const { cacheControl: _dropped, ...rest } = item as T & { cacheControl?: unknown };
    return rest as T;
  };
  const unmarkPart = (part: Part): Part => {
    if (part.type !== 'tool_result' || !inToolResults || typeof part.content === 'string') return unmark(part);
    // Its content comes before the block's own end, so its marks are the earlier ones.
    const before = excess;
    const content = part.content.map(unmark);
    return unmark(excess === before ? part : { ...part, content });
  };
  const out: ChatRequest = { ...req };
  out.messages = req.messages.map((m) => (excess > 0 && m.parts.some((p) => marksIn(p, inToolResults) > 0) ? ({ role: m.role, parts: (m.parts as Part[]).map(unmarkPart) } as Message) : m));
  if (excess > 0) out.system = req.system.map(unmark<TextPart>);
  if (excess > 0 && req.tools) out.tools = req.tools.map(unmark<ToolDefinition>);
  return out;
}

/** A mark that goes out: thinking parts carry none, and blank text is dropped on the way. */
function isSentMark(item: object): boolean {
  const { cacheControl, text } = item as { cacheControl?: unknown; text?: unknown };
  return !!cacheControl && (typeof text !== 'string' || text.trim() !== '');
}

function marksIn(part: Part, inToolResults: boolean): number {
  let marks = isSentMark(part) ? 1 : 0;
  if (inToolResults && part.type === 'tool_result' && typeof part.content !== 'string') for (const p of part.content) if (isSentMark(p)) marks++;
  return marks;
}
