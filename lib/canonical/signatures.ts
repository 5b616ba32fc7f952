/**
 * Whose signature is it. Providers sign their reasoning and want it back unchanged, but only
 * their own: Anthropic refuses a thinking `signature` it did not make (Claude on Bedrock makes
 * and takes the same ones), Gemini a `thoughtSignature`, OpenAI an `encrypted_content`. A
 * conversation that moves between families (a client's model switch, a failover) carries the
 * others' along, so every signature in the canonical form says who made it (`signedBy`), and each
 * request builder keeps only its own family's.
 *
 * Where the gateway writes a signature into a field a client sends back, and that field belongs
 * to a dialect whose own provider would read it (a Responses `encrypted_content`, an Anthropic
 * thinking `signature`), it marks it: `aigw1:<family>:<signature>`. A signature of the field's
 * own family written by its own provider (OpenAI's encrypted content, Claude's signature on the
 * Messages API) is left as it is.
 */

/** The families whose signatures only they can read. */
export type SignatureFamily = 'claude' | 'gemini' | 'openai';

const FAMILIES: ReadonlySet<string> = new Set<SignatureFamily>(['claude', 'gemini', 'openai']);

/** The mark's version and separator; a mark is `aigw1:<family>:`. */
export const MARK_PREFIX = 'aigw1:';

/**
 * The family whose signatures a provider type reads and writes; undefined for those that take
 * none (OpenAI-compatible servers' Chat Completions).
 *
 * @example
 * familyOfProvider('bedrock') // 'claude'
 */
export function familyOfProvider(type: string): SignatureFamily | undefined {
  switch (type) {
    case 'anthropic':
    case 'bedrock':
      return 'claude';
    case 'gemini':
      return 'gemini';
    case 'openai':
    case 'azure-openai':
      return 'openai';
    default:
      return undefined;
  }
}

/**
 * Whether a signature made by `signedBy` may go to a provider of `family`. An unmarked signature
 * from before the mark existed (`signedBy` undefined) is taken as the old code took it: as the
 * family its field belonged to, which the decoder that read it has already settled where it could.
 *
 * @example
 * isOwnSignature('gemini', 'claude') // false
 * isOwnSignature(undefined, 'claude') // true
 */
export function isOwnSignature(signedBy: SignatureFamily | undefined, family: SignatureFamily): boolean {
  return signedBy === undefined || signedBy === family;
}

/**
 * What the gateway writes in place of a signature whose text a guardrail on answers redacted:
 * the signature no longer covers the text, and the provider would refuse the conversation's next
 * turn. Read back it carries nothing (no family: `readMark` takes it for none), so the thinking is
 * left out as unsigned thinking is, and a tool loop that needs it goes on without thinking.
 */
export const REDACTED_SIGNATURE = `${MARK_PREFIX}redacted`;

/**
 * A signature marked with its family, for a field a client sends back.
 *
 * @example
 * markSignature('gemini', 'CiQB0e2K') // 'aigw1:gemini:CiQB0e2K'
 */
export function markSignature(family: SignatureFamily, value: string): string {
  return `${MARK_PREFIX}${family}:${value}`;
}

/**
 * The family and value of a marked signature; undefined for a value the gateway did not mark
 * (or marked with a family it does not know, which no version of it wrote).
 *
 * @example
 * readMark('aigw1:claude:EqQB') // { family: 'claude', value: 'EqQB' }
 * readMark('EqQB') // undefined
 */
export function readMark(value: string): { family: SignatureFamily; value: string } | undefined {
  if (!value.startsWith(MARK_PREFIX)) return undefined;
  const end = value.indexOf(':', MARK_PREFIX.length);
  if (end < 0) return undefined;
  const family = value.slice(MARK_PREFIX.length, end);
  return FAMILIES.has(family) ? { family: family as SignatureFamily, value: value.slice(end + 1) } : undefined;
}

/**
 * OpenAI's reasoning `encrypted_content` is a Fernet token, which always starts with its version
 * byte 0x80 and a timestamp's leading zeros (`gAAAAA` in base64url); no Claude or Gemini signature
 * does (theirs are protobuf, starting `E` and `C`). So an unmarked value of that shape is
 * provably OpenAI's, even from before the mark.
 */
export const looksLikeOpenAIEncrypted = (value: string): boolean => value.startsWith('gAAAAA');
