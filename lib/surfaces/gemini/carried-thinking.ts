import type { RedactedThinkingPart, ThinkingPart } from '../../canonical/types';

type Thought = ThinkingPart | RedactedThinkingPart;

/** Base64 of `{"aigw":1`: every carried signature starts with it, and no Gemini signature does. */
const MARK = 'eyJhaWd3Ijox';

/**
 * Signed thinking (Anthropic's, Bedrock's) packed into the thoughtSignature of the turn's first
 * function call, so that it comes back in the next request. Why: Anthropic refuses a tool loop
 * whose assistant turn lost its thinking while thinking is on, and Gemini CLI keeps no thought
 * parts in its history, only the signature on a function call (which Gemini 3 requires back).
 * The blob is base64 of JSON, valid bytes wherever Gemini's API reads one.
 *
 * @example
 * carriedThinking(carryThinking([{ type: 'thinking', text: 'Hmm', signature: 's' }])) // [{ type: 'thinking', text: 'Hmm', signature: 's' }]
 */
export function carryThinking(thoughts: readonly Thought[]): string | undefined {
  const signed = thoughts.filter((t) => t.type === 'redacted_thinking' || t.signature);
  return signed.length === 0 ? undefined : Buffer.from(JSON.stringify({ aigw: 1, thinking: signed })).toString('base64');
}

/** The thinking a signature carries, when `carryThinking` made it; undefined for any other signature. */
export function carriedThinking(signature: string): Thought[] | undefined {
  if (!signature.startsWith(MARK)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(signature, 'base64').toString('utf8')) as { thinking?: unknown };
    if (!Array.isArray(value.thinking)) return undefined;
    return value.thinking.flatMap((t: unknown): Thought[] => {
      const part = t as Record<string, unknown>;
      if (part.type === 'thinking' && typeof part.text === 'string' && typeof part.signature === 'string') return [{ type: 'thinking', text: part.text, signature: part.signature }];
      if (part.type === 'redacted_thinking' && typeof part.data === 'string') return [{ type: 'redacted_thinking', data: part.data }];
      return [];
    });
  } catch {
    return undefined;
  }
}
