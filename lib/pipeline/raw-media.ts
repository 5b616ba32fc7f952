/**
 * Binary media answers (speech's audio) relayed as they arrive. OpenAI and Azure send speech as
 * chunked audio while it is synthesised, so a voice app starts playing after the first chunk;
 * read whole, the time to first audio would be the whole synthesis time.
 */
import { GatewayError } from '../http/errors';
import { TransferAborted } from '../http/transfer-aborted';
import type { GatewayResponse } from '../http/types';
import type { UpstreamResponse } from '../upstream/http';
import { answerTooLarge, upstreamLimits } from '../upstream/event-bound';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { brokeOff, readFailure } from './broke-off';

/**
 * Whether a passed-through media answer is raw bytes to relay as they come (`audio/*`, or bytes
 * of no named type) rather than JSON, text or events, which go back whole or as a stream of
 * events. No other media answer of OpenAI's is binary: images come as JSON (`b64_json`, `url`),
 * transcriptions as JSON or text, moderations as JSON.
 *
 * @example
 * isRawMedia('audio/mpeg'); // true
 * isRawMedia('application/json'); // false
 */
export function isRawMedia(contentType: string): boolean {
  const type = contentType.trimStart().toLowerCase();
  return type.startsWith('audio/') || type.startsWith('application/octet-stream');
}

/**
 * The warning logged when raw audio is cut off after its first byte. On Lambda the door then fails
 * the invocation on purpose (the only way to abort a function URL's transfer), which Lambda counts
 * as a function error; `ProxyErrors` reads the gateway's own failure lines, not that count, and these
 * lines are counted apart (`AbortedTransfers`).
 */
export const MEDIA_INTERRUPTED = 'media answer interrupted';

/**
 * A passed-through answer, raw audio held until its first chunk is in hand: read inside its
 * attempt (by `tryTargets`, once the answer's headers are read: a headroom pool keeps their quota
 * reading however the audio goes), so that audio that never starts fails over like a connection
 * that failed (nothing of it has reached the client) and its account rests. An upstream that
 * answers 200 and then breaks off, or falls silent past its idle timeout, before the first chunk
 * throws the read failure (502 `upstream_interrupted`); one whose body ends with no audio, a 502
 * `upstream_bad_response` (text to speak always makes some audio: an empty 200 would reach the
 * client as silence taken for the answer). The chunk is held, not delayed: the body given back
 * yields it at once, then the rest as it comes (`rawMediaAnswer`). Any other answer (an error,
 * JSON, a stream of events) comes back untouched.
 *
 * @example
 * const answer = await firstAudioInHand(res, signal, attempt.provider.id); // throws if the audio broke off or never started
 */
export async function firstAudioInHand(res: UpstreamResponse, signal: AbortSignal | undefined, providerId: string): Promise<UpstreamResponse> {
  if (res.status >= 400 || !isRawMedia(String(res.headers['content-type'] ?? ''))) return res;
  const chunks = res.body[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (err) {
    throw readFailure(err, signal, 'its answer');
  }
  if (first.done) throw new GatewayError('upstream_error', `The upstream provider "${providerId}" answered with no audio.`, { code: 'upstream_bad_response' });
  return { status: res.status, headers: res.headers, body: new AudioInHand(first.value, chunks, res.body) };
}

/**
 * An upstream body whose first chunk was read already (`firstAudioInHand`): read on, it gives that
 * chunk, then the rest from the same reader; left early, the upstream is cancelled as before.
 */
class AudioInHand implements AsyncIterable<Buffer> {
  #first: Buffer | undefined;
  readonly #rest: AsyncIterator<Buffer>;
  readonly #source: UpstreamResponse['body'];

  constructor(first: Buffer, rest: AsyncIterator<Buffer>, source: UpstreamResponse['body']) {
    this.#first = first;
    this.#rest = rest;
    this.#source = source;
  }

  // A plain iterator, not a generator: a generator left at its first `yield` would never hand the
  // upstream's reader its `return`, and the upstream would go on sending to nobody.
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () => {
        const first = this.#first;
        if (first === undefined) return this.#rest.next();
        this.#first = undefined;
        return Promise.resolve({ done: false, value: first });
      },
      return: async () => {
        this.#first = undefined;
        return (await this.#rest.return?.()) ?? { done: true, value: undefined };
      },
    };
  }

  async bytes(): Promise<Buffer> {
    const rest = await this.#source.bytes();
    const first = this.#first;
    this.#first = undefined;
    return first === undefined ? rest : Buffer.concat([first, rest]);
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  dump(): Promise<void> {
    this.#first = undefined;
    return this.#source.dump();
  }
}

/** What relaying a raw answer needs of the request. */
export interface RawMediaInput {
  res: UpstreamResponse;
  ctx: RequestContext;
  deps: Pick<ProxyDeps, 'logger'> & { config: { limits: { maxUpstreamEventBytes: number } } };
  signal: AbortSignal | undefined;
  /** Closes the books; called once the relay has ended, however it ended. */
  finish: () => void;
}

/**
 * A raw media answer passed on chunk by chunk: its status and content type once the first chunk
 * is in (an upstream that breaks off before any audio throws the client's error), then each
 * chunk as the upstream sends it, read only as fast as the client takes them (the door writes a
 * chunk, waits for the socket, then asks for the next; the upstream body stops reading its socket
 * when chunks pile up), so a slow client never makes the gateway hold the audio.
 *
 * The books are a stream's: time to first byte at the first chunk, outcome `ok` at the end,
 * `aborted` when the client leaves (the upstream is cancelled), `interrupted` when the upstream
 * breaks off or the answer outgrows the whole-answer bound. Raw audio has no in-band error
 * format, and a clean end would pass half the audio off as all of it: the body then throws
 * `TransferAborted` (once the books are closed), and the door aborts the transfer, so the client
 * sees a failed download, as it would from OpenAI when the connection drops; the log line says
 * why. Speech reports no usage in its audio, so none is read (its cost is the price per call, as
 * for a whole answer).
 *
 * No SSE framing (`UpstreamBody.frame`) applies: audio has no events. The total is still capped
 * at the bound of a whole answer (eight times `limits.maxUpstreamEventBytes`): nothing is held,
 * but an upstream that never stops must not keep the instance busy and the client paying for it.
 *
 * @example
 * if (isRawMedia(contentType)) return await rawMediaAnswer({ res, ctx, deps, signal, finish });
 */
export async function rawMediaAnswer({ res, ctx, deps, signal, finish }: RawMediaInput): Promise<GatewayResponse> {
  ctx.status = res.status;
  const contentType = String(res.headers['content-type']);
  const { answerBytes } = upstreamLimits(deps.config.limits.maxUpstreamEventBytes);
  const chunks = res.body[Symbol.asyncIterator]();
  // The first chunk is awaited before the answer is given: raw audio has no in-band error, so an
  // upstream that breaks off before any audio is the client's error (502, as a whole answer's
  // was), not an empty 200 it would take for silence. Thrown here, the books close as a whole
  // answer's. A passed-through answer's chunk is in hand already (`firstAudioInHand`, where a
  // failure before it fails over): this await takes no time.
  let first: IteratorResult<Uint8Array>;
  try {
    first = await chunks.next();
  } catch (err) {
    throw readFailure(err, signal, 'its answer');
  }
  async function* relayRawMedia(): AsyncGenerator<Uint8Array> {
    let relayed = 0;
    try {
      for (let next = first; !next.done; next = await chunks.next()) {
        const chunk = next.value;
        relayed += chunk.byteLength;
        if (relayed > answerBytes) throw answerTooLarge(answerBytes);
        ctx.ttftMs ??= performance.now() - ctx.startPerf;
        yield chunk;
      }
      ctx.outcome = 'ok';
    } catch (err) {
      const error = brokeOff(err, { ctx, logger: deps.logger, signal }, 'its answer', MEDIA_INTERRUPTED, { contentType, relayedBytes: relayed });
      // Raw audio has no in-band error: the door aborts the transfer, so the client sees it fail, not end.
      if (error) throw new TransferAborted(error);
    } finally {
      // Reached without an outcome only when the door stopped reading: the client went away.
      ctx.outcome ??= 'aborted';
      // Left before the upstream's end (the door stopped reading, the bound, a failure): the upstream is cancelled.
      if (ctx.outcome !== 'ok') await chunks.return?.().catch(() => undefined);
      finish();
    }
  }
  return { status: res.status, headers: { 'content-type': contentType }, body: relayRawMedia() };
}
