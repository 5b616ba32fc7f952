import type { GatewayError } from '../../http/errors';
import { isObject } from '../../http/json-checks';
import { errorFromOpenAIEvent } from './errors';
import type { TokenUsage } from '../../usage/tokens';
import { skimChatOutput } from './skim';
import { usageFromOpenAI } from './usage';

/** A chunk as the wire may have it: each field is looked at before it is read. */
interface Chunk {
  choices?: unknown;
  usage?: unknown;
  error?: unknown;
}

/** One entry of `choices`: Chat chunks carry a `delta`; (legacy) Completions chunks carry `text`. */
interface Choice {
  delta?: unknown;
  text?: unknown;
  finish_reason?: unknown;
}

/** What the gateway learns from an OpenAI chunk stream on the side while passing it on. */
export class OpenAIStreamMeter {
  usage: TokenUsage | undefined;
  finishReason: string | undefined;
  /** ms from `start` to the first chunk that carried output. */
  firstTokenMs: number | undefined;
  sawDone = false;
  /** An in-band error chunk's error, worded as the gateway tells it (`errorFromOpenAIEvent`: code kept, what the client must not see as `detail`). */
  error: GatewayError | undefined;
  /** Characters of output relayed: what a stream cut off before its usage chunk is charged by (a key with or without a budget). */
  outputChars = 0;

  /**
   * `start` and `now` are `performance.now()` readings unless a test clock is given. `thorough`
   * tells apart the noise some servers add (Azure's content-filter chunks). `providerId` (the
   * config's) is what an in-band error's words name.
   */
  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
    readonly thorough = false,
    readonly providerId = 'openai',
  ) {}

  /**
   * Reads one event's data. Returns `'usage-only'` for the extra usage chunk (no choices), so a
   * caller that did not ask for it can drop it, and (when thorough) `'noise'` for chunks that carry
   * nothing a Chat Completions client knows: no choices and no usage (Azure's
   * prompt_filter_results), or choices without a delta or finish (its late filter annotations).
   */
  observe(data: string): 'usage-only' | 'noise' | undefined {
    if (data === '[DONE]') {
      this.sawDone = true;
      return undefined;
    }
    // Most chunks are one content delta: decide from the text which ones need parsing at all, and
    // read the others' output characters from their text (a fifth of a parse's cost), so that a
    // stream cut off before its usage chunk is recorded with a fair estimate on every key.
    if (!this.thorough && !this.#worthParsing(data)) {
      this.outputChars += skimChatOutput(data);
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return undefined;
    }
    // The upstream's JSON as it may be (a chunk that is null, choices that are not a list, entries
    // that are not objects): what cannot be read is passed on unread, never thrown on, since a throw
    // here would end a passed-through answer as a fault of the gateway's own.
    if (!isObject(parsed)) return undefined;
    const chunk: Chunk = parsed;
    if (chunk.error) this.error = errorFromOpenAIEvent(chunk.error, this.providerId);
    const usage = usageFromOpenAI(chunk.usage);
    if (usage) this.usage = usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices.filter((c): c is Choice => isObject(c)) : [];
    // An error that brings the usage along is still the error: the client must have it, asked for usage or not.
    if (choices.length === 0) return chunk.error ? undefined : usage ? 'usage-only' : !this.thorough ? undefined : 'noise';
    if (this.thorough && choices.every((c) => !c.delta && !c.finish_reason && c.text === undefined)) return 'noise';
    for (const c of choices) {
      const delta = isObject(c.delta) ? c.delta : undefined;
      this.outputChars += outputChars(c.text, delta);
      if (typeof c.finish_reason === 'string' && c.finish_reason) this.finishReason = c.finish_reason;
      if (this.firstTokenMs === undefined && ((delta && hasOutput(delta)) || c.text)) this.firstTokenMs = this.now() - this.start;
    }
    return undefined;
  }

  #worthParsing(data: string): boolean {
    return ALWAYS.test(data) || (this.firstTokenMs === undefined && OUTPUT.test(data));
  }
}

/**
 * Markers of what the meter reads (usage, a finish, an error; and output until the first token),
 * spaced or compact, since OpenAI-compatible servers write JSON both ways.
 */
const ALWAYS = /"usage"\s*:\s*\{|"finish_reason"\s*:\s*"|"error"\s*:/;
const OUTPUT = /"(content|refusal|reasoning_content|reasoning|text)"\s*:\s*"[^"]|"tool_calls"|"function_call"/;

function hasOutput(delta: Record<string, unknown>): boolean {
  return !!(delta.content || delta.tool_calls || delta.reasoning_content || delta.reasoning || delta.refusal || delta.function_call);
}

/** The characters of output a choice of a chunk carries: content, reasoning, refusal, tool calls, or (legacy) Completions' text. */
function outputChars(text: unknown, delta: Record<string, unknown> | undefined): number {
  let chars = typeof text === 'string' ? text.length : 0;
  if (!delta) return chars;
  for (const field of ['content', 'reasoning_content', 'reasoning', 'refusal'] as const) {
    const value = delta[field];
    if (typeof value === 'string') chars += value.length;
  }
  if (Array.isArray(delta.tool_calls)) {
    for (const call of delta.tool_calls as { function?: { name?: unknown; arguments?: unknown } }[]) {
      if (typeof call?.function?.name === 'string') chars += call.function.name.length;
      if (typeof call?.function?.arguments === 'string') chars += call.function.arguments.length;
    }
  }
  return chars;
}
