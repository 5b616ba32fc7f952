import { createServer, connect, type Server } from 'node:net';
import { Agent } from 'undici';
import { GatewayError } from '../http/errors';
import { decodeEventStream } from '../providers/bedrock/eventstream';
import { newContext } from './context';
import { brokeOff, isUpstreamBreak, OWN_FAULT_CODE, OWN_FAULT_LINE, readFailure } from './broke-off';
// undici's errors by the path the gateway loads them (`lib/upstream/http.ts`).
import undiciErrors = require('undici/lib/core/errors');

/** What a real socket gives its reader when the other side resets it (node's ECONNRESET). */
async function connectionReset(): Promise<Error> {
  const server: Server = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<Error>((resolve) => connect(port, '127.0.0.1').on('error', resolve).on('close', () => resolve(new Error('closed without an error'))));
  } finally {
    server.close();
  }
}

/**
 * What undici's reader fails with when an upstream's answer breaks HTTP/1.1 after its headers
 * went (a chunk size that is not hex): llhttp's HTTPParserError, whose `code` is undefined here
 * (llhttp gives undici no error code for a body's parse), so no code names it.
 */
async function malformedChunk(): Promise<Error> {
  const answer = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nZZZ\r\n';
  const server: Server = createServer((socket) => socket.once('data', () => socket.write(answer)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const agent = new Agent();
  try {
    return await new Promise<Error>((resolve) => {
      agent.dispatch(
        { origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET' },
        { onConnect: () => undefined, onHeaders: () => true, onData: () => true, onComplete: () => resolve(new Error('completed without an error')), onError: resolve },
      );
    });
  } finally {
    await agent.destroy();
    server.close();
  }
}

/** What a corrupt event-stream frame (a length no frame can have) throws while Bedrock's answer is decoded. */
async function corruptFrame(): Promise<unknown> {
  async function* bytes() {
    yield new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  }
  try {
    for await (const _ of decodeEventStream(bytes())) continue;
  } catch (err) {
    return err;
  }
  return undefined;
}

/** Runs `fault` and returns what it threw: the engine's own errors, made as our code would make them. */
function thrownBy(fault: () => unknown): unknown {
  try {
    fault();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

const nothing = null as unknown as { id: string; length: number };

describe('isUpstreamBreak and readFailure', () => {
  let reset: Error;
  let frame: unknown;
  let unparsable: Error;

  beforeAll(async () => {
    reset = await connectionReset();
    frame = await corruptFrame();
    unparsable = await malformedChunk();
  });

  it('reads a real reset socket as node reports it (ECONNRESET), and a real malformed chunk as undici does (HTTPParserError)', () => {
    expect(reset).toMatchObject({ code: 'ECONNRESET' });
    expect(unparsable).toMatchObject({ name: 'HTTPParserError', message: expect.stringContaining('chunk size') });
  });

  it.each([
    ['undici: the socket closed under the answer', () => new undiciErrors.SocketError('other side closed')],
    ['undici: a body shorter than its content-length', () => new undiciErrors.ResponseContentLengthMismatchError()],
    ['undici: the request aborted under it', () => new undiciErrors.RequestAbortedError()],
    ['undici: the body silent past its idle timeout', () => new undiciErrors.BodyTimeoutError()],
    ['undici: an answer that breaks HTTP/1.1 after its headers (a real one\'s HTTPParserError, without a code)', () => unparsable],
    ['node: the connection reset (a real socket\'s)', () => reset],
    ['node: EPIPE, as a socket write fails', () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' })],
    ['OpenSSL: a TLS record that does not decrypt', () => Object.assign(new Error('decryption failed or bad record mac'), { code: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC' })],
    ['a corrupt event-stream frame', () => frame],
    ['an error caused by a socket error', () => new Error('read failed', { cause: new undiciErrors.SocketError('other side closed') })],
  ])('calls %s the upstream breaking off (502 upstream_interrupted)', (_what, made) => {
    // Act
    const err = made();
    const failure = readFailure(err, undefined, 'the stream');

    // Assess
    expect(isUpstreamBreak(err)).toBe(true);
    expect(failure).toMatchObject({ kind: 'upstream_unavailable', status: 502, code: 'upstream_interrupted', message: 'The upstream provider broke off the stream.' });
  });

  it.each([
    ['a TypeError (a property of null read)', () => thrownBy(() => nothing.id)],
    ['a TypeError (something not iterable spread)', () => thrownBy(() => [...(nothing as unknown as number[])])],
    ['a RangeError', () => thrownBy(() => new Array(-1))],
    ['a ReferenceError', () => thrownBy(() => new Function('return notDefinedAnywhere')())],
    ['a SyntaxError of our own JSON.parse (upstream bytes\' parses are caught where they are read)', () => thrownBy(() => JSON.parse('{'))],
    ['a plain Error our code threw', () => new Error('unreachable: no encoder for the event')],
    ['node\'s TypeError for a bad argument (a code, but not an I/O one)', () => thrownBy(() => Buffer.from(nothing as unknown as string))],
    ['something not an Error at all', () => 'a string'],
    ['undici refusing an argument of ours (UND_ERR_INVALID_ARG: our misuse, not the upstream\'s doing)', () => new undiciErrors.InvalidArgumentError('invalid onData method')],
    ['undici refusing what a handler of ours returned (UND_ERR_INVALID_RETURN_VALUE)', () => new undiciErrors.InvalidReturnValueError('onData must return a boolean')],
    ['a DOMException AbortError of a signal that is not the request\'s (the gateway aborted it)', () => thrownBy(() => AbortSignal.abort().throwIfAborted())],
  ])('calls %s the gateway\'s own fault (internal_error), keeping its words for the log', (_what, made) => {
    // Act
    const err = made();
    const failure = readFailure(err, undefined, 'its answer');

    // Assess
    expect(isUpstreamBreak(err)).toBe(false);
    expect(failure).toMatchObject({ kind: 'internal', status: 500, code: OWN_FAULT_CODE, message: 'The gateway failed while relaying its answer.' });
    if (err instanceof Error) expect(failure.detail).toBe(err.message);
  });

  it('keeps the gateway\'s own errors as they are, and says why an aborted call ended, whatever was thrown', () => {
    // Prepare
    const bound = new GatewayError('upstream_error', 'An event was too large.', { code: 'upstream_event_too_large' });
    const deadline = new AbortController();
    deadline.abort(new DOMException('timed out', 'TimeoutError'));

    // Act & assess
    expect(readFailure(bound, undefined, 'the stream')).toBe(bound);
    expect(readFailure(new TypeError('x'), deadline.signal, 'the stream')).toMatchObject({ code: 'deadline_exceeded' });
  });
});

describe('brokeOff', () => {
  type Call = [string, Record<string, unknown>];
  const logger = () => {
    const calls = { warn: [] as Call[], error: [] as Call[] };
    return { calls, logger: { warn: (m: string, f: Record<string, unknown>) => void calls.warn.push([m, f]), error: (m: string, f: Record<string, unknown>) => void calls.error.push([m, f]) } as never };
  };

  it('books an upstream break interrupted and logs it at WARN as the writer\'s line', () => {
    // Prepare
    const ctx = { ...newContext('r1', 'openai-chat', new Date()), provider: 'oai', account: 'a' };
    const { calls, logger: log } = logger();

    // Act
    const error = brokeOff(new undiciErrors.SocketError('other side closed'), { ctx, logger: log, signal: undefined }, 'the stream', 'stream interrupted');

    // Assess
    expect(error).toMatchObject({ code: 'upstream_interrupted' });
    expect(ctx).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted', errorDetail: 'other side closed' });
    expect(calls.error).toEqual([]);
    expect(calls.warn).toEqual([['stream interrupted', expect.objectContaining({ requestId: 'r1', provider: 'oai', account: 'a', code: 'upstream_interrupted', detail: 'other side closed' })]]);
  });

  it('books a fault of the gateway\'s own as internal_error and logs it at ERROR as OWN_FAULT_LINE, with the writer\'s line and the error\'s stack', () => {
    // Prepare
    const ctx = { ...newContext('r2', 'anthropic', new Date()), provider: 'oai', account: 'a' };
    const { calls, logger: log } = logger();
    const fault = thrownBy(() => nothing.length) as TypeError;

    // Act
    const error = brokeOff(fault, { ctx, logger: log, signal: undefined }, 'its answer', 'media answer interrupted', { relayedBytes: 10 });

    // Assess: the client's error is the gateway's (500 internal), the record says so, and the line pages.
    expect(error).toMatchObject({ kind: 'internal', code: 'internal_error' });
    expect(ctx).toMatchObject({ outcome: 'interrupted', errorCode: 'internal_error' });
    expect(calls.warn).toEqual([]);
    expect(calls.error).toEqual([[OWN_FAULT_LINE, expect.objectContaining({ requestId: 'r2', provider: 'oai', relayedBytes: 10, while: 'media answer interrupted', code: 'internal_error', error: fault })]]);
    expect(fault.stack).toContain('TypeError');
  });

  it('owes a client that left nothing, and logs nothing, whatever was thrown', () => {
    // Prepare
    const ctx = newContext('r3', 'openai-chat', new Date());
    const { calls, logger: log } = logger();
    const gone = new AbortController();
    gone.abort(new Error('client gone'));

    // Act
    const error = brokeOff(new TypeError('x'), { ctx, logger: log, signal: gone.signal }, 'the stream', 'stream interrupted');

    // Assess
    expect(error).toBeUndefined();
    expect(ctx.outcome).toBe('aborted');
    expect([...calls.warn, ...calls.error]).toEqual([]);
  });
});
