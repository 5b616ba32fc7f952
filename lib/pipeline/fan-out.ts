import type { Attempt } from '../routing/attempts';
import type { UpstreamRequest, UpstreamResponse } from '../upstream/http';
import { upstreamJson } from '../upstream/json';
import type { TokenUsage } from '../usage/tokens';
import type { AdmittedCall } from './model-call';
import type { ProxyDeps } from './deps';
import { refuseEmptyJson } from './read-ahead';
import type { AttemptSent, ErrorReader } from './try-targets';

/** The client's whole answer to a translated operation, made in one attempt, and what it used. */
export interface Translated {
  body: Record<string, unknown>;
  usage: TokenUsage;
  /** Some of `usage` is the gateway's estimate (the upstream counted nothing). */
  estimated: boolean;
  /** How many times the call is billed its price per call (a rerank's search units); once when absent. */
  billedUnits?: number;
}

/**
 * Serves an operation on a target of another dialect: one attempt of `tryTargets`, however many
 * upstream calls it takes. Its errors answer as any attempt's do (a 4xx `GatewayError` thrown ends
 * the request; a failed upstream answer returned fails over).
 */
export type Translator = (call: AdmittedCall, attempt: Attempt, deps: ProxyDeps, signal: AbortSignal | undefined) => Promise<AttemptSent<Translated>>;

/** How many of one attempt's upstream calls run at once: enough to hide latency, few enough not to trip a provider's per-second limits. */
export const FAN_OUT = 6;

/** What a fan-out's calls gave: each call's reading, in the order of `requests`; or the first failed answer, unread. */
export type FanOutResult<R> = { ok: true; results: R[] } | { ok: false; failed: UpstreamResponse };

/**
 * Sends `requests` (built lazily, so a refusal before the first costs nothing, each with the
 * signal it is given: the client's `signal`, and the fan-out's own) with at most `FAN_OUT` in
 * flight, and reads each 2xx answer with `read`. At the first answer of 400 or more no further
 * call starts, the calls still in flight are aborted (their answers would be thrown away, and
 * failover would wait for them), and that answer comes back unread (for `tryTargets` to read as
 * the attempt's error). A call that cannot connect, or an answer that cannot be read (an empty
 * JSON body among them, refused as `readAhead` refuses it), throws as a single call's would, and
 * aborts the rest: `tryTargets` fails over from it and rests the account.
 */
export async function fanOut<R>(
  count: number,
  request: (i: number, signal: AbortSignal) => Promise<UpstreamRequest>,
  read: (json: unknown, i: number, res: UpstreamResponse) => R,
  deps: Pick<ProxyDeps, 'upstream'>,
  providerId: string,
  signal?: AbortSignal,
): Promise<FanOutResult<R>> {
  const results = new Array<R>(count);
  let next = 0;
  let failed: UpstreamResponse | undefined;
  let thrown = false;
  // One controller a call in flight: the failed answer's own body must stay readable.
  const inFlight = new Map<number, AbortController>();
  const stopOthers = (i: number) => {
    for (const [j, own] of inFlight) if (j !== i) own.abort(new Error('fan-out stopped'));
  };
  async function worker(): Promise<void> {
    while (failed === undefined && !thrown && next < count) {
      const i = next++;
      const own = new AbortController();
      inFlight.set(i, own);
      try {
        const res = await deps.upstream.send(await request(i, signal ? AbortSignal.any([signal, own.signal]) : own.signal));
        if (res.status >= 400) {
          if (failed === undefined) {
            failed = res;
            stopOthers(i);
          } else await res.body.dump();
          return;
        }
        const bytes = await res.body.bytes();
        refuseEmptyJson(res, bytes, providerId);
        results[i] = read(upstreamJson(bytes, providerId), i, res);
      } catch (err) {
        // Stopped by the fan-out after another call's failure, which is the one reported.
        if (own.signal.aborted && !signal?.aborted) return;
        thrown = true;
        stopOthers(i);
        throw err;
      } finally {
        inFlight.delete(i);
      }
    }
  }
  const settled = await Promise.allSettled(Array.from({ length: Math.min(FAN_OUT, count) }, worker));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) {
    await failed?.body.dump();
    throw rejected.reason;
  }
  return failed ? { ok: false, failed } : { ok: true, results };
}

/** The stand-in answer of an attempt whose upstream answers were all read already: `tryTargets` sees a success and reads nothing. */
export const ANSWERED: UpstreamResponse = {
  status: 200,
  headers: {},
  body: {
    async *[Symbol.asyncIterator]() {},
    text: async () => '',
    bytes: async () => Buffer.alloc(0),
    dump: async () => undefined,
  },
};

/** A fan-out's outcome as an attempt: the failed answer with the provider's error reader, or the translated answer. */
export function attemptOf<R>(outcome: FanOutResult<R>, parseError: ErrorReader, answer: (results: R[]) => Translated): AttemptSent<Translated> {
  // `tryTargets` reads `via` only from a success; a failed answer has none to give.
  if (!outcome.ok) return { res: outcome.failed, parseError, via: undefined as never };
  return { res: ANSWERED, parseError, via: answer(outcome.results) };
}
