import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { GatewayError } from '../http/errors';

export interface UpstreamRequest {
  url: string;
  method: 'GET' | 'POST';
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
  body: AsyncIterable<Buffer> & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; dump(): Promise<void> };
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
 * before the headers 504, an abort by the caller's signal is rethrown as is.
 */
export function createUpstreamClient(options: { connections?: number } = {}): UpstreamClient {
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: 30_000,
    // Providers can pause long between tokens; the per-request idle timeout governs.
    bodyTimeout: 0,
    headersTimeout: 0,
    connect: { timeout: 10_000 },
  });
  return {
    async send(req) {
      const url = new URL(req.url);
      try {
        const res = await agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
          signal: req.signal ?? null,
          headersTimeout: req.headersTimeoutMs,
          bodyTimeout: req.idleTimeoutMs,
        } as Dispatcher.RequestOptions);
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (err) {
        throw upstreamFailure(err, url.host, req.signal);
      }
    },
    close: () => agent.close(),
  };
}

/** A failure of the transport (not an HTTP error status) as the error the client gets. */
export function upstreamFailure(err: unknown, host: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', `The upstream provider (${host}) did not answer in time.`, { code: 'upstream_timeout', cause: err });
  }
  if (err instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('upstream_timeout', `The upstream provider (${host}) stopped sending.`, { code: 'upstream_timeout', cause: err });
  }
  return new GatewayError('upstream_unavailable', `Could not reach the upstream provider (${host}).`, { code: 'upstream_unreachable', cause: err });
}
