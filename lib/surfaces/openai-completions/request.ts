import { GatewayError } from '../../http/errors';
import { absentOr, isBoolean, isName, isNonNegativeInt, isObject, isPositiveInt, isText, nullishOr } from '../../http/json-checks';

/** What a completions prompt may be: text, texts, a token array, or token arrays (as embeddings' input). */
export type CompletionsPrompt = string | string[] | number[] | number[][];

/** The fields of a (legacy) Completions API request the gateway relies on; every other field (suffix, echo, logprobs, stop …) passes through. */
export interface CompletionsRequest {
  model: string;
  prompt: CompletionsPrompt;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  n?: number | null;
  best_of?: number | null;
  user?: string;
  [field: string]: unknown;
}

const invalid = (param: string, why: string) => new GatewayError('invalid_request', `Invalid value for '${param}': ${why}`, { param, code: 'invalid_value' });

/**
 * Checks a Completions API body (the one code-completion clients use for fill-in-the-middle,
 * `prompt` + `suffix`), leniently: only the fields the gateway reads, as OpenAI documents them,
 * so a server-specific field is never refused; a 400 naming the first bad field otherwise.
 *
 * @example
 * parseCompletionsRequest({ model: 'qwen2.5-coder', prompt: 'def add(a, b):', suffix: '\n', max_tokens: 64 });
 */
export function parseCompletionsRequest(body: Record<string, unknown>): CompletionsRequest {
  if (!isName(body.model)) throw invalid('model', 'expected a non-empty string.');
  checkPrompt(body.prompt);
  if (!nullishOr(body.stream, isBoolean)) throw invalid('stream', 'expected a boolean.');
  if (!nullishOr(body.stream_options, isObject)) throw invalid('stream_options', 'expected an object.');
  if (!nullishOr(body.max_tokens, isNonNegativeInt)) throw invalid('max_tokens', 'expected a non-negative integer.');
  if (!nullishOr(body.n, isPositiveInt)) throw invalid('n', 'expected a positive integer.');
  if (!nullishOr(body.best_of, isPositiveInt)) throw invalid('best_of', 'expected a positive integer.');
  if (!absentOr(body.user, isText)) throw invalid('user', 'expected a string.');
  return body as CompletionsRequest;
}

/** A prompt of the four shapes; an empty string is a prompt (the model starts from nothing), an empty array is not. */
function checkPrompt(prompt: unknown): void {
  if (prompt === undefined || prompt === null) throw invalid('prompt', 'a string or an array is required.');
  if (typeof prompt === 'string') return;
  if (!Array.isArray(prompt)) throw invalid('prompt', 'expected a string, an array of strings, an array of tokens or an array of token arrays.');
  if (prompt.length === 0) throw invalid('prompt', 'expected a non-empty array.');
  const first: unknown = prompt[0];
  prompt.forEach((v: unknown, i) => {
    const param = `prompt[${i}]`;
    if (typeof first === 'string') {
      if (!isText(v)) throw invalid(param, 'expected a string, like the other items.');
    } else if (typeof first === 'number') {
      if (!isNonNegativeInt(v)) throw invalid(param, 'expected a token (a non-negative integer), like the other items.');
    } else if (!Array.isArray(v) || v.length === 0 || !v.every(isNonNegativeInt)) {
      throw invalid(param, 'expected a non-empty array of tokens.');
    }
  });
}
