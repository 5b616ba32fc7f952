import type { TokenUsage } from '../../usage/tokens';
import { usageFromOpenAI } from './usage';

/** What the gateway learns from an OpenAI chunk stream on the side while passing it on. */
export class OpenAIStreamMeter {
  usage: TokenUsage | undefined;
  finishReason: string | undefined;
  /** ms from `start` to the first chunk that carried output. */
  firstTokenMs: number | undefined;
  sawDone = false;
  upstreamError: string | undefined;

  /** `start` and `now` are `performance.now()` readings unless a test clock is given. */
  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
  ) {}

  /**
   * Reads one event's data. Returns `'usage-only'` for the extra usage chunk (no choices), so a
   * caller that did not ask for it can drop it.
   */
  observe(data: string): 'usage-only' | undefined {
    if (data === '[DONE]') {
      this.sawDone = true;
      return undefined;
    }
    let chunk: {
      choices?: { delta?: Record<string, unknown> | null; finish_reason?: string | null }[];
      usage?: unknown;
      error?: { message?: string };
    };
    try {
      chunk = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (chunk.error) this.upstreamError = chunk.error.message ?? 'upstream error';
    const usage = usageFromOpenAI(chunk.usage);
    if (usage) this.usage = usage;
    const choices = chunk.choices;
    if (!choices || choices.length === 0) return usage ? 'usage-only' : undefined;
    for (const c of choices) {
      if (c.finish_reason) this.finishReason = c.finish_reason;
      if (this.firstTokenMs === undefined && c.delta && hasOutput(c.delta)) this.firstTokenMs = this.now() - this.start;
    }
    return undefined;
  }
}

function hasOutput(delta: Record<string, unknown>): boolean {
  return !!(delta.content || delta.tool_calls || delta.reasoning_content || delta.reasoning || delta.refusal || delta.function_call);
}
