/**
 * What the gateway writes into a reasoning item's `encrypted_content` when it translates, and how
 * it reads one back. The field is OpenAI's, and OpenAI decrypts whatever arrives in it, so what
 * the gateway puts there is marked with the family that made it (`lib/canonical/signatures.ts`):
 *
 * | carries | written | read back from before the mark |
 * |---|---|---|
 * | a thinking signature | `aigw1:<family>:<signature>` | plain: Claude's (OpenAI's when it is a Fernet token) |
 * | Claude's redacted thinking | `aigw1:claude:redacted_thinking:<data>` | `redacted_thinking:<data>` |
 * | a function call's signature | `aigw1:<family>:tool_call_signature:<signature>` | `tool_call_signature:<signature>`: Gemini's |
 * | unsigned thinking (its summary only) | `aigw1:unsigned` | no `encrypted_content` |
 *
 * Unsigned thinking is marked too, so that the passthrough can leave it out: OpenAI looks a
 * reasoning item without encrypted content up by its id among its stored items, and refuses it.
 * Signatures are base64, which has no colon, so the kind after the family is never ambiguous.
 */
import { looksLikeOpenAIEncrypted, markSignature, MARK_PREFIX, readMark, type SignatureFamily } from '../../canonical/signatures';

/** The kind of a reasoning item that carries redacted thinking, behind the mark (and, unmarked, from before it). */
export const REDACTED_THINKING = 'redacted_thinking:';

/**
 * The kind of a reasoning item that carries the signature of the function call after it (Gemini's
 * thoughtSignature, which the Responses API's function_call items have no field for, and which
 * Gemini wants back with its call).
 */
export const TOOL_CALL_SIGNATURE = 'tool_call_signature:';

/** What one reasoning item's `encrypted_content` carries. */
export type CarriedReasoning =
  | { kind: 'thinking'; signature: string; signedBy: SignatureFamily }
  | { kind: 'redacted'; data: string }
  | { kind: 'call_signature'; signature: string; signedBy: SignatureFamily }
  | { kind: 'unsigned' };

const UNSIGNED = `${MARK_PREFIX}unsigned`;

/**
 * The `encrypted_content` the gateway writes for what it carries.
 *
 * @example
 * writeEncryptedContent({ kind: 'thinking', signature: 'EqQB', signedBy: 'claude' }) // 'aigw1:claude:EqQB'
 * writeEncryptedContent({ kind: 'redacted', data: 'EmwK' }) // 'aigw1:claude:redacted_thinking:EmwK'
 */
export function writeEncryptedContent(carried: CarriedReasoning): string {
  switch (carried.kind) {
    case 'thinking':
      return markSignature(carried.signedBy, carried.signature);
    case 'redacted':
      return markSignature('claude', REDACTED_THINKING + carried.data);
    case 'call_signature':
      return markSignature(carried.signedBy, TOOL_CALL_SIGNATURE + carried.signature);
    case 'unsigned':
      return UNSIGNED;
  }
}

/**
 * What an `encrypted_content` carries: the gateway's marked forms, its unmarked ones from before
 * the mark, or OpenAI's own (a Fernet token, replayed after a switch from an OpenAI model).
 *
 * @example
 * readEncryptedContent('aigw1:gemini:tool_call_signature:CiQB') // { kind: 'call_signature', signature: 'CiQB', signedBy: 'gemini' }
 * readEncryptedContent('gAAAAABo…') // { kind: 'thinking', signature: 'gAAAAABo…', signedBy: 'openai' }
 */
export function readEncryptedContent(value: string): CarriedReasoning {
  const mark = readMark(value);
  // A mark without a family this code knows (`aigw1:unsigned`, or a later version's) carries nothing it can replay.
  if (!mark && value.startsWith(MARK_PREFIX)) return { kind: 'unsigned' };
  const body = mark?.value ?? value;
  if (body.startsWith(REDACTED_THINKING)) return { kind: 'redacted', data: body.slice(REDACTED_THINKING.length) };
  if (body.startsWith(TOOL_CALL_SIGNATURE)) return { kind: 'call_signature', signature: body.slice(TOOL_CALL_SIGNATURE.length), signedBy: mark?.family ?? 'gemini' };
  if (mark) return { kind: 'thinking', signature: mark.value, signedBy: mark.family };
  return { kind: 'thinking', signature: value, signedBy: looksLikeOpenAIEncrypted(value) ? 'openai' : 'claude' };
}

/**
 * Whether the gateway wrote this `encrypted_content`, so OpenAI cannot decrypt it: anything that
 * is not OpenAI's Fernet token. Marked values, and unmarked ones from before the mark (Claude's
 * and Gemini's signatures as they came, `redacted_thinking:`, `tool_call_signature:`) alike.
 */
export const isGatewayEncrypted = (value: string): boolean => !looksLikeOpenAIEncrypted(value);

const isGatewayReasoning = (item: unknown): boolean => {
  if (typeof item !== 'object' || item === null) return false;
  const { type, encrypted_content: encrypted } = item as { type?: unknown; encrypted_content?: unknown };
  return type === 'reasoning' && typeof encrypted === 'string' && isGatewayEncrypted(encrypted);
};

/**
 * A Responses body bound for OpenAI (or Azure) unchanged, without the reasoning items the gateway
 * wrote when it translated earlier turns for another family: OpenAI would refuse them (it cannot
 * decrypt them). Undefined when there are none, which is nearly always: the body then goes on as
 * its bytes, and this costs one pass over `input` with no copy.
 *
 * @example
 * withoutGatewayReasoning({ model: 'gpt-5', input: [{ type: 'reasoning', summary: [], encrypted_content: 'aigw1:claude:EqQB' }, { role: 'user', content: 'Go on' }] })
 * // → { model: 'gpt-5', input: [{ role: 'user', content: 'Go on' }] }
 */
export function withoutGatewayReasoning(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const input = body.input;
  if (!Array.isArray(input) || !input.some(isGatewayReasoning)) return undefined;
  return { ...body, input: input.filter((item) => !isGatewayReasoning(item)) };
}
