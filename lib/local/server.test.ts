import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import OpenAI from 'openai';
import type { AdminApi } from '../admin/api';
import type { Gateway } from '../gateway';
import { GatewayError } from '../http/errors';
import { TransferAborted } from '../http/transfer-aborted';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import { createLogger, silentLogger, type GatewayLogger } from '../observe/logger';
import { createLocalServer } from './server';

/**
 * The door alone, in front of a stand-in gateway that answers with the given stream (its request
 * id in `x-request-id`, as the gateway's answers carry it), or with what `handle` does.
 */
async function serveStream(body: () => AsyncIterable<Uint8Array>, options: { logger?: GatewayLogger; handle?: (req: GatewayRequest) => Promise<GatewayResponse> } = {}) {
  const handle = options.handle ?? (async (req: GatewayRequest): Promise<GatewayResponse> => ({ status: 200, headers: { 'content-type': 'text/event-stream', 'x-request-id': req.requestId }, body: body() }));
  const gateway = { handle } as unknown as Gateway;
  const admin = { handle: async () => ({ status: 404, headers: {}, body: '' }) } as unknown as AdminApi;
  const server = createLocalServer({ gateway, admin, logger: options.logger ?? silentLogger });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, close: () => new Promise((r) => server.close(r)), writes: socketWritesOf(server) };
}

/**
 * What the door handed its sockets, one entry per write to the kernel (a corked batch is one
 * entry): what left in one write, as `net.Socket` reports it to its `_writeGeneric`.
 */
function socketWritesOf(server: Server): string[] {
  const writes: string[] = [];
  server.on('connection', (socket: Socket) => {
    // Node's internal write path (`_write` and `_writev` both end there); spied because node:http corks and batches above it.
    const internal = socket as unknown as { _writeGeneric: (writev: boolean, data: unknown, encoding: string, cb: () => void) => void };
    const original = internal._writeGeneric.bind(socket);
    internal._writeGeneric = (writev, data, encoding, cb) => {
      const chunks = writev ? (data as { chunk: Buffer | string }[]).map((d) => d.chunk) : [data as Buffer | string];
      writes.push(chunks.map((c) => c.toString()).join(''));
      original(writev, data, encoding, cb);
    };
  });
  return writes;
}

/**
 * Each piece of the response body as it reached a client in another process (one in this process
 * would be held up by the same busy event loop), with when (ms after the request).
 */
function receive(url: string): Promise<{ at: number; text: string }[]> {
  const client = `
    const started = performance.now(); const pieces = [];
    require('node:http').request(${JSON.stringify(url)}, { method: 'POST' }, (res) => {
      res.on('data', (c) => pieces.push({ at: performance.now() - started, text: c.toString() }));
      res.on('end', () => process.stdout.write(JSON.stringify(pieces)));
    }).end('{}');`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { at: number; text: string }[])));
  });
}

/** When (ms after the request) a client in another process had the response's headers, and its first body byte. */
function openedAt(url: string): Promise<{ headers: number; firstByte: number }> {
  const client = `
    const started = performance.now();
    require('node:http').request(${JSON.stringify(url)}, { method: 'POST' }, (res) => {
      const headers = performance.now() - started; let firstByte;
      res.on('data', () => (firstByte ??= performance.now() - started));
      res.on('end', () => process.stdout.write(JSON.stringify({ headers, firstByte })));
    }).end('{}');`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { headers: number; firstByte: number })));
  });
}

describe('the local door writing a stream', () => {
  it('sends the headers at once when the first chunk is not there yet, so the client sees the stream open', async () => {
    // Prepare: the first chunk comes 300 ms after the answer began, as a model thinking before its first token.
    const { url, close } = await serveStream(async function* () {
      await new Promise((resolve) => setTimeout(resolve, 300));
      yield Buffer.from('data: first\n\n');
    });

    // Act
    const { headers, firstByte } = await openedAt(url);
    await close();

    // Assess
    expect(firstByte - headers).toBeGreaterThan(200);
  });

  it('sends the first chunk at once, without waiting for the chunks read after it in the same turn', async () => {
    // Prepare: the second chunk is ready without any I/O, but takes 80 ms of work to make. The
    // first is yielded from a microtask, as a chunk read off the upstream is.
    const { url, close } = await serveStream(async function* () {
      await Promise.resolve();
      yield Buffer.from('data: first\n\n');
      const busyUntil = performance.now() + 80;
      while (performance.now() < busyUntil);
      yield Buffer.from('data: second\n\n');
    });

    // Act
    const pieces = await receive(url);
    await close();

    // Assess
    const first = pieces.find((p) => p.text.includes('first'))!;
    const second = pieces.find((p) => p.text.includes('second'))!;
    expect(first.text).not.toContain('second');
    expect(second.at - first.at).toBeGreaterThan(50);
  });
});

/** What a node:http client in this process got: the bytes, whether the response ended or was aborted, and its request id. */
function fetchRaw(url: string, body = '{}'): Promise<{ text: string; ended: boolean; aborted: boolean; status?: number; requestId?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST' }, (res) => {
      let text = '';
      let ended = false;
      let aborted = false;
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => (ended = true));
      res.on('aborted', () => (aborted = true));
      // An aborted response also errors (ECONNRESET); `close` reports it.
      res.on('error', () => undefined);
      res.on('close', () => resolve({ text, ended, aborted, ...(res.statusCode === 200 ? {} : { status: res.statusCode }), ...(res.headers['x-request-id'] ? { requestId: String(res.headers['x-request-id']) } : {}) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the local door, when a streamed body throws after its first byte', () => {
  it.each([
    ['TransferAborted (raw audio cut off)', () => new TransferAborted(new GatewayError('upstream_unavailable', 'The upstream provider broke off its answer.', { code: 'upstream_interrupted' }))],
    ['any other error (a body that broke its promise to end in-band)', () => new Error('bug')],
  ])('aborts the transfer on %s: the client sees what came, then no end', async (_name, failure) => {
    // Prepare
    const { url, close } = await serveStream(async function* () {
      yield Buffer.from('ID3-frame-1');
      await new Promise((r) => setTimeout(r, 20));
      throw failure();
    });

    // Act
    const got = await fetchRaw(url);
    await close();

    // Assess
    expect(got).toMatchObject({ text: 'ID3-frame-1', ended: false, aborted: true });
  });

  it('ends a body that ends normally cleanly', async () => {
    // Prepare
    const { url, close } = await serveStream(async function* () {
      yield Buffer.from('ID3-frame-1');
      yield Buffer.from('frame-2');
    });

    // Act
    const got = await fetchRaw(url);
    await close();

    // Assess
    expect(got).toMatchObject({ text: 'ID3-frame-1frame-2', ended: true, aborted: false });
  });
});

/**
 * The bytes a client in another process read off its socket, piece by piece (each `data` event of
 * the socket, so what left the door in one write arrives as one piece), and how its connection ended.
 * With `leaveAfterMs`, the client closes its connection that long after sending the request.
 */
function socketPieces(url: string, leaveAfterMs?: number): Promise<{ pieces: string[]; error?: string }> {
  const { port } = new URL(url);
  const client = `
    const pieces = []; let error;
    const socket = require('node:net').connect(${port}, '127.0.0.1', () => {
      socket.write('POST /v1/chat/completions HTTP/1.1\\r\\nhost: x\\r\\ncontent-length: 2\\r\\nconnection: close\\r\\n\\r\\n{}');
      ${leaveAfterMs === undefined ? '' : `setTimeout(() => socket.destroy(), ${leaveAfterMs});`}
    });
    socket.on('data', (c) => pieces.push(c.toString()));
    socket.on('error', (e) => (error = e.code));
    socket.on('close', () => process.stdout.write(JSON.stringify({ pieces, error })));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { pieces: string[]; error?: string })));
  });
}

describe('the local door opening a stream', () => {
  it('sends the headers in the same write as a first chunk that is already there', async () => {
    // Prepare: the first chunk comes from a microtask (as one read off the upstream), the next much later.
    const { url, close, writes } = await serveStream(async function* () {
      await Promise.resolve();
      yield Buffer.from('data: first\n\n');
      await new Promise((resolve) => setTimeout(resolve, 200));
      yield Buffer.from('data: second\n\n');
    });

    // Act
    await fetchRaw(url);
    await close();

    // Assess
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n[\s\S]*data: first/);
    expect(writes[0]).not.toContain('second');
  });

  it('sends the headers alone when the first chunk is late, then the chunk', async () => {
    // Prepare
    const { url, close, writes } = await serveStream(async function* () {
      await new Promise((resolve) => setTimeout(resolve, 200));
      yield Buffer.from('data: first\n\n');
    });

    // Act
    const { pieces } = await socketPieces(url);
    await close();

    // Assess: on the socket, and as the client read it.
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
    expect(writes.slice(1).join('')).toContain('data: first');
    expect(pieces[0]).toMatch(/\r\n\r\n$/);
  });

  it('sends headers and the end together for a body without chunks', async () => {
    // Prepare
    const { url, close, writes } = await serveStream(async function* () {
      // nothing to say
    });

    // Act
    const got = await fetchRaw(url);
    await close();

    // Assess: the terminating chunk went with the headers.
    expect(got).toMatchObject({ text: '', ended: true, aborted: false });
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n0\r\n\r\n$/);
  });

  it.each([
    ['at once (in the turn the stream began)', 0],
    ['after the headers went alone', 100],
  ])('aborts the transfer of a body that throws before its first chunk %s: the client never sees a clean end', async (_when, ms) => {
    // Prepare
    const { url, close } = await serveStream(async function* () {
      if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
      throw new TransferAborted(new GatewayError('upstream_unavailable', 'The upstream provider broke off its answer.', { code: 'upstream_interrupted' }));
    });

    // Act
    const { pieces } = await socketPieces(url);
    await close();

    // Assess: the status (a 200 already written) may have left, but never the terminating chunk.
    const text = pieces.join('');
    expect(text).not.toMatch(/0\r\n\r\n$/);
    if (ms) expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('ends the body (its cleanup runs) when the client leaves before the first chunk, and writes nothing after', async () => {
    // Prepare
    let cleaned = false;
    let release: () => void = () => undefined;
    const late = new Promise<void>((resolve) => (release = resolve));
    const { url, close } = await serveStream(async function* () {
      try {
        await late;
        yield Buffer.from('data: first\n\n');
        yield Buffer.from('data: second\n\n');
      } finally {
        cleaned = true;
      }
    });

    // Act: the client leaves 100 ms in; the first chunk comes after that.
    const { pieces } = await socketPieces(url, 100);
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await close();

    // Assess
    expect(pieces.join('')).not.toContain('data:');
    expect(cleaned).toBe(true);
  });
});

/**
 * The gateway's logger as it runs (JSON lines on stdout and stderr, not through jest's console as
 * in Powertools' dev mode), and the lines it wrote since, parsed.
 */
function capturedLogger() {
  const devMode = process.env.POWERTOOLS_DEV;
  delete process.env.POWERTOOLS_DEV;
  const logger = createLogger({ serviceName: 'aigw', level: 'INFO' });
  if (devMode !== undefined) process.env.POWERTOOLS_DEV = devMode;
  const raw: string[] = [];
  const spies = [process.stdout, process.stderr].map((out) =>
    jest.spyOn(out, 'write').mockImplementation((chunk: string | Uint8Array) => {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }),
  );
  return {
    logger,
    raw,
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

describe('the local door, logging what fails under it', () => {
  let log: ReturnType<typeof capturedLogger>;
  beforeEach(() => {
    log = capturedLogger();
  });
  afterEach(() => log.restore());

  const PROMPT = '{"messages":[{"role":"user","content":"my secret plan"}]}';

  it('logs a body that throws anything but TransferAborted once, by request id, and cuts the client off', async () => {
    // Prepare
    const { url, close } = await serveStream(
      async function* () {
        yield Buffer.from('data: first\n\n');
        await new Promise((r) => setTimeout(r, 20));
        throw new RangeError('Invalid array length');
      },
      { logger: log.logger },
    );

    // Act
    const got = await fetchRaw(url, PROMPT);
    await close();

    // Assess: the client sees what came, then no end; the log says what and for which request, once.
    expect(got).toMatchObject({ text: 'data: first\n\n', ended: false, aborted: true });
    expect(log.lines()).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'streamed body failed', service: 'aigw', requestId: got.requestId, error: expect.objectContaining({ name: 'RangeError', message: 'Invalid array length' }) }),
    ]);
    expect(log.raw.join('\n')).not.toContain('secret plan');
  });

  it('fails the OpenAI SDK\'s stream, rather than end it as if whole, when the body breaks its promise mid-stream', async () => {
    // Prepare: one well-formed chunk, then a throw where an in-band error event was owed.
    const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] };
    const { url, close } = await serveStream(
      async function* () {
        yield Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('bug');
      },
      { logger: log.logger },
    );
    const client = new OpenAI({ baseURL: new URL('/v1', url).href, apiKey: 'sk-test', maxRetries: 0 });

    // Act
    const got: string[] = [];
    const failure = await (async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      for await (const c of stream) got.push(c.choices[0]?.delta.content ?? '');
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    await close();

    // Assess: the SDK saw the text that came, then the connection fail (fetch's 'terminated', from outside jest's realm).
    expect(got).toEqual(['Hel']);
    expect(failure).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(log.lines()).toEqual([expect.objectContaining({ level: 'ERROR', message: 'streamed body failed' })]);
  });

  it('logs nothing for a body that throws TransferAborted (its pipeline has logged it), and cuts the client off', async () => {
    // Prepare
    const { url, close } = await serveStream(
      async function* () {
        yield Buffer.from('ID3-frame-1');
        throw new TransferAborted(new GatewayError('upstream_unavailable', 'The upstream provider broke off its answer.', { code: 'upstream_interrupted' }));
      },
      { logger: log.logger },
    );

    // Act
    const got = await fetchRaw(url);
    await close();

    // Assess
    expect(got).toMatchObject({ text: 'ID3-frame-1', ended: false, aborted: true });
    expect(log.lines()).toEqual([]);
  });

  it('logs nothing when the client leaves mid-stream', async () => {
    // Prepare
    const { url, close } = await serveStream(
      async function* () {
        for (;;) {
          yield Buffer.from('data: more\n\n');
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      { logger: log.logger },
    );

    // Act
    await socketPieces(url, 100);
    await new Promise((r) => setTimeout(r, 50));
    await close();

    // Assess
    expect(log.lines()).toEqual([]);
  });

  it('answers 500 without detail, and logs the error by request id, when the gateway itself throws', async () => {
    // Prepare
    let requestId: string | undefined;
    const { url, close } = await serveStream(async function* () {}, {
      logger: log.logger,
      handle: async (req) => {
        requestId = req.requestId;
        throw new TypeError("Cannot read properties of undefined (reading 'choices')");
      },
    });

    // Act
    const got = await fetchRaw(url, PROMPT);
    await close();

    // Assess: neither the message nor a stack reaches the client.
    expect(got).toMatchObject({ status: 500, ended: true, text: '{"error":{"message":"The gateway failed to handle this request.","type":"server_error","param":null,"code":null}}' });
    expect(log.lines()).toEqual([expect.objectContaining({ level: 'ERROR', message: 'request failed', requestId, error: expect.objectContaining({ name: 'TypeError' }) })]);
  });

  it('logs a JSON error the gateway throws without the text it quotes (a prompt or an answer)', async () => {
    // Prepare
    const { url, close } = await serveStream(async function* () {}, {
      logger: log.logger,
      handle: async (req) => JSON.parse(`${req.method} my secret prompt`) as never,
    });

    // Act
    const got = await fetchRaw(url, PROMPT);
    await close();

    // Assess
    expect(got).toMatchObject({ status: 500, ended: true });
    const [line] = log.lines();
    expect(line).toMatchObject({ level: 'ERROR', message: 'request failed', error: { name: 'SyntaxError', message: "Unexpected token 'P' (the text is not logged) is not valid JSON" } });
    expect(JSON.stringify(log.lines())).not.toContain('secret');
  });

  it.each([
    ['a whole answer', 'whole'],
    ['a stream, still read to its end (its cleanup books the call)', 'stream'],
  ] as const)('cuts the client off and logs it, rather than crash the process, when the response cannot be written: %s', async (_name, kind) => {
    // Prepare: headers node:http refuses (a line break in a value); the stream's upstream runs until the client's signal aborts.
    let requestId: string | undefined;
    let cleaned = false;
    const stream = (signal: AbortSignal) =>
      (async function* () {
        try {
          yield Buffer.from('data: first\n\n');
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        } finally {
          cleaned = true;
        }
      })();
    const { url, close } = await serveStream(async function* () {}, {
      logger: log.logger,
      handle: async (req) => {
        requestId = req.requestId;
        return kind === 'whole'
          ? { status: 200, headers: { 'content-type': 'application/json', 'x-broken': 'a\nb' }, body: '{}' }
          : { status: 200, headers: { 'content-type': 'text/event-stream', 'x-broken': 'a\nb' }, body: stream(req.signal!) };
      },
    });

    // Act
    const got = await fetchRaw(url).catch((err: NodeJS.ErrnoException) => err.code);
    await new Promise((r) => setTimeout(r, 50));
    await close();

    // Assess: node:http's TypeError comes from outside jest's realm, which Powertools' `instanceof
    // Error` does not see as one (it logs its own fields only); in a plain process it logs name and message.
    expect(got).toBe('ECONNRESET');
    expect(cleaned).toBe(kind === 'stream');
    expect(log.lines()).toEqual([expect.objectContaining({ level: 'ERROR', message: 'response could not be written', requestId, error: expect.objectContaining({ code: 'ERR_INVALID_CHAR' }) })]);
  });
});
