import { multipartBoundary, multipartParts, withMultipartField } from '../../http/multipart';
import { jsonPost, type UpstreamRequest } from '../../upstream/http';
import { openAIPassthroughBody, type OpenAIChatCall, type OperationTarget } from './request';

/**
 * The upstream request of an image, audio or moderation call passed through: the client's body
 * with only the model swapped (or removed where the URL names the deployment), a JSON body as
 * chat's is (but never with `stream_options`, which these APIs do not take), a multipart upload
 * rewritten in its `model` part alone, its files going on byte for byte under the client's boundary.
 *
 * @example
 * openAIMediaRequest(call, openAIOperationTarget(call, 'audio/transcriptions'), 'multipart/form-data; boundary=x');
 */
export function openAIMediaRequest(call: OpenAIChatCall, target: OperationTarget, contentType: string | undefined): UpstreamRequest {
  const boundary = multipartBoundary(contentType);
  const body = boundary ? multipartBody(call, target, boundary) : openAIPassthroughBody({ ...call, stream: false }, target.modelInBody);
  const request = jsonPost(target.url, body, { stream: call.stream, accountHeaders: call.account.headers, auth: target.auth, timeouts: call.timeouts, signal: call.signal });
  if (boundary) request.headers['content-type'] = contentType!;
  // Speech answers audio bytes: asking for JSON only would be a lie an upstream might act on.
  if (!call.stream) request.headers.accept = '*/*';
  return request;
}

function multipartBody(call: OpenAIChatCall, target: OperationTarget, boundary: string): Uint8Array {
  const raw = call.raw!;
  if (target.modelInBody && call.body.model === call.model) return raw;
  return withMultipartField(raw, multipartParts(raw, boundary), 'model', target.modelInBody ? call.model : undefined);
}
