import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AdminApi } from '../admin/api';
import type { Gateway } from '../gateway';
import { isStreamBody, type GatewayRequest, type GatewayResponse } from '../http/types';

/** The local door: node:http in front of the gateway pipeline (and the admin API under /admin/). */
export function createLocalServer(options: { gateway: Gateway; admin: AdminApi }): Server {
  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    void serve(req, res, options);
  });
  return server;
}

async function serve(req: IncomingMessage, res: ServerResponse, { gateway, admin }: { gateway: Gateway; admin: AdminApi }): Promise<void> {
  const controller = new AbortController();
  // 'close' on the response before it finished means the client went away: stop the upstream.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const request: GatewayRequest = {
    method: req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    // Built only when asked for: no route reads it today.
    get query() {
      return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    },
    headers: req.headers as Record<string, string | undefined>,
    body: req,
    sourceIp: req.socket.remoteAddress ?? '',
    signal: controller.signal,
    requestId: randomUUID(),
  };
  let response: GatewayResponse;
  try {
    response = request.path.startsWith('/admin/') || request.path === '/admin' ? await admin.handle(request) : await gateway.handle(request);
  } catch {
    // The pipeline turns every failure into a response; this is the last line of defence.
    response = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}' };
  }
  await write(res, response);
}

async function write(res: ServerResponse, { status, headers, body }: GatewayResponse): Promise<void> {
  if (!isStreamBody(body)) {
    res.writeHead(status, { ...headers, 'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) });
    res.end(body);
    return;
  }
  res.writeHead(status, headers);
  // Headers leave now, not with the first chunk: clients see the stream open at once.
  res.flushHeaders();
  // A plain loop rather than stream.pipeline(): pipeline builds (and aborts) an AbortController
  // per call, whose DOMException costs more than the rest of a streamed request's handling.
  try {
    for await (const chunk of body) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await drained(res);
    }
  } catch {
    // A streamed body never throws (failures are in-band); nothing to add here.
  } finally {
    // Leaving the loop early ended the body's iterator, whose cleanup records the request.
    if (!res.destroyed) res.end();
  }
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
