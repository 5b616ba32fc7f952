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
 * nothing the next turn reads), then the earlier marks of the tools and of the system prompt; the
 * last mark of each part of the prompt is kept (`dropOrder`). Marks that never go out (on blank
 * text, which the translators drop) are not counted. The same request, without copying anything,
 * when it is within the limit.
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
  const excess = marks - limit;
  if (excess <= 0) return req;
  return withoutMarks(req, dropOrder(req, inToolResults).slice(0, excess), inToolResults);
}

/** Where a mark sits: `tools.2`, `system.0`, `messages.4.1` (a part), `messages.4.1.0` (in a tool result's content). */
type Mark = string;

/**
 * The marks in the order they are left off: the turns' but the last one, the tools' but the last
 * one, the system prompt's but the last one, each earliest first; then those last ones. A
 * breakpoint's prefix holds every earlier one of its part of the prompt, so the earlier marks of a
 * part add least; the last turn's is where this turn is written for the next one to read.
 */
function dropOrder(req: ChatRequest, inToolResults: boolean): Mark[] {
  const tools: Mark[] = [];
  const system: Mark[] = [];
  const messages: Mark[] = [];
  req.tools?.forEach((t, i) => t.cacheControl && tools.push(`tools.${i}`));
  req.system.forEach((p, i) => isSentMark(p) && system.push(`system.${i}`));
  req.messages.forEach((m, i) =>
    (m.parts as Part[]).forEach((p, j) => {
      // A tool result's content comes before the block's own end, so its marks are the earlier ones.
      if (inToolResults && p.type === 'tool_result' && typeof p.content !== 'string') p.content.forEach((c, k) => isSentMark(c) && messages.push(`messages.${i}.${j}.${k}`));
      if (isSentMark(p)) messages.push(`messages.${i}.${j}`);
    }),
  );
  const lasts = [messages.pop(), system.pop(), tools.pop()].filter((m): m is Mark => m !== undefined);
  return [...messages, ...tools, ...system, ...lasts];
}

/** A copy of the request without the marks named; what holds none of them is shared, not copied. */
function withoutMarks(req: ChatRequest, drop: readonly Mark[], inToolResults: boolean): ChatRequest {
  const dropped = new Set(drop);
  const unmark = <T extends object>(item: T, at: Mark): T => {
    if (!dropped.has(at)) return item;
    const { cacheControl: _dropped, ...rest } = item as T & { cacheControl?: unknown };
    return rest as T;
  };
  const unmarkPart = (part: Part, at: Mark): Part => {
    const own = unmark(part, at);
    if (!inToolResults || part.type !== 'tool_result' || typeof part.content === 'string' || !part.content.some((_, k) => dropped.has(`${at}.${k}`))) return own;
    return { ...(own as typeof part), content: part.content.map((c, k) => unmark(c, `${at}.${k}`)) };
  };
  const touches = (prefix: string) => drop.some((m) => m.startsWith(prefix));
  const out: ChatRequest = { ...req };
  if (touches('messages.')) out.messages = req.messages.map((m, i) => (touches(`messages.${i}.`) ? ({ role: m.role, parts: (m.parts as Part[]).map((p, j) => unmarkPart(p, `messages.${i}.${j}`)) } as Message) : m));
  if (touches('system.')) out.system = req.system.map((p, i) => unmark<TextPart>(p, `system.${i}`));
  if (touches('tools.') && req.tools) out.tools = req.tools.map((t, i) => unmark<ToolDefinition>(t, `tools.${i}`));
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
