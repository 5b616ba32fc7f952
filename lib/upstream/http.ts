import type { Dispatcher } from 'undici';
// undici's entry point also loads fetch, WebSocket, caches and mocks: half a megabyte and ~25 ms
// of every Lambda instance's start (bench/RESULTS.md). The gateway uses the Agent and its errors,
// loaded by their own paths (undici is pinned; the upstream tests would catch a move).
import Agent = require('undici/lib/dispatcher/agent');
import undiciErrors = require('undici/lib/core/errors');
import { headersOf, UpstreamBody } from './response-body';
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
  };
}

export interface JsonPostOptions {
  stream: boolean;
  /** The account's extra headers; the request's own and `auth` win over them. */
  accountHeaders?: Record<string, string> | undefined;
  /** The provider's auth header(s). */
  auth?: Record<string, string>;
  timeouts: { headersMs: number; idleMs: number };
  signal?: AbortSignal | undefined;
}

/** A JSON POST to a provider: the shape every HTTP adapter sends but Bedrock's (which is signed). */
export function jsonPost(url: string, body: string | Uint8Array, options: JsonPostOptions): UpstreamRequest {
  return {
    url,
    method: 'POST',
    headers: { ...options.accountHeaders, 'content-type': 'application/json', accept: options.stream ? 'text/event-stream' : 'application/json', ...options.auth },
    body,
    headersTimeoutMs: options.timeouts.headersMs,
    idleTimeoutMs: options.timeouts.idleMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Sends requests to providers; the one seam tests and other transports can replace. */
export interface UpstreamClient {
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * undici with kept-alive connection pools per origin. Connection failures become 502, timeouts
 * (before the headers, and a body silent past its idle timeout) 504, an abort by the caller's signal is rethrown as is. `limits` bound what
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
 * fills as data arrives; the caller's signal aborts it at any point.
 */
function dispatch(agent: Agent, req: UpstreamRequest, url: Target, limits: UpstreamLimits): Promise<UpstreamResponse> {
  const { signal } = req;
  if (signal?.aborted) return Promise.reject(upstreamFailure(signal.reason, url.host, signal));
  return new Promise((resolve, reject) => {
    let abort: ((reason: Error) => void) | undefined;
    let body: UpstreamBody | undefined;
    const onAbort = () => abort?.(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    const done = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (signal?.aborted) onAbort();
      },
      onHeaders(status, rawHeaders, resume) {
        body = new UpstreamBody(resume, (reason) => abort?.(reason), limits);
        resolve({ status, headers: headersOf(rawHeaders), body });
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
