import type { RedactedThinkingPart, SignatureFamily, ThinkingPart } from '../../canonical/types';
import { geminiMajorVersion, SKIP_SIGNATURE } from '../../providers/gemini/contents';

type Thought = ThinkingPart | RedactedThinkingPart;

/** Base64 of `{"aigw":1`: every thoughtSignature the gateway writes starts with it, and no Gemini signature does. */
const MARK = 'eyJhaWd3Ijox';

const FAMILIES: ReadonlySet<unknown> = new Set<SignatureFamily>(['claude', 'gemini', 'openai']);
const familyOr = (value: unknown, fallback: SignatureFamily): SignatureFamily => (FAMILIES.has(value) ? (value as SignatureFamily) : fallback);
const blob = (value: object): string => Buffer.from(JSON.stringify({ aigw: 1, ...value })).toString('base64');

/**
 * Signed thinking (Anthropic's, Bedrock's) packed into the thoughtSignature of the turn's first
 * function call, so that it comes back in the next request. Why: Anthropic refuses a tool loop
 * whose assistant turn lost its thinking while thinking is on, and Gemini CLI keeps no thought
 * parts in its history, only the signature on a function call (which Gemini 3 requires back).
 * The blob is base64 of JSON, valid bytes wherever Gemini's API reads one, and marked as the
 * gateway's (a real Gemini would refuse it: see `withoutGatewaySignatures`). Each thought keeps
 * who signed it (`signedBy`; blobs from before it were all Claude's).
 *
 * @example
 * carriedThinking(carryThinking([{ type: 'thinking', text: 'Hmm', signature: 's', signedBy: 'claude' }])) // [{ type: 'thinking', text: 'Hmm', signature: 's', signedBy: 'claude' }]
 */
export function carryThinking(thoughts: readonly Thought[]): string | undefined {
  const signed = thoughts.filter((t) => t.type === 'redacted_thinking' || t.signature);
  return signed.length === 0 ? undefined : blob({ thinking: signed });
}

/**
 * Another family's signature on a thought part (Claude's), as a thoughtSignature: marked as the
 * gateway's, with who made it, so neither a Gemini upstream nor the gateway takes it for Gemini's.
 *
 * @example
 * readGatewaySignature(markThoughtSignature('claude', 'EqQB')) // { signature: 'EqQB', signedBy: 'claude' }
 */
export function markThoughtSignature(signedBy: SignatureFamily, signature: string): string {
  return blob({ by: signedBy, signature });
}

/**
 * What takes the place of a gateway thoughtSignature (a carried blob, a marked signature) once a
 * guardrail on answers redacted the thinking it covers: still the gateway's (so the passthrough
 * replaces or drops it), but carrying no thinking and no signature, so the thinking is left out
 * when it comes back.
 */
export const REDACTED_THOUGHT_SIGNATURE = blob({ redacted: true });

/** Whether the gateway wrote this thoughtSignature (a carried blob or a marked signature). */
export const isGatewaySignature = (value: string): boolean => value.startsWith(MARK);

function readBlob(signature: string): Record<string, unknown> | undefined {
  if (!isGatewaySignature(signature)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(signature, 'base64').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The thinking a signature carries, when `carryThinking` made it; undefined for any other signature. */
export function carriedThinking(signature: string): Thought[] | undefined {
  const value = readBlob(signature);
  if (!Array.isArray(value?.thinking)) return undefined;
  return value.thinking.flatMap((t: unknown): Thought[] => {
    const part = t as Record<string, unknown>;
    if (part.type === 'thinking' && typeof part.text === 'string' && typeof part.signature === 'string') {
      return [{ type: 'thinking', text: part.text, signature: part.signature, signedBy: familyOr(part.signedBy, 'claude') }];
    }
    if (part.type === 'redacted_thinking' && typeof part.data === 'string') return [{ type: 'redacted_thinking', data: part.data }];
    return [];
  });
}

/** The signature `markThoughtSignature` marked, with who made it; undefined for any other value. */
export function readGatewaySignature(value: string): { signature: string; signedBy: SignatureFamily } | undefined {
  const read = readBlob(value);
  return typeof read?.signature === 'string' ? { signature: read.signature, signedBy: familyOr(read.by, 'claude') } : undefined;
}

type Part = Record<string, unknown>;
const isMarkedPart = (part: unknown): boolean => typeof part === 'object' && part !== null && typeof (part as Part).thoughtSignature === 'string' && isGatewaySignature((part as Part).thoughtSignature as string);
const hasMarkedPart = (content: unknown): boolean => Array.isArray((content as { parts?: unknown } | null)?.parts) && ((content as { parts: unknown[] }).parts).some(isMarkedPart);

/**
 * A Gemini body bound for a Gemini upstream unchanged, without the thoughtSignatures the gateway
 * wrote while another family answered (a real Gemini refuses a signature it did not make): on a
 * function call it is replaced by Google's documented stand-in on Gemini 3 (which requires one on
 * the first call of a step) and removed on earlier models; a thought part that carried one is dropped
 * (Gemini takes no other family's thoughts). Undefined when there are none, which is nearly
 * always: the body then goes on as its bytes, and this costs one pass over the parts with no copy.
 *
 * @example
 * withoutGatewaySignatures({ contents: [{ role: 'model', parts: [{ functionCall: { name: 'ls', args: {} }, thoughtSignature: carryThinking(thoughts) }] }] }, 'gemini-3-pro-preview')
 * // → { contents: [{ role: 'model', parts: [{ functionCall: { name: 'ls', args: {} }, thoughtSignature: 'skip_thought_signature_validator' }] }] }
 */
export function withoutGatewaySignatures(body: Record<string, unknown>, model: string): Record<string, unknown> | undefined {
  const contents = body.contents;
  if (!Array.isArray(contents) || !contents.some(hasMarkedPart)) return undefined;
  const standIn = geminiMajorVersion(model) >= 3 ? { thoughtSignature: SKIP_SIGNATURE } : {};
  const cleaned = contents.flatMap((content: unknown) => {
    if (!hasMarkedPart(content)) return [content];
    const parts = (content as { parts: unknown[] }).parts.flatMap((part: unknown) => {
      if (!isMarkedPart(part)) return [part];
      const { thoughtSignature: _dropped, ...rest } = part as Part;
      if (rest.thought === true) return [];
      return [rest.functionCall !== undefined ? { ...rest, ...standIn } : rest];
    });
    return parts.length > 0 ? [{ ...(content as Part), parts }] : [];
  });
  return { ...body, contents: cleaned };
}
