import type { Dispatcher } from 'undici';
// undici's entry point also loads fetch, WebSocket, caches and mocks: half a megabyte and ~25 ms
// of every Lambda instance's start (bench/RESULTS.md). The gateway uses the Agent and its errors,
// loaded by their own paths (undici is pinned; the upstream tests would catch a move).
import Agent = require('undici/lib/dispatcher/agent');
import undiciErrors = require('undici/lib/core/errors');
import { answerNotStarted, startScan, streamScan } from './answer-start';
import { headersOf, UpstreamBody, type StartWatch } from './response-body';
import { upstreamLimits, type UpstreamFraming, type UpstreamLimits } from './event-bound';
import { GatewayError } from '../http/errors';

export interface UpstreamRequest {
  url: string;
  method: 'GET' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** From sending until the response headers. */
  headersTimeoutMs: number;
  /** Longest gap between two body chunks. */
  idleTimeoutMs: number;
  /**
   * From sending until the answer has started (`startScan`: a whole answer's first bytes, a
   * stream's first event that is not a keep-alive); past it the request is aborted and fails with
   * a 504 `upstream_timeout` (`answerNotStarted`). Unset: only the two timeouts above apply.
   */
  firstByteTimeoutMs?: number | undefined;
  /**
   * The answer is a stream written as one JSON array (Gemini's `streamGenerateContent` without
   * `alt=sse`), which its content type (`application/json`) does not say: it is watched for its
   * first element (`streamScan`).
   */
  jsonArray?: boolean | undefined;
}

/** The gateway's upstream timeouts as a call gets them (the provider's own over the gateway's). */
export interface UpstreamTimeouts {
  headersMs: number;
  idleMs: number;
  /** `timeouts.firstByteMs`: unset, no deadline on the answer's start. */
  firstByteMs?: number | undefined;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer> & {
    text(): Promise<string>;
    bytes(): Promise<Buffer>;
    dump(): Promise<void>;
    /** How the stream divides into events, so that none grows past the bound (`UpstreamBody.frame`); doubles of the client may leave it out. */
    frame?(framing: UpstreamFraming): void;
    /** Settles when the answer has started, while a stream or a first-answer deadline watches it (`UpstreamBody.started`); doubles of the client may leave it out. */
    started?(): Promise<void> | undefined;
    /** The chunks in hand up to the one the answer started in (`UpstreamBody.opening`); doubles of the client may leave it out. */
    opening?(): readonly Buffer[];
  };
}

export interface JsonPostOptions {
  stream: boolean;
  /** The account's extra headers; the request's own and `auth` win over them. */
  accountHeaders?: Record<string, string> | undefined;
  /** The provider's auth header(s). */
  auth?: Record<string, string>;
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal | undefined;
  /** The answer is a stream written as one JSON array (`UpstreamRequest.jsonArray`). */
  jsonArray?: boolean | undefined;
}

/** A JSON POST to a provider: the shape every HTTP adapter sends but Bedrock's (which is signed). */
export function jsonPost(url: string, body: string | Uint8Array, options: JsonPostOptions): UpstreamRequest {
  return {
    url,
    method: 'POST',
    headers: { ...options.accountHeaders, 'content-type': 'application/json', accept: options.stream ? 'text/event-stream' : 'application/json', ...options.auth },
    body,
    ...upstreamTimeouts(options.timeouts),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.jsonArray ? { jsonArray: true } : {}),
  };
}

/**
 * A call's timeouts at a provider: the gateway's, each overridden by the provider's, with the
 * first-answer deadline only for an answer that comes in pieces (a stream, speech's audio). A whole
 * answer's first byte comes when the whole of it is ready (OpenAI and Anthropic send even their
 * headers only then), so a deadline on it would bound the whole call and fail every long answer on
 * every account; `headersMs` and `idleMs` bound those. A provider's `firstByteMs: null` turns the
 * gateway-wide deadline off for its calls.
 *
 * @example
 * callTimeouts({ headersMs: 300_000, idleMs: 300_000, firstByteMs: 8_000 }, { idleMs: 60_000 }, false)
 * // { headersMs: 300000, idleMs: 60000 }
 */
export function callTimeouts(
  gateway: UpstreamTimeouts,
  // A provider's `firstByteMs: null` turns the gateway-wide deadline off for its calls.
  provider: { headersMs?: number | undefined; idleMs?: number | undefined; firstByteMs?: number | null | undefined } | undefined,
  inPieces: boolean,
): UpstreamTimeouts {
  const { firstByteMs, ...merged } = { ...gateway, ...provider };
  return inPieces && firstByteMs != null ? { ...merged, firstByteMs } : merged;
}

/**
 * A request's timeouts from the call's: the first-answer deadline only when one is set.
 *
 * @example
 * upstreamTimeouts({ headersMs: 300_000, idleMs: 300_000, firstByteMs: 8_000 })
 * // { headersTimeoutMs: 300000, idleTimeoutMs: 300000, firstByteTimeoutMs: 8000 }
 */
export function upstreamTimeouts(timeouts: UpstreamTimeouts): Pick<UpstreamRequest, 'headersTimeoutMs' | 'idleTimeoutMs' | 'firstByteTimeoutMs'> {
  const { headersMs, idleMs, firstByteMs } = timeouts;
  return firstByteMs === undefined ? { headersTimeoutMs: headersMs, idleTimeoutMs: idleMs } : { headersTimeoutMs: headersMs, idleTimeoutMs: idleMs, firstByteTimeoutMs: firstByteMs };
}

/** Sends requests to providers; the one seam tests and other transports can replace. */
export interface UpstreamClient {
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * undici with kept-alive connection pools per origin. Connection failures become 502, timeouts
 * (before the headers, a body silent past its idle timeout, an answer not started by its
 * `firstByteTimeoutMs`) 504, an abort by the caller's signal is rethrown as is. `limits` bound what
 * one answer may make the gateway hold (`upstreamLimits(config.limits.maxUpstreamEventBytes)`).
 */
export function createUpstreamClient(options: { connections?: number; limits?: UpstreamLimits } = {}): UpstreamClient {
  const limits = options.limits ?? upstreamLimits();
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: 30_000,
    // Providers can pause long between tokens; the per-request idle timeout governs.
    bodyTimeout: 0,
    headersTimeout: 0,
    connect: { timeout: 10_000 },
  });
  return {
    send(req) {
      const url = target(req.url);
      return dispatch(agent, req, url, limits);
    },
    close: () => agent.close(),
  };
}

/**
 * One request through undici's dispatcher: resolves at the response headers with a body that
 * fills as data arrives; the caller's signal aborts it at any point. With `firstByteTimeoutMs`,
 * one timer runs from here until the answer starts (the body's watch says when: no timer per
 * chunk), the request's end or its failure; firing first, it aborts the request with the 504.
 */
function dispatch(agent: Agent, req: UpstreamRequest, url: Target, limits: UpstreamLimits): Promise<UpstreamResponse> {
  const { signal, firstByteTimeoutMs } = req;
  if (signal?.aborted) return Promise.reject(upstreamFailure(signal.reason, url.host, signal));
  return new Promise((resolve, reject) => {
    let abort: ((reason: Error) => void) | undefined;
    // Why the request was aborted before undici could take the abort (`onConnect` passes it on).
    let cancelled: Error | undefined;
    let body: UpstreamBody | undefined;
    const cancel = (reason: Error) => {
      cancelled ??= reason;
      if (abort) return abort(reason);
      // Not on a socket yet (connecting, or queued behind the pool's busy connections): undici
      // takes the abort only once it is (`onConnect`), so the caller is answered now, not then.
      done();
      reject(upstreamFailure(reason, url.host, signal));
    };
    const onAbort = () => cancel(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    const deadline = firstByteTimeoutMs === undefined ? undefined : setTimeout(() => cancel(answerNotStarted(url.host, firstByteTimeoutMs)), firstByteTimeoutMs);
    const started = () => clearTimeout(deadline);
    const done = () => {
      started();
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (cancelled) abortRequest(cancelled);
      },
      onHeaders(status, rawHeaders, resume) {
        const headers = headersOf(rawHeaders);
        const watch = startWatch(String(headers['content-type'] ?? ''), deadline !== undefined, started, req.jsonArray === true);
        body = new UpstreamBody(resume, (reason) => abort?.(reason), limits, watch);
        resolve({ status, headers, body });
        return true;
      },
      onData(chunk) {
        return body!.push(chunk);
      },
      onComplete() {
        done();
        body!.end();
      },
      onError(err) {
        done();
        if (body) body.fail(signal?.aborted ? signal.reason : bodyFailure(err, url.host));
        else reject(upstreamFailure(err, url.host, signal));
      },
    };
    agent.dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        headersTimeout: req.headersTimeoutMs,
        bodyTimeout: req.idleTimeoutMs,
      },
      handler,
    );
  });
}

/**
 * How long a stream with no first-answer deadline is held for its first event (`earlyFailure`),
 * at most. The errors that hold is for come right after the stream opens (Claude's
 * `overloaded_error` in the write after `message_start`, a vLLM or OpenRouter first chunk
 * `data: {"error":…}`): milliseconds, so 3 s leaves a slow upstream two orders of magnitude of
 * margin. A reasoning model may send nothing but keep-alives for a minute before its first token;
 * past this bound its client gets the headers and those keep-alives, as without a hold, well before
 * any client's or proxy's idle limit (tens of seconds), and a later error is relayed in-band.
 */
export const STREAM_HOLD_MS = 3_000;

/**
 * What watches an answer for its start: under a first-answer deadline, any answer (the deadline's
 * timer is cleared at its start, and bounds the hold); without one, a stream an in-band error may
 * open (`streamScan`: SSE, Bedrock's event stream, Gemini's JSON array) all the same, so that its
 * attempt can hold it until its first event and fail over when that event is an error
 * (`answerInHand`, `earlyFailure`), for `STREAM_HOLD_MS` at most. Anything else is not watched:
 * it costs nothing.
 */
function startWatch(contentType: string, deadline: boolean, onStart: () => void, jsonArray: boolean): StartWatch | undefined {
  if (deadline) return { scan: startScan(contentType, jsonArray), onStart };
  const scan = streamScan(contentType, jsonArray);
  return scan ? { scan, onStart, holdMs: STREAM_HOLD_MS } : undefined;
}

interface Target {
  origin: string;
  host: string;
  pathname: string;
  search: string;
}
const targets = new Map<string, Target>();

/**
 * Origin and path of an upstream URL. The few URLs a config yields come back on every request,
 * so each is parsed once (the cache stops growing at its bound; URLs past it are parsed each time).
 */
function target(raw: string): Target {
  let found = targets.get(raw);
  if (!found) {
    const { origin, host, pathname, search } = new URL(raw);
    found = { origin, host, pathname, search };
    if (targets.size < 1_000) targets.set(raw, found);
  }
  return found;
}

/**
 * A failure of the transport (not an HTTP error status) as the error the client gets. The host
 * (the operator's endpoint, a private one perhaps) and the socket's own words are the log's `detail`.
 */
export function upstreamFailure(err: unknown, host: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  // The gateway's own reason for aborting (the first-answer deadline): already the client's error.
  if (err instanceof GatewayError) return err;
  const detail = `${host}: ${(err as Error | undefined)?.message ?? String(err)}`;
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', 'The upstream provider did not answer in time.', { code: 'upstream_timeout', detail, cause: err });
  }
  if (err instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('upstream_timeout', 'The upstream provider stopped sending.', { code: 'upstream_timeout', detail, cause: err });
  }
  return new GatewayError('upstream_unavailable', 'Could not reach the upstream provider.', { code: 'upstream_unreachable', detail, cause: err });
}

/**
 * A failure of the body once the headers came, as its reader gets it: a silence past the idle
 * timeout is the upstream's timeout (504 "stopped sending", `upstreamFailure`), as it is before
 * the headers; any other failure (a connection broken off) stays the socket's own error, for the
 * answer's reader to call broken off (`readFailure`: 502 `upstream_interrupted`).
 */
function bodyFailure(err: Error, host: string): unknown {
  return err instanceof undiciErrors.BodyTimeoutError ? upstreamFailure(err, host) : err;
}
