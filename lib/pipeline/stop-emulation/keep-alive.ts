/**
 * Keep-alives while the gateway drains an upstream after an emulated stop. The client has its
 * answer and its finish at the match; the upstream is read to its end for its exact usage, and
 * until then nothing is sent. A proxy or load balancer with an idle timeout (many corporate proxies
 * 30 s, CloudFront 60 s) may cut such a quiet stream off before its usage chunk and its end; a
 * line every SSE client skips, sent whenever the stream was quiet for a while, keeps it open.
 */
import { anthropicSse } from '../../surfaces/anthropic-messages/stream';
import type { SurfaceBinding } from '../bindings';

/**
 * How long a stream drained after its stop may stay quiet before a keep-alive goes: half the
 * shortest idle timeout common on the way (30 s of many corporate proxies), so one beat always
 * lands before it, and rarely enough to cost nothing (a few bytes a quarter minute).
 */
export const KEEP_ALIVE_MS = 15_000;

/** An SSE comment: every SSE client skips it (the openai SDK's parser drops lines that begin with `:`; Gemini's reads only `data:` events). */
const COMMENT = ': keep-alive\n\n';

/** The keep-alive a surface's clients know: Anthropic's own `ping` event (its SDK skips it by name), an SSE comment elsewhere. */
export function keepAliveOf(surface: SurfaceBinding['name']): string {
  return surface === 'anthropic' ? anthropicSse('ping', { type: 'ping' }) : COMMENT;
}

/** What `withKeepAlives` yields when the stream was quiet for the interval: the caller sends its keep-alive. */
export const QUIET: unique symbol = Symbol('quiet');

/**
 * When the client was last sent something, once keep-alives are wanted (`arm`, at the match):
 * before that the client is still getting its answer and the stream is not quiet by the gateway's doing.
 */
export class SendClock {
  #sentAt: number | undefined;
  #arm!: () => void;
  /** Settles when `arm` is called: a wait begun before the match learns of it. */
  readonly armed: Promise<void> = new Promise((resolve) => (this.#arm = resolve));

  /** Keep-alives are wanted from now (the client's answer has ended). */
  arm(): void {
    this.#sentAt ??= performance.now();
    this.#arm();
  }

  /** Something went to the client. */
  sent(): void {
    if (this.#sentAt !== undefined) this.#sentAt = performance.now();
  }

  /** When the client was last sent something (`performance.now()`), undefined until armed. */
  get sentAt(): number | undefined {
    return this.#sentAt;
  }
}

const ARMED: unique symbol = Symbol('armed');

/**
 * `source`'s items as they come, and `QUIET` whenever, once `clock` is armed, nothing was sent for
 * `idleMs` and the next item is not there yet. The item being waited for is waited for across the
 * keep-alives, never asked for twice; a wait begun before the clock was armed turns into a timed
 * one when it is (the match may come while the source is still working on its next item).
 *
 * @example
 * const clock = new SendClock();
 * for await (const item of withKeepAlives(chunks, KEEP_ALIVE_MS, clock)) {
 *   yield item === QUIET ? keepAlive : item;
 *   clock.sent();
 * }
 */
export async function* withKeepAlives<T>(source: AsyncIterable<T>, idleMs: number, clock: SendClock): AsyncGenerator<T | typeof QUIET> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  let finished = false;
  try {
    for (;;) {
      pending ??= iterator.next();
      const since = clock.sentAt;
      const next = since === undefined ? await Promise.race([pending, clock.armed.then((): typeof ARMED => ARMED)]) : await quietOr(pending, Math.max(0, since + idleMs - performance.now()));
      if (next === ARMED) continue;
      if (next === QUIET) {
        yield QUIET;
        continue;
      }
      pending = undefined;
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) {
      // Left early (the client went away, or a failure): the source is closed as `for await` would
      // close it. Not awaited while an item is still awaited: its return waits behind that item.
      pending?.catch(() => undefined);
      const closing = iterator.return?.();
      if (pending) closing?.catch(() => undefined);
      else await closing;
    }
  }
}

/** The item awaited, or `QUIET` if it has not come within `ms`. */
async function quietOr<T>(pending: Promise<T>, ms: number): Promise<T | typeof QUIET> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([pending, new Promise<typeof QUIET>((resolve) => (timer = setTimeout(resolve, ms, QUIET)))]);
  } finally {
    clearTimeout(timer);
  }
}
