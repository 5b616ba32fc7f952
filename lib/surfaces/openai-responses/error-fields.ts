import { GatewayError } from '../../http/errors';

/**
 * Chat Completions' names of fields and the Responses API's for the same field, most specific
 * first. Translators name what they refuse in the canonical request's vocabulary, which is Chat
 * Completions' (`response_format.json_schema.schema`, `tools[0].function.parameters`,
 * `max_tokens`); a Responses client sent `text.format.schema`, `tools[0].parameters` and
 * `max_output_tokens`, and its `param` must point into its own body.
 */
const RESPONSES_FIELDS: readonly (readonly [chat: RegExp, responses: string])[] = [
  [/^response_format\.json_schema(?=\.|$)/, 'text.format'],
  [/^response_format(?=\.|$)/, 'text.format'],
  // Responses function tools are flat: no `function` object around the name and parameters.
  [/^(tools\[\d+\])\.function(?=\.|$)/, '$1'],
  [/^max_tokens$/, 'max_output_tokens'],
  // The canonical messages are not the input items one to one (instructions join the system
  // prompt, calls join the assistant turn, results a user turn): an index would point at another
  // item, so the field named is the input itself.
  [/^messages(?:\[\d+\].*)?$/, 'input'],
];

/**
 * A field path as a Responses client names it; a path of another name is returned as it is.
 *
 * @example
 * responsesField('response_format.json_schema.schema') // → 'text.format.schema'
 */
export function responsesField(param: string): string {
  for (const [chat, responses] of RESPONSES_FIELDS) if (chat.test(param)) return param.replace(chat, responses);
  return param;
}

/**
 * `err` naming its field as the Responses client wrote it: its `param`, and the field where the
 * message quotes it (the message is what a person reads to find the field). Anything else kept.
 */
export function inResponsesFields(err: GatewayError): GatewayError {
  if (err.param === undefined) return err;
  const param = responsesField(err.param);
  if (param === err.param) return err;
  return new GatewayError(err.kind, err.message.split(err.param).join(param), {
    param,
    ...(err.code !== undefined ? { code: err.code } : {}),
    status: err.status,
    headers: err.headers,
    ...(err.detail !== undefined ? { detail: err.detail } : {}),
    cause: err,
  });
}
