import { GatewayError } from '../../http/errors';
import { isName, isNonNegativeInt, isPositiveInt, nullishOr, absentOr, isText } from '../../http/json-checks';

/** What an embeddings request may ask to embed: text, texts, a token array, or token arrays. */
export type EmbeddingsInput = string | string[] | number[] | number[][];

/** The fields of an Embeddings API request the gateway relies on; every other field passes through. */
export interface EmbeddingsRequest {
  model: string;
  input: EmbeddingsInput;
  encoding_format?: 'float' | 'base64' | null;
  dimensions?: number | null;
  user?: string;
  [field: string]: unknown;
}

const ENCODINGS: readonly unknown[] = ['float', 'base64'];

const invalid = (param: string, why: string) => new GatewayError('invalid_request', `Invalid value for '${param}': ${why}`, { param, code: 'invalid_value' });

/**
 * Checks an Embeddings API body, leniently (as OpenAI documents it, nothing more, so a newer
 * client's fields are not refused); a 400 naming the first bad field otherwise.
 *
 * @example
 * parseEmbeddingsRequest({ model: 'text-embedding-3-small', input: ['a', 'b'] });
 */
export function parseEmbeddingsRequest(body: Record<string, unknown>): EmbeddingsRequest {
  if (!isName(body.model)) throw invalid('model', 'expected a non-empty string.');
  checkInput(body.input);
  if (!nullishOr(body.encoding_format, (v) => ENCODINGS.includes(v))) throw invalid('encoding_format', "expected 'float' or 'base64'.");
  if (!nullishOr(body.dimensions, isPositiveInt)) throw invalid('dimensions', 'expected a positive integer.');
  if (!absentOr(body.user, isText)) throw invalid('user', 'expected a string.');
  return body as EmbeddingsRequest;
}

/** One input of the four shapes, never empty (OpenAI refuses empty strings and arrays, and so do the gateway's estimates). */
function checkInput(input: unknown): void {
  if (input === undefined || input === null) throw invalid('input', 'a string or an array is required.');
  if (typeof input === 'string') {
    if (input === '') throw invalid('input', 'expected a non-empty string.');
    return;
  }
  if (!Array.isArray(input)) throw invalid('input', 'expected a string, an array of strings, an array of tokens or an array of token arrays.');
  if (input.length === 0) throw invalid('input', 'expected a non-empty array.');
  const first: unknown = input[0];
  const item = typeof first === 'string' ? checkText : typeof first === 'number' ? checkToken : checkTokenArray;
  input.forEach((v: unknown, i) => item(v, `input[${i}]`));
}

function checkText(v: unknown, param: string): void {
  if (!isName(v)) throw invalid(param, 'expected a non-empty string, like the other items.');
}

function checkToken(v: unknown, param: string): void {
  if (!isNonNegativeInt(v)) throw invalid(param, 'expected a token (a non-negative integer), like the other items.');
}

function checkTokenArray(v: unknown, param: string): void {
  if (!Array.isArray(v)) throw invalid(param, 'expected a string, a token or an array of tokens.');
  if (v.length === 0) throw invalid(param, 'expected a non-empty array of tokens.');
  v.forEach((t: unknown, i) => checkToken(t, `${param}[${i}]`));
}
