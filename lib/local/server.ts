import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AdminApi } from '../admin/api';
import type { Gateway } from '../gateway';
import type { CorsPolicy } from '../http/cors';
import { doorInternalError } from '../http/door-error';
import { TransferAborted } from '../http/transfer-aborted';
import { isStreamBody, type GatewayRequest, type GatewayResponse } from '../http/types';
import type { GatewayLogger } from '../observe/logger';
import { loggableError } from '../observe/loggable-error';

interface LocalServerOptions {
  gateway: Gateway;
  admin: AdminApi;
  /** Where the door logs what fails under it (the gateway's logger): the body a stream broke, a response it could not write. */
  logger: GatewayLogger;
  /** The config's `cors` policy; none, no CORS headers at all. */
  cors?: CorsPolicy;
}

/** The local door: node:http in front of the gateway pipeline (and the admin API under /admin/). */
export function createLocalServer(options: LocalServerOptions): Server {
  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    void serve(req, res, options);
  });
  return server;
}

const NO_QUERY = new URLSearchParams();

const connectionSignals = new WeakMap<Socket, AbortSignal>();
/**
 * Fires when the client's connection closes. A connection carries one request at a time, and
 * closes under an unfinished response exactly when the client went away, so one signal per
 * connection serves all its requests (an AbortSignal costs more to make than the rest of a request's
 * handling by the door); the pipeline removes its listeners when each request is done.
 */
function connectionSignal(socket: Socket): AbortSignal {
  let signal = connectionSignals.get(socket);
  if (!signal) {
    const controller = new AbortController();
    signal = controller.signal;
    connectionSignals.set(socket, signal);
    socket.once('close', () => controller.abort());
  }
  return signal;
}

async function serve(req: IncomingMessage, res: ServerResponse, { gateway, admin, logger, cors }: LocalServerOptions): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const request: GatewayRequest = {
    method: req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? NO_QUERY : new URLSearchParams(url.slice(q + 1)),
    headers: req.headers as Record<string, string | undefined>,
    body: req,
    // The socket's peer (`::ffff:a.b.c.d` for IPv4 clients when listening on `::`), never
    // X-Forwarded-For: any client can send that. Gone (undefined) once the socket is destroyed; an
    // empty address is in no key's address list.
    sourceIp: req.socket.remoteAddress ?? '',
    signal: connectionSignal(req.socket),
    requestId: randomUUID(),
  };
  const crossOrigin = cors?.covers(request.path) ? cors : undefined;
  let response: GatewayResponse;
  // Answered here, before any key is read: browsers send preflights without one.
  if (crossOrigin?.isPreflight(request.method, request.headers)) response = crossOrigin.preflight(request.headers);
  else {
    try {
      response = request.path.startsWith('/admin/') || request.path === '/admin' ? await admin.handle(request) : await gateway.handle(request);
    } catch (err) {
      // The pipeline turns every failure into a response; this is the last line of defence.
      logger.error('request failed', { requestId: request.requestId, error: loggableError(err) });
      response = doorInternalError(request.requestId, request);
    }
    // Errors too: a page cannot read an answer without them, a 401 or a 429 included.
    crossOrigin?.decorate(response, request.headers.origin);
  }
  try {
    const failed = await write(res, response);
    // Only raw audio cut off throws on purpose (its pipeline has logged it); any other throw breaks the in-band promise of `GatewayResponse.body`.
    if (failed !== undefined && !(failed instanceof TransferAborted)) logger.error('streamed body failed', { requestId: request.requestId, error: loggableError(failed) });
  } catch (err) {
    // node:http refused the response (a header it cannot send) or a body's cleanup threw: the
    // client is cut off rather than left waiting, and the process is not brought down.
    logger.error('response could not be written', { requestId: request.requestId, error: loggableError(err) });
    res.destroy();
  }
}

/** Writes the response; a streamed body's throw, if it threw (the transfer is then aborted). */
async function write(res: ServerResponse, { status, headers, body }: GatewayResponse): Promise<unknown> {
  if (!isStreamBody(body)) {
    res.writeHead(status, { ...headers, 'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) });
    res.end(body);
    return undefined;
  }
  try {
    res.writeHead(status, headers);
  } catch (err) {
    // node:http refused the headers. The client is cut off (its signal aborts, which cuts the
    // upstream short) and the body read to its end, nowhere: a stream's books close only once it
    // has been read, so one never started would leave its call unrecorded.
    res.destroy();
    await discard(body);
    throw err;
  }
  // A plain loop rather than stream.pipeline(): pipeline builds (and aborts) an AbortController
  // per call, whose DOMException costs more than the rest of a streamed request's handling.
  const chunks = body[Symbol.asyncIterator]();
  let failed: unknown;
  // A first chunk that is already here leaves in one write with the headers; otherwise the
  // headers leave alone at the end of this turn, so the client sees the stream open at once. (A
  // timer cleared when the chunk comes first, not a race against one: no promise to make, and no
  // wake-up after the stream has started.)
  const openAtTurnEnd = setImmediate(flushHeadersUnsent, res);
  try {
    const first = await chunks.next();
    clearImmediate(openAtTurnEnd);
    let written = 0;
    for (let next = first; !next.done; next = await chunks.next()) {
      if (res.destroyed) break;
      const room = res.write(next.value);
      // node:http holds a response's writes until the next tick (it corks the socket), and chunks
      // that are already here are all read before then: the first one is sent at once.
      if (written++ === 0) res.socket?.uncork();
      if (!room) await drained(res);
    }
  } catch (err) {
    failed = err;
  } finally {
    // Were the first chunk never to come (a body that threw), nothing may be flushed after the end.
    clearImmediate(openAtTurnEnd);
    // Ends the body's iterator if we left it early (its cleanup records the request); a no-op otherwise.
    await chunks.return?.();
    // A body that throws (`TransferAborted`: raw audio cut off; any other throw breaks the body's
    // promise to end in-band and is no better) must not end as if whole: destroying the socket
    // leaves out the terminating chunk, so the client sees the transfer fail.
    if (failed !== undefined) res.destroy(failed instanceof Error ? failed : new Error(String(failed)));
    else if (!res.destroyed) res.end();
  }
  return failed;
}

/** Reads a body the client will not get to its end; its throw, if it throws, comes after the failure being reported. */
async function discard(body: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const _ of body);
  } catch {
    // The client is already cut off, and the door is reporting why.
  }
}

/** Sends the headers of a stream whose first chunk has not come (cleared once it has: nothing was written before). */
function flushHeadersUnsent(res: ServerResponse): void {
  if (!res.destroyed) res.flushHeaders();
}

/** Resolves when the socket can take more, or when the client has gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
