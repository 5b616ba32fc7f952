/**
 * Small `node:http` helpers shared by the fake upstreams in this folder.
 *
 * Nothing here knows a provider's wire format: that lives in each fake.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';

/** One request as a fake upstream received it, for tests to assert on. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** The query string including its `?`, or `''`. */
  search: string;
  /** Node's lower-cased headers, exactly as received. */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; `undefined` when empty or not JSON. */
  body: unknown;
  /** The body as received (UTF-8). */
  rawBody: string;
  /** `Date.now()` when the request's headers arrived. */
  receivedAt: number;
}

/** Reads a request body completely, as bytes (a signature is checked over these, not over text). */
export async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Parses JSON, answering `undefined` instead of throwing. */
export function parseJsonOrUndefined(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Builds the record of one request; `rawBody` is read by the caller first. */
export function recordRequest(req: IncomingMessage, rawBody: string, receivedAt: number): RecordedRequest {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    search: url.search,
    headers: req.headers,
    body: parseJsonOrUndefined(rawBody),
    rawBody,
    receivedAt,
  };
}

/** Starts listening on loopback, on a port the OS picks; answers the origin (`http://127.0.0.1:PORT`). */
export async function listenOnLoopback(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/**
 * Stops a server including its keep-alive and hanging connections:
 * `close()` alone waits for every open socket, which a `hang` reply never ends.
 */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    server.close((error) => (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(error) : resolve()));
  });
  server.closeAllConnections();
  await closed;
}

/** Waits `ms`, or less when `signal` aborts (then resolves; callers check what they need). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** True once the response can take no more bytes (the client went away, or we destroyed it). */
export function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket === null || res.socket.destroyed;
}

/**
 * Writes one piece as its own `res.write` and honours backpressure, so a
 * slow reader slows the fake down instead of growing its memory.
 */
export async function writePiece(res: ServerResponse, piece: string | Uint8Array): Promise<void> {
  if (isGone(res)) return;
  if (res.write(piece)) return;
  // The loser's listener is taken off: a long stream to a slow reader waits at many writes.
  const settled = new AbortController();
  await Promise.race([once(res, 'drain', { signal: settled.signal }), once(res, 'close', { signal: settled.signal })]).finally(() => settled.abort());
}

/** Random characters from `[A-Za-z0-9]`, for ids shaped like the real ones. */
export function randomAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** Random lower-case hex characters. */
export function randomHex(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}
