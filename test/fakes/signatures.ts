/**
 * The shapes of each family's reasoning signatures, as the fakes make and check them. Real
 * providers verify signatures cryptographically and refuse any they did not make; the fakes
 * stand in for that by shape, which is what tells the families apart in practice: Claude's
 * (Anthropic's and Bedrock's, one family) are base64 protobuf starting `E`, and the Anthropic
 * fake's defaults start `Sig`; OpenAI's reasoning `encrypted_content` is a Fernet token (`gAAAAA…`);
 * Gemini's are base64 of other shapes. What the gateway writes is marked (`aigw1:`, or base64 of
 * `{"aigw":1…`, `eyJhaWd3Ijox`), which no provider makes.
 */
import { randomAlnum } from './http';

/** Google's documented stand-ins for a thought signature Gemini did not make (or that was lost). */
const GEMINI_STAND_INS = new Set(['skip_thought_signature_validator', 'context_engineering_is_the_way_to_go']);

/** A signature Claude (the Anthropic or Bedrock fake) made, or would have. */
export const isClaudeSignature = (value: string): boolean => /^(E|Sig|SIG)[A-Za-z0-9+/]*={0,2}$/.test(value);

/** A reasoning item's encrypted content as OpenAI makes it: a Fernet token. */
export const openAIEncryptedContent = (): string => `gAAAAABp${randomAlnum(80)}`;

/** Encrypted content OpenAI (the OpenAI or Azure fake) made, or would have. */
export const isOpenAIEncrypted = (value: string): boolean => /^gAAAAA[A-Za-z0-9_=-]+$/.test(value);

/** A thought signature Gemini made (or one of its documented stand-ins): base64 of no other family's shape, not the gateway's. */
export function isGeminiSignature(value: string): boolean {
  if (GEMINI_STAND_INS.has(value)) return true;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && !isClaudeSignature(value) && !value.startsWith('gAAAAA') && !value.startsWith('eyJhaWd3Ijox');
}
