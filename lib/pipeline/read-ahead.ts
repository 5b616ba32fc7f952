/**
 * A whole (not streamed) upstream answer read while its attempt is still open, so that an answer
 * that breaks off fails over to the next account like a connection that failed: nothing of it has
 * reached the client (one that outgrows its bound is refused here too, and ends the request). A streamed answer is relayed as it comes and
 * cannot be taken back; it is never read ahead, only held until its first event, which may be the upstream's error.
 */
import { GatewayError } from '../http/errors';
import type { UpstreamResponse } from '../upstream/http';
import type { RequestContext } from './context';
import { firstAudioInHand, isRawMedia } from './raw-media';
import { earlyElementFailure, earlyFailure, earlyFrameFailure } from './upstream-error-events';
import { isAwsEventStream, isEventStream } from '../upstream/answer-start';

/**
 * Whether an answer that succeeded is read whole by its writer: any answer to a call that is not
 * a stream, and a JSON one to a call that is (an upstream that answered a stream request with one
 * body), but not raw audio (relayed as it comes) nor Gemini's JSON array (a stream in
 * `application/json`). An answer left out here is still read whole by its writer, only too late
 * to fail over.
 *
 * @example
 * readsWhole({ 'content-type': 'application/json' }, { stream: false }) // true
 * readsWhole({ 'content-type': 'text/event-stream' }, { stream: true }) // false
 * readsWhole({ 'content-type': 'audio/mpeg' }, { stream: false })       // false
 */
export function readsWhole(headers: UpstreamResponse['headers'], ctx: Pick<RequestContext, 'stream' | 'jsonArray'>): boolean {
  const type = String(headers['content-type'] ?? '');
  if (isRawMedia(type)) return false;
  return !ctx.stream || (type.startsWith('application/json') && !ctx.jsonArray);
}

/**
 * What an attempt holds of its answer before it gives it to the writer, so that an answer that
 * fails before anything of it could reach the client fails over: a whole answer read whole
 * (`readAhead`), raw audio until its first chunk (`firstAudioInHand`), a stream until its first
 * event (`UpstreamBody.started`: the end of SSE's first event that is not a keep-alive nor
 * Anthropic's `message_start`, of Bedrock's first frame after `messageStart`, of Gemini's first
 * array element, always; any other stream's first bytes under a first-answer deadline,
 * `timeouts.firstByteMs`; nothing is read, the events stay for the writer). Undefined when nothing
 * is to be held: a stream no in-band error may open (`streamScan`) without a deadline, or one
 * whose first event is in already, goes to its writer as it is, at once. The promise throws the answer's failure (broken
 * off, silent, the deadline passed, too large). A held stream whose first event is an error
 * (`failedBeforeAnswer`) resolves all the same: that failure is the upstream's answer, not a
 * broken one, and its attempt reads it as it reads an error status.
 *
 * @example
 * const held = answerInHand(res, ctx, signal, 'openai');
 * const answer = held ? await held : res;
 */
export function answerInHand(res: UpstreamResponse, ctx: Pick<RequestContext, 'stream' | 'jsonArray'>, signal: AbortSignal | undefined, providerId: string): Promise<UpstreamResponse> | undefined {
  if (isRawMedia(String(res.headers['content-type'] ?? ''))) return firstAudioInHand(res, signal, providerId);
  if (readsWhole(res.headers, ctx)) return readAhead(res, providerId);
  const start = res.body.started?.();
  return start?.then(() => res);
}

/**
 * The upstream's failure when a held stream (`answerInHand`) reported one as its first event,
 * before any of its answer: in SSE (`earlyFailure`: Anthropic's `event: error` after
 * `message_start`, an OpenAI-compatible `data: {"error":…}`, the Responses API's `error` or
 * `response.failed`, Google's error object), in Bedrock's event stream (`earlyFrameFailure`: an
 * exception frame, after `messageStart` or Anthropic's `message_start` perhaps), in Gemini's JSON
 * array (`earlyElementFailure`: its error object as the first element; a stream answered in
 * `application/json` is one, as only the array is not read whole, `readsWhole`). The upstream
 * request is then aborted, as nothing more of it is wanted. Undefined for any other stream, and
 * any other answer. Called once the stream's start is in (`answerInHand` waited for it, or it had
 * come by the headers' turn), before any of it was read: its first event is among the chunks up
 * to its start (`UpstreamBody.opening`).
 *
 * @example
 * const failure = failedBeforeAnswer(res, 'claude'); // 503 overloaded: the next account is asked
 */
export function failedBeforeAnswer(res: UpstreamResponse, providerId: string): GatewayError | undefined {
  const read = earlyReaderOf(String(res.headers['content-type'] ?? ''));
  if (!read) return undefined;
  // Only the chunks up to the start: an answer that came whole in one go is not searched through.
  const held = res.body.opening?.();
  const failure = held && held.length > 0 ? read(held, providerId) : undefined;
  // The iterator's `return` is how a reader lets an answer go: the upstream is cancelled.
  if (failure) void res.body[Symbol.asyncIterator]().return?.();
  return failure;
}

/** The reader of a stream's early failure, by its framing (SSE first: one comparison on the usual path). */
function earlyReaderOf(type: string): typeof earlyFailure | undefined {
  if (isEventStream(type)) return earlyFailure;
  if (isAwsEventStream(type)) return earlyFrameFailure;
  return isJsonType(type) ? earlyElementFailure : undefined;
}

/**
 * The answer with its body read whole: the upstream's failure to give it (broken off,
 * `upstream_answer_too_large`) is thrown here, and so is a JSON answer with an empty body (502
 * `upstream_bad_response`: a broken answer, not the caller's, which passed on would reach an SDK
 * as a 200 it cannot parse, and be booked as a call with no usage). The body given back is the
 * bytes read, served however the writer asks for them.
 *
 * @example
 * const held = await readAhead(res, 'openai'); // throws if the body broke off, outgrew its bound or was empty
 * await held.body.bytes();                     // the same bytes, at once
 */
export async function readAhead(res: UpstreamResponse, providerId: string): Promise<UpstreamResponse> {
  const bytes = await res.body.bytes();
  refuseEmptyJson(res, bytes, providerId);
  return { status: res.status, headers: res.headers, body: new HeldBody(bytes) };
}

/**
 * Throws 502 `upstream_bad_response` for a JSON answer whose body (`bytes`, read whole) is empty
 * (`isEmptyJson`). Every whole answer read inside its attempt goes through it: `readAhead`'s, and
 * each of a translated operation's calls (`fanOut`), so that the empty answer fails over and rests
 * its account alike, and reads the same to the client, wherever it was read.
 *
 * @example
 * refuseEmptyJson({ status: 200, headers: { 'content-type': 'application/json' } }, Buffer.alloc(0), 'aws') // throws
 */
export function refuseEmptyJson(res: Pick<UpstreamResponse, 'status' | 'headers'>, bytes: Buffer, providerId: string): void {
  if (isEmptyJson(res.status, res.headers, bytes)) {
    throw new GatewayError('upstream_error', `The upstream provider "${providerId}" answered with an empty body.`, { code: 'upstream_bad_response' });
  }
}

/** JSON whitespace (RFC 8259): a body of nothing else holds no value. */
const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Whether a success is a JSON answer with nothing in it: its content type JSON, its body empty or
 * blank, and its status one that has a body (not 204, 205). Text answers may be empty (the transcription of silence). A real answer's first byte
 * is `{` or `[`, so on the hot path the look costs one byte.
 *
 * @example
 * isEmptyJson(200, { 'content-type': 'application/json' }, Buffer.alloc(0)) // true
 * isEmptyJson(200, { 'content-type': 'text/plain' }, Buffer.alloc(0))       // false
 */
export function isEmptyJson(status: number, headers: UpstreamResponse['headers'], bytes: Buffer): boolean {
  // The body first: a real answer's first byte ends the look, before any header is parsed.
  for (const byte of bytes) if (!BLANK.has(byte)) return false;
  if (status === 204 || status === 205) return false;
  const type = headers['content-type'];
  // Untyped is not JSON: a translated attempt's stand-in answer (`ANSWERED`, read already) is an empty untyped 200.
  return type !== undefined && isJsonType(String(type));
}

/** `application/json`, with parameters or not, and its structured-suffix kin (`application/problem+json`). */
function isJsonType(type: string): boolean {
  const media = type.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}

/** A body already read: its bytes as the three ways of reading an answer take them. */
class HeldBody implements AsyncIterable<Buffer> {
  constructor(readonly held: Buffer) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.held.byteLength > 0) yield this.held;
  }

  async bytes(): Promise<Buffer> {
    return this.held;
  }

  async text(): Promise<string> {
    return this.held.toString('utf8');
  }

  async dump(): Promise<void> {}
}
