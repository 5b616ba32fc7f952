import { GatewayError } from '../../http/errors';
import { absentOr, isBoolean, isName, isObject, isPositiveInt, isText, nullishOr, within } from '../../http/json-checks';

/** The fields of a Responses API request the gateway relies on; every other field passes through (or is ignored when translating). */
export interface ResponsesRequest {
  model: string;
  input?: string | unknown[];
  instructions?: string | null;
  stream?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  tools?: Record<string, unknown>[];
  user?: string;
  [field: string]: unknown;
}

export const invalidField = (param: string, why: string) => new GatewayError('invalid_request', `Invalid value for '${param}': ${why}`, { param, code: 'invalid_value' });

/**
 * Checks a Responses API body, leniently: the top-level fields the gateway reads, with the types
 * OpenAI documents, so a newer client's fields are not refused. Input items are checked only by
 * the decoder, when the body is translated; a passthrough target judges them itself.
 *
 * @example
 * parseResponsesRequest({ model: 'gpt-4.1', input: 'Hello' });
 */
export function parseResponsesRequest(body: Record<string, unknown>): ResponsesRequest {
  if (!isName(body.model)) throw invalidField('model', 'expected a non-empty string.');
  if (!absentOr(body.input, (v) => isText(v) || (Array.isArray(v) && v.every(isObject)))) throw invalidField('input', 'expected a string or an array of input items.');
  if (!nullishOr(body.instructions, isText)) throw invalidField('instructions', 'expected a string.');
  if (!nullishOr(body.stream, isBoolean)) throw invalidField('stream', 'expected a boolean.');
  if (!nullishOr(body.max_output_tokens, isPositiveInt)) throw invalidField('max_output_tokens', 'expected a positive integer.');
  if (!nullishOr(body.temperature, within(0, 2))) throw invalidField('temperature', 'expected a number from 0 to 2.');
  if (!nullishOr(body.top_p, within(0, 1))) throw invalidField('top_p', 'expected a number from 0 to 1.');
  if (!absentOr(body.tools, (v) => Array.isArray(v) && v.every((t) => isObject(t) && isName(t.type)))) throw invalidField('tools', 'expected an array of tools, each with a type.');
  if (!nullishOr(body.user, isText)) throw invalidField('user', 'expected a string.');
  // Passed through, a background run would start and be billed, but the gateway serves no
  // `GET /v1/responses/{id}` to poll it, and its answer (queued, no usage) would book nothing
  // against the key's limits: refused for every target.
  if (body.background === true) {
    throw new GatewayError(
      'invalid_request',
      'Background responses are not supported through this gateway: they are fetched with GET /v1/responses/{id}, which it does not serve, and their usage could not be recorded. Send the call without `background` (streamed, if it runs long).',
      { param: 'background', code: 'unsupported_parameter' },
    );
  }
  return body as ResponsesRequest;
}
