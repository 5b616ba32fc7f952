import { GatewayError } from '../http/errors';

/**
 * How one client API names the fields of the canonical request, most specific first: a pattern
 * over a canonical (Chat Completions) path and its replacement, as `String.replace` takes it.
 * Translators name what they refuse in the canonical vocabulary; each surface that is not Chat
 * Completions declares its table so the client reads a field of the body it sent.
 */
export type FieldTable = readonly (readonly [canonical: RegExp, client: string])[];

/**
 * `param` as the table's client names it; a path the table does not know is returned as it is.
 *
 * @example
 * clientField([[/^max_tokens$/, 'max_output_tokens']], 'max_tokens') // → 'max_output_tokens'
 */
export function clientField(table: FieldTable, param: string): string {
  for (const [canonical, client] of table) if (canonical.test(param)) return param.replace(canonical, client);
  return param;
}

/**
 * `err` naming its field as the client wrote it: its `param`, and the field where the message
 * quotes it (the message is what a person reads to find the field, and the only place some
 * clients' error bodies name it). Anything else kept.
 */
export function inClientFields(table: FieldTable, err: GatewayError): GatewayError {
  if (err.param === undefined) return err;
  const param = clientField(table, err.param);
  if (param === err.param) return err;
  return new GatewayError(err.kind, quotedAs(err.message, err.param, param), {
    param,
    ...(err.code !== undefined ? { code: err.code } : {}),
    status: err.status,
    headers: err.headers,
    ...(err.detail !== undefined ? { detail: err.detail } : {}),
    cause: err,
  });
}

/**
 * `message` with whole quotations of `from` replaced: a short name (`stop`) also occurs inside a
 * longer word or path, which stay; a full stop after it ends the sentence, not the path. A name
 * that is one word is also a word of the sentence ("More than 4 stop sequences"): it is taken for
 * the field only where it reads as one, in quotes, first in the message, or ending a clause.
 */
function quotedAs(message: string, from: string, to: string): string {
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const quotation = /[.[]/.test(from)
    ? `(?<![\\w.\\]])${escaped}(?!\\w|\\.\\w|\\[)`
    : `(?<=[\`'"])${escaped}(?=[\`'"])|^${escaped}(?![\\w.[])|(?<![\\w.\\]])${escaped}(?=[.,;:)](?!\\w)|$)`;
  return message.replace(new RegExp(quotation, 'g'), () => to);
}
