/**
 * A whole (not streamed) upstream answer read while its attempt is still open, so that an answer
 * that breaks off fails over to the next account like a connection that failed: nothing of it has
 * reached the client (one that outgrows its bound is refused here too, and ends the request). A streamed answer is relayed as it comes and
 * cannot be taken back; it is never read ahead.
 */
import type { UpstreamResponse } from '../upstream/http';
import type { RequestContext } from './context';
import { isRawMedia } from './raw-media';

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
 * The answer with its body read whole: the upstream's failure to give it (broken off,
 * `upstream_answer_too_large`) is thrown here. The body given back is the bytes read, served
 * however the writer asks for them.
 *
 * @example
 * const held = await readAhead(res); // throws if the body broke off or outgrew its bound
 * await held.body.bytes();           // the same bytes, at once
 */
export async function readAhead(res: UpstreamResponse): Promise<UpstreamResponse> {
  return { status: res.status, headers: res.headers, body: new HeldBody(await res.body.bytes()) };
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
