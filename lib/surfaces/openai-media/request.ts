import { GatewayError } from '../../http/errors';
import { absentOr, isName, isText } from '../../http/json-checks';
import { multipartBoundary, multipartFields, multipartParts } from '../../http/multipart';
import type { GatewayRequest } from '../../http/types';

const invalid = (param: string, why: string) => new GatewayError('invalid_request', `Invalid value for '${param}': ${why}`, { param, code: 'invalid_value' });

/**
 * The text fields of a multipart upload (`model`, `response_format`, `stream`…) as the body the
 * pipeline reads; the files stay in the raw bytes, which go upstream as they came.
 */
export function multipartRequestFields(raw: Uint8Array, req: GatewayRequest): Record<string, unknown> {
  const contentType = req.headers['content-type'];
  const boundary = multipartBoundary(contentType);
  if (!boundary) throw new GatewayError('invalid_request', `This endpoint takes a multipart/form-data upload with a boundary; the request's content-type is ${contentType ?? 'missing'}.`, { code: 'invalid_content_type' });
  const parts = multipartParts(raw, boundary);
  // The fields the gateway reads route and meter the call: given twice (or as a file), an upstream that reads another one than the first would be served what was never checked.
  for (const name of READ_FIELDS) {
    if (parts.filter((p) => p.name === name).length > 1) throw invalid(name, 'given more than once in the upload.');
  }
  return multipartFields(raw, parts);
}

// `n` too: an image call is held and charged per image by it (`imagesAsked`).
const READ_FIELDS = ['model', 'stream', 'n'];

/** The one field the gateway needs of every media call: its model, which routes it. */
export function checkMediaModel(body: Record<string, unknown>): void {
  if (!isName(body.model)) throw invalid('model', 'the gateway routes by model: a non-empty string is required.');
}

/** Image generation: a model and a prompt; every other field passes through. */
export function checkImageGeneration(body: Record<string, unknown>): void {
  checkMediaModel(body);
  if (!isText(body.prompt)) throw invalid('prompt', 'expected a string.');
}

/** Speech: a model and the text to speak. */
export function checkSpeech(body: Record<string, unknown>): void {
  checkMediaModel(body);
  if (!isText(body.input)) throw invalid('input', 'expected a string.');
  if (!absentOr(body.stream_format, isText)) throw invalid('stream_format', 'expected a string.');
}

/** Moderation: a model (the gateway routes by it, where OpenAI has a default) and the input. */
export function checkModeration(body: Record<string, unknown>): void {
  checkMediaModel(body);
  if (body.input === undefined || body.input === null) throw invalid('input', 'a string, an array of strings or an array of content parts is required.');
}

/** Multipart fields are text: `stream` is on when it reads `true`, as OpenAI reads it. */
export const streamField = (body: Record<string, unknown>): boolean => body.stream === 'true';
