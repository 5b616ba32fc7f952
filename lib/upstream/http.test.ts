import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../http/errors';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { callTimeouts, createUpstreamClient, upstreamTimeouts, type UpstreamClient, type UpstreamRequest } from './http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler;
let client: UpstreamClient;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  client = createUpstreamClient();
});
afterEach(async () => {
  await client.close();
});

const post = (over: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  url: `${base}/v1/chat/completions?x=1`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"model":"m"}',
  headersTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  ...over,
});

/** Resolves when the server side of the next request has closed, and says whether it had finished. */
function serverSideClosed(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => res.once('close', () => resolve(res.writableFinished)));
}

describe('createUpstreamClient', () => {
  it('sends method, path, headers and body, and gives back status, headers and the whole body', async () => {
    let seen: { method?: string; url?: string; type?: string; body?: string } = {};
    handler = (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, type: req.headers['content-type'], body };
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Request-Id': 'up-1' });
        res.end('{"ok":true}');
      });
    };

    const res = await client.send(post());

    expect(seen).toEqual({ method: 'POST', url: '/v1/chat/completions?x=1', type: 'application/json', body: '{"model":"m"}' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-request-id']).toBe('up-1');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(await res.body.text()).toBe('{"ok":true}');
  });

  it('delivers a long stream whole and in order to a reader slower than the socket', async () => {
    const chunks = Array.from({ length: 400 }, (_, i) => `${String(i).padStart(4, '0')}:${'x'.repeat(1_000)}\n`);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const c of chunks) res.write(c);
      res.end();
    };

    const res = await client.send(post());
    let received = '';
    let n = 0;
    for await (const chunk of res.body) {
      received += chunk.toString();
      // Falls behind now and then, so the queue fills and the socket is paused and resumed.
      if (++n % 50 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(received).toBe(chunks.join(''));
  });

  it('bounds a Bedrock event stream whose headers came with part of its first frame, as its writer frames it once the headers resolve', async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const frames = Buffer.concat(
      Array.from({ length: 20 }, (_, i) => codec.encode({ headers: { ':event-type': { type: 'string', value: 'chunk' } }, body: fromUtf8(`{"bytes":"${'x'.repeat(500)}${i}"}`) })),
    );
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      // Node sends the headers with this first write: the client parses them and these bytes in one read.
      res.write(frames.subarray(0, 700));
      setTimeout(() => res.end(frames.subarray(700)), 20);
    };

    const res = await client.send(post());
    res.body.frame?.('event-stream');

    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(frames)).toBe(true);
  });

  it('stops the call when the reader leaves before the end', async () => {
    let closed!: Promise<boolean>;
    handler = (_req, res) => {
      closed = serverSideClosed(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      // …and never ends.
    };

    const res = await client.send(post());
    for await (const chunk of res.body) {
      expect(chunk.toString()).toBe('data: 1\n\n');
      break;
    }
    expect(await closed).toBe(false);
  });

  it("aborts on the caller's signal, before the headers and mid-body", async () => {
    handler = () => {
      // Never answers.
    };
    const early = new AbortController();
    const pending = client.send(post({ signal: early.signal }));
    setTimeout(() => early.abort(new Error('client left')), 50);
    await expect(pending).rejects.toThrow('client left');

    let closed!: Promise<boolean>;
    handler = (_req, res) => {
      closed = serverSideClosed(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    };
    const late = new AbortController();
    const res = await client.send(post({ signal: late.signal }));
    const read = (async () => {
      for await (const _ of res.body) late.abort(new Error('deadline'));
    })();
    await expect(read).rejects.toThrow('deadline');
    expect(await closed).toBe(false);
  });

  it('refuses an already aborted signal without calling', async () => {
    let called = false;
    handler = (_req, res) => {
      called = true;
      res.end();
    };
    await expect(client.send(post({ signal: AbortSignal.abort(new Error('gone')) }))).rejects.toThrow('gone');
    expect(called).toBe(false);
  });

  it('reports an unreachable upstream as 502 and a silent one as 504', async () => {
    const unreachable = await client.send(post({ url: 'http://127.0.0.1:1/v1/x' })).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(GatewayError);
    expect(unreachable).toMatchObject({ status: 502, code: 'upstream_unreachable' });

    handler = () => {
      // Never answers.
    };
    const silent = await client.send(post({ headersTimeoutMs: 100 })).catch((e: unknown) => e);
    expect(silent).toMatchObject({ status: 504, code: 'upstream_timeout' });
  });

  it('fails the body with the socket\'s own error, not a timeout, when the upstream breaks off', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n', () => res.socket?.destroy());
    };
    const res = await client.send(post({ idleTimeoutMs: 5_000 }));
    const read = (async () => {
      for await (const _ of res.body) {
        // the one event, then the break
      }
    })();
    const failure = await read.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(GatewayError);
    expect((failure as Error).message).toMatch(/other side closed|terminated|socket/i);
  });

  it('fails the body when the upstream goes quiet for longer than the idle timeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    };
    const res = await client.send(post({ idleTimeoutMs: 150 }));
    const got: string[] = [];
    const read = (async () => {
      for await (const chunk of res.body) got.push(chunk.toString());
    })();
    // The upstream's timeout, as one before the headers is: not the socket's error a reader would call broken off.
    await expect(read).rejects.toBeInstanceOf(GatewayError);
    await expect(read).rejects.toMatchObject({ status: 504, code: 'upstream_timeout', message: 'The upstream provider stopped sending.', detail: expect.stringMatching(/^127\.0\.0\.1:\d+: Body Timeout Error$/) });
    expect(got).toEqual(['data: 1\n\n']);
  });

  it('dump reads the rest away so the connection serves the next call', async () => {
    let sockets = 0;
    const count = () => sockets++;
    server.on('connection', count);
    handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"x"}');
    };
    await (await client.send(post())).body.dump();
    // undici hands the connection back to its pool on its next turn (as with its own request()).
    await new Promise((resolve) => setImmediate(resolve));
    handler = (_req, res) => res.end('ok');
    expect(await (await client.send(post())).body.text()).toBe('ok');
    server.off('connection', count);
    expect(sockets).toBe(1);
  });
});

describe('the first-answer deadline (firstByteTimeoutMs)', () => {
  const DEADLINE_MS = 200;
  const sse = { 'content-type': 'text/event-stream' };

  it('fails the call with a 504 "did not start" and hangs up when the headers do not come in time', async () => {
    // Prepare
    let closed: Promise<boolean> | undefined;
    handler = (_req, res) => {
      closed = serverSideClosed(res);
    };

    // Act
    const start = performance.now();
    const err = await client.send(post({ firstByteTimeoutMs: DEADLINE_MS })).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout', message: 'The upstream provider did not start its answer in time.' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    expect(await closed).toBe(false);
  });

  it.each([
    ['headers and then nothing', [] as string[]],
    ['headers and keep-alives only', [': ping\n\n', 'event: ping\ndata: {"type": "ping"}\n\n']],
  ])('fails a stream that sent %s: its start rejects with the 504 and the upstream is hung up on', async (_what, keepAlives) => {
    // Prepare
    let closed: Promise<boolean> | undefined;
    handler = (_req, res) => {
      closed = serverSideClosed(res);
      res.writeHead(200, sse);
      res.flushHeaders();
      keepAlives.forEach((line, i) => setTimeout(() => res.write(line), 40 * (i + 1)));
    };

    // Act
    const res = await client.send(post({ firstByteTimeoutMs: DEADLINE_MS }));
    const failure = await res.body.started?.()?.catch((e: unknown) => e);

    // Assess: the keep-alives stay for the reader, ahead of the failure.
    expect(failure).toMatchObject({ status: 504, code: 'upstream_timeout', message: 'The upstream provider did not start its answer in time.' });
    expect(await closed).toBe(false);
  });

  it('keeps reading an upstream that sends many keep-alives before its first event, rather than pausing it into the deadline', async () => {
    // Prepare: more keep-alive writes than the body queues before it pauses the socket (64), then the event.
    handler = (_req, res) => {
      res.writeHead(200, sse);
      let sent = 0;
      const tick = setInterval(() => {
        if (sent++ < 100) return void res.write(': ping\n\n');
        clearInterval(tick);
        res.end('data: {"n":1}\n\n');
      }, 1);
    };

    // Act
    const res = await client.send(post({ firstByteTimeoutMs: DEADLINE_MS * 5 }));
    const failure = await res.body.started?.()?.catch((e: unknown) => e);
    const text = await res.body.text();

    // Assess
    expect(failure).toBeUndefined();
    expect(text).toBe(`${': ping\n\n'.repeat(100)}data: {"n":1}\n\n`);
  });

  it('lets a stream whose first event came in time go on through gaps longer than the deadline', async () => {
    // Prepare
    const events = ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', 'data: [DONE]\n\n'];
    handler = (_req, res) => {
      res.writeHead(200, sse);
      res.write(': ping\n\n');
      setTimeout(() => res.write(events[0]), DEADLINE_MS / 2);
      setTimeout(() => res.write(events[1]), DEADLINE_MS * 2);
      setTimeout(() => res.end(events[2]), DEADLINE_MS * 3);
    };

    // Act
    const res = await client.send(post({ firstByteTimeoutMs: DEADLINE_MS }));
    await res.body.started?.();
    const text = await res.body.text();

    // Assess
    expect(text).toBe(`: ping\n\n${events.join('')}`);
  });

  it('lets a whole answer whose first bytes came in time finish after the deadline', async () => {
    // Prepare
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"chatcmpl-1",');
      setTimeout(() => res.end('"object":"chat.completion"}'), DEADLINE_MS * 2);
    };

    // Act
    const res = await client.send(post({ firstByteTimeoutMs: DEADLINE_MS }));
    const text = await res.body.text();

    // Assess
    expect(JSON.parse(text)).toEqual({ id: 'chatcmpl-1', object: 'chat.completion' });
  });

  it('has nothing to wait for once the answer has started, nor without a deadline', async () => {
    // Prepare
    handler = (_req, res) => {
      res.writeHead(200, sse);
      res.write('data: {"n":1}\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), 50);
    };

    // Act
    const watched = await client.send(post({ firstByteTimeoutMs: DEADLINE_MS }));
    await watched.body.started?.();
    const again = watched.body.started?.();
    await watched.body.dump();
    const unwatched = await client.send(post());
    const none = unwatched.body.started?.();
    await unwatched.body.dump();

    // Assess
    expect(again).toBeUndefined();
    expect(none).toBeUndefined();
  });
});

describe('a request still waiting for a connection', () => {
  const DEADLINE_MS = 200;
  const HOLD_MS = DEADLINE_MS * 10;

  it.each([
    ['its first-answer deadline passes: a 504', () => ({ firstByteTimeoutMs: DEADLINE_MS }), { status: 504, code: 'upstream_timeout', message: 'The upstream provider did not start its answer in time.' }],
    ['its caller aborts: the caller\'s reason', () => ({ signal: AbortSignal.timeout(DEADLINE_MS) }), { name: 'TimeoutError' }],
  ])('is answered at once when %s, not when a connection frees', async (_what, options, expected) => {
    // Prepare: one connection per origin, held by a stream that lasts well past the deadline.
    const queued = createUpstreamClient({ connections: 1 });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), HOLD_MS);
    };
    const holder = await queued.send(post());
    const holderDone = holder.body.text();

    // Act
    const start = performance.now();
    const err = await queued.send(post(options())).catch((e: unknown) => e);
    const elapsed = performance.now() - start;

    // Assess
    expect(err).toMatchObject(expected);
    expect(elapsed).toBeLessThan(HOLD_MS / 2);
    await holderDone;
    await queued.close();
  });
});

describe('the first-answer deadline and a kept-alive connection', () => {
  const DEADLINE_MS = 150;

  it.each([
    ['an answer that started and ended in time', { 'content-type': 'application/json' }, '{"ok":true}'],
    ['an answer with no body at all (nothing ever started it)', { 'content-type': 'application/json' }, ''],
    ['a stream of keep-alives only, ended in time', { 'content-type': 'text/event-stream' }, ': ping\n\n'],
  ])('does not cut the next call on the connection after %s, when the first call\'s deadline passes', async (_what, headers, body) => {
    // Prepare
    let sockets = 0;
    const count = () => sockets++;
    server.on('connection', count);
    handler = (_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    };
    expect(await (await client.send(post({ firstByteTimeoutMs: DEADLINE_MS }))).body.text()).toBe(body);
    await new Promise((resolve) => setImmediate(resolve));

    // Act: the next call on the same socket, without a deadline, answers well after the first's would have passed.
    handler = (_req, res) => setTimeout(() => res.end('late but sound'), DEADLINE_MS * 3);
    const text = await (await client.send(post())).body.text();

    // Assess
    server.off('connection', count);
    expect(text).toBe('late but sound');
    expect(sockets).toBe(1);
  });
});

describe('callTimeouts', () => {
  const gateway = { headersMs: 300_000, idleMs: 300_000, firstByteMs: 8_000 };
  it.each([
    ['a stream: the gateway-wide deadline', gateway, undefined, true, { headersMs: 300_000, idleMs: 300_000, firstByteMs: 8_000 }],
    ['a stream: the provider’s own over the gateway’s', gateway, { idleMs: 60_000, firstByteMs: 2_000 }, true, { headersMs: 300_000, idleMs: 60_000, firstByteMs: 2_000 }],
    ['a whole answer: no deadline, the rest kept', gateway, { idleMs: 60_000, firstByteMs: 2_000 }, false, { headersMs: 300_000, idleMs: 60_000 }],
    ['a whole answer with only the gateway’s deadline', gateway, undefined, false, { headersMs: 300_000, idleMs: 300_000 }],
    ['a stream with no deadline set anywhere', { headersMs: 1_000, idleMs: 2_000 }, { headersMs: 500 }, true, { headersMs: 500, idleMs: 2_000 }],
    ['a stream whose provider alone sets one', { headersMs: 1_000, idleMs: 2_000 }, { firstByteMs: 700 }, true, { headersMs: 1_000, idleMs: 2_000, firstByteMs: 700 }],
    ['a stream whose provider turns the gateway’s off (null)', gateway, { firstByteMs: null }, true, { headersMs: 300_000, idleMs: 300_000 }],
  ])('%s', (_case, gatewayTimeouts, provider, inPieces, expected) => {
    expect(callTimeouts(gatewayTimeouts, provider, inPieces)).toEqual(expected);
  });

  it('leaves no firstByteMs key at all on a whole answer, so the request carries no deadline', () => {
    expect('firstByteMs' in callTimeouts(gateway, undefined, false)).toBe(false);
    expect(upstreamTimeouts(callTimeouts(gateway, undefined, false))).toEqual({ headersTimeoutMs: 300_000, idleTimeoutMs: 300_000 });
  });
});
