/**
 * Thinking signatures on the Messages API surface. A thinking block's `signature` is Anthropic's
 * field, which Claude Code sends back to whatever model it talks to next, and Anthropic (or Claude
 * on Bedrock) verifies every one it gets. So Claude's signatures are written as they came, and
 * another family's (Gemini's thoughts, when a Messages API model entry is served by Gemini) are
 * marked (`aigw1:gemini:…`, `lib/canonical/signatures.ts`): the translating builders drop them by
 * their family, and the Anthropic passthrough leaves them out (`withoutGatewayThinking`).
 */
import { markSignature, MARK_PREFIX, readMark, type SignatureFamily } from '../../canonical/signatures';
import { toolLoopLacksThinking } from '../../providers/anthropic/content';

/**
 * A signature as a thinking block's `signature`: Claude's as it is, another family's marked.
 *
 * @example
 * thinkingSignature('CiQB', 'gemini') // 'aigw1:gemini:CiQB'
 * thinkingSignature('EqQB', 'claude') // 'EqQB'
 */
export function thinkingSignature(signature: string, signedBy: SignatureFamily | undefined): string {
  return signedBy === undefined || signedBy === 'claude' ? signature : markSignature(signedBy, signature);
}

/**
 * A thinking block's `signature` as the canonical signature and its family: marked, the family
 * it names; unmarked, Claude's (the field is Anthropic's, and what the gateway wrote there before
 * the mark was taken as Claude's too).
 *
 * @example
 * readThinkingSignature('aigw1:gemini:CiQB') // { signature: 'CiQB', signedBy: 'gemini' }
 * readThinkingSignature('aigw1:redacted') // { signature: '', signedBy: 'claude' }: dropped
 */
export function readThinkingSignature(signature: string): { signature: string; signedBy: SignatureFamily } {
  const mark = readMark(signature);
  if (mark) return { signature: mark.value, signedBy: mark.family };
  // A mark of no family (`aigw1:redacted`: a guardrail changed the text) signs nothing: left out like unsigned thinking.
  return signature.startsWith(MARK_PREFIX) ? { signature: '', signedBy: 'claude' } : { signature, signedBy: 'claude' };
}

type Block = { type?: unknown; signature?: unknown };
type Turn = { role?: unknown; content?: unknown };

/** A thinking block the gateway wrote that no Claude made: another family's (marked), or unsigned thinking (an empty signature). */
const isGatewayThinking = (block: unknown): boolean => {
  if (typeof block !== 'object' || block === null) return false;
  const { type, signature } = block as Block;
  return type === 'thinking' && typeof signature === 'string' && (signature === '' || signature.startsWith(MARK_PREFIX));
};
const hasGatewayThinking = (turn: unknown): boolean => Array.isArray((turn as Turn | null)?.content) && ((turn as { content: unknown[] }).content).some(isGatewayThinking);

/**
 * A Messages body bound for Anthropic or Claude on Bedrock unchanged, without the thinking blocks
 * Claude did not sign (Anthropic refuses them); when that leaves a tool loop's turn without
 * thinking while thinking is on, thinking is turned off for the request, as Anthropic's error
 * for it advises. Undefined when there are none, which is nearly always: the body then goes on as
 * its bytes, and this costs one pass over the turns with no copy.
 *
 * @example
 * withoutGatewayThinking({ model: 'claude-sonnet-4-6', messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 'aigw1:gemini:CiQB' }, { type: 'text', text: 'Hi' }] }] })
 * // → { model: 'claude-sonnet-4-6', messages: [{ role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }] }
 */
export function withoutGatewayThinking(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.some(hasGatewayThinking)) return undefined;
  const cleaned = messages.map((turn: unknown) => (hasGatewayThinking(turn) ? { ...(turn as object), content: ((turn as { content: unknown[] }).content).filter((b) => !isGatewayThinking(b)) } : turn));
  const kept = cleaned.filter((turn) => !(Array.isArray((turn as Turn).content) && ((turn as { content: unknown[] }).content).length === 0));
  const out: Record<string, unknown> = { ...body, messages: kept };
  const asBlocks = kept.map((t) => ({ role: (t as Turn).role, content: Array.isArray((t as Turn).content) ? ((t as { content: { type?: unknown }[] }).content) : [] }));
  if ((body.thinking as { type?: unknown } | undefined)?.type === 'enabled' && toolLoopLacksThinking(asBlocks)) delete out.thinking;
  return out;
}
