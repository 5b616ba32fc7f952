// The error undici fails a body with when the upstream's socket closes under it (UND_ERR_SOCKET).
import undiciErrors = require('undici/lib/core/errors');
import { TransferAborted } from '../http/transfer-aborted';
import type { UpstreamResponse } from '../upstream/http';
import { newContext, type RequestContext } from './context';
import { GatewayError } from '../http/errors';
import { firstAudioInHand, isRawMedia, rawMediaAnswer, type RawMediaInput } from './raw-media';

/** An upstream answer whose body yields `chunks`, then fails with `failure` if given; `cancelled` says whether its reader left early. */
function upstreamOf(chunks: string[], failure?: Error, answer: { status?: number; contentType?: string } = {}) {
  const state = { cancelled: false, pulled: 0 };
  async function* body(): AsyncGenerator<Buffer> {
    let sentAll = false;
    try {
      for (const chunk of chunks) {
        state.pulled++;
        yield Buffer.from(chunk);
      }
      sentAll = true;
      if (failure) throw failure;
    } finally {
      // Left before its end by its reader (`return`), not by its own failure.
      if (!sentAll) state.cancelled = true;
    }
  }
  const iterable = body();
  // What is left to read whole: the chunks the iterator has not given yet.
  const bytes = async () => Buffer.from(chunks.slice(state.pulled).join(''));
  const res: UpstreamResponse = {
    status: answer.status ?? 200,
    headers: { 'content-type': answer.contentType ?? 'audio/mpeg', 'x-request-id': 'up-1' },
    body: Object.assign(iterable, { text: async () => (await bytes()).toString(), bytes, dump: async () => undefined }),
  };
  return { res, state };
}

function inputOf(res: UpstreamResponse, options: { signal?: AbortSignal; maxUpstreamEventBytes?: number } = {}) {
  const ctx: RequestContext = newContext('req-1', 'openai-audio', new Date(0));
  const warnings: unknown[] = [];
  const finish = jest.fn();
  const input: RawMediaInput = {
    res,
    ctx,
    deps: { logger: { debug() {}, info() {}, error() {}, warn: (...args: unknown[]) => void warnings.push(args) }, config: { limits: { maxUpstreamEventBytes: options.maxUpstreamEventBytes ?? 1024 } } },
    signal: options.signal,
    finish,
  };
  return { input, ctx, warnings, finish };
}

async function readAll(body: unknown): Promise<string> {
  let text = '';
  for await (const chunk of body as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();
  return text;
}

/** What a door gets of a body that may throw: the text before, and the throw. */
async function readToFailure(body: unknown): Promise<{ text: string; failure: unknown }> {
  let text = '';
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();
  } catch (failure) {
    return { text, failure };
  }
  return { text, failure: undefined };
}

describe('isRawMedia', () => {
  it.each([
    ['audio/mpeg', true],
    ['audio/wav', true],
    ['audio/pcm', true],
    ['Audio/Opus', true],
    ['application/octet-stream', true],
    ['application/json', false],
    ['text/event-stream; charset=utf-8', false],
    ['text/plain; charset=utf-8', false],
    ['', false],
  ])('tells %j raw: %s', (contentType, raw) => {
    expect(isRawMedia(contentType)).toBe(raw);
  });
});

describe('rawMediaAnswer', () => {
  it('relays each chunk as it comes with the upstream content type, first byte timed, outcome ok, books closed once', async () => {
    // Prepare
    const { res } = upstreamOf(['ID3', 'frame-1', 'frame-2']);
    const { input, ctx, finish } = inputOf(res);

    // Act
    const answer = await rawMediaAnswer(input);
    const iterator = (answer.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const first = await iterator.next();
    const ttftAtFirst = ctx.ttftMs;
    const rest = await readAll({ [Symbol.asyncIterator]: () => iterator });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers).toEqual({ 'content-type': 'audio/mpeg' });
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('ID3');
    expect(rest).toBe('frame-1frame-2');
    expect(ttftAtFirst).toEqual(expect.any(Number));
    expect(ctx.ttftMs).toBe(ttftAtFirst);
    expect(ctx.outcome).toBe('ok');
    expect(ctx.status).toBe(200);
    expect(finish).toHaveBeenCalledTimes(1);
  });

  it('reads the upstream only as fast as the client takes the chunks (a slow client holds it back, not the gateway)', async () => {
    // Prepare
    const { res, state } = upstreamOf(['a', 'b', 'c']);
    const { input, finish } = inputOf(res);

    // Act
    const iterator = ((await rawMediaAnswer(input)).body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    // The first chunk is read before the answer is given (an upstream that breaks off before it is an error answer).
    const pulledBeforeAsked = state.pulled;
    await iterator.next();
    const pulledAtFirst = state.pulled;
    await iterator.next();

    // Assess
    expect(pulledBeforeAsked).toBe(1);
    expect(pulledAtFirst).toBe(1);
    expect(state.pulled).toBe(2);
    expect(finish).not.toHaveBeenCalled();
  });

  it('throws the client\'s error, with nothing relayed nor booked as a stream, when the upstream breaks off before any audio', async () => {
    // Prepare
    const { res } = upstreamOf([], new undiciErrors.SocketError('other side closed'));
    const { input, finish } = inputOf(res);

    // Act
    const failure = await rawMediaAnswer(input).catch((e: unknown) => e);

    // Assess: the gateway maps it and closes the books as a whole answer's.
    expect(failure).toMatchObject({ kind: 'upstream_unavailable', code: 'upstream_interrupted', detail: 'other side closed' });
    expect(finish).not.toHaveBeenCalled();
  });

  it('relays what came, then throws TransferAborted for the door, booked interrupted before it, when the upstream breaks off', async () => {
    // Prepare
    const { res } = upstreamOf(['ID3', 'frame-1'], new undiciErrors.SocketError('other side closed'));
    const { input, ctx, warnings, finish } = inputOf(res);

    // Act
    const { text, failure } = await readToFailure((await rawMediaAnswer(input)).body);

    // Assess: no error format exists inside raw audio; the door aborts the transfer instead.
    expect(text).toBe('ID3frame-1');
    expect(failure).toBeInstanceOf(TransferAborted);
    expect((failure as TransferAborted).cause).toMatchObject({ code: 'upstream_interrupted', detail: 'other side closed' });
    expect(ctx).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted', errorDetail: 'other side closed' });
    expect(warnings).toEqual([['media answer interrupted', expect.objectContaining({ requestId: 'req-1', contentType: 'audio/mpeg', relayedBytes: 10, code: 'upstream_interrupted' })]]);
    expect(finish).toHaveBeenCalledTimes(1);
  });

  it('books it aborted, with nothing logged, when the client went away', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new Error('client gone'));
    const { res } = upstreamOf(['ID3'], new Error('aborted'));
    const { input, ctx, warnings } = inputOf(res, { signal: controller.signal });

    // Act: nobody is left to tell, so nothing is thrown.
    const { failure } = await readToFailure((await rawMediaAnswer(input)).body);

    // Assess
    expect(failure).toBeUndefined();
    expect(ctx.outcome).toBe('aborted');
    expect(ctx.errorCode).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('books it interrupted by the deadline when the request ran out of time', async () => {
    // Prepare
    const deadline = AbortSignal.abort(new DOMException('timed out', 'TimeoutError'));
    const { res } = upstreamOf(['ID3'], new Error('aborted'));
    const { input, ctx } = inputOf(res, { signal: deadline });

    // Act
    const { failure } = await readToFailure((await rawMediaAnswer(input)).body);

    // Assess
    expect(failure).toBeInstanceOf(TransferAborted);
    expect(ctx).toMatchObject({ outcome: 'interrupted', errorCode: 'deadline_exceeded' });
  });

  it('cancels the upstream and books it aborted when the door stops reading', async () => {
    // Prepare
    const { res, state } = upstreamOf(['ID3', 'frame-1', 'frame-2']);
    const { input, ctx, finish } = inputOf(res);
    const iterator = ((await rawMediaAnswer(input)).body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();

    // Act
    await iterator.next();
    await iterator.return?.(undefined);

    // Assess
    expect(state.cancelled).toBe(true);
    expect(ctx.outcome).toBe('aborted');
    expect(finish).toHaveBeenCalledTimes(1);
  });

  it('aborts the audio at the bound of a whole answer, the upstream cancelled, as interrupted', async () => {
    // Prepare: a bound of 4 bytes per event makes 32 for the whole answer.
    const { res, state } = upstreamOf(['0123456789', '0123456789', '0123456789', '0123456789', '0123456789']);
    const { input, ctx } = inputOf(res, { maxUpstreamEventBytes: 4 });

    // Act
    const { text, failure } = await readToFailure((await rawMediaAnswer(input)).body);

    // Assess
    expect(text).toBe('0123456789'.repeat(3));
    expect((failure as TransferAborted).cause).toMatchObject({ code: 'upstream_answer_too_large' });
    expect(state.cancelled).toBe(true);
    expect(ctx).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_answer_too_large' });
  });
});

describe('firstAudioInHand', () => {
  it.each([
    ['an error answer', { status: 503, contentType: 'application/json' }],
    ['a JSON answer', { contentType: 'application/json' }],
    ['a stream of events', { contentType: 'text/event-stream' }],
  ])('gives %s back untouched, unread', async (_what, answer) => {
    // Prepare
    const { res, state } = upstreamOf(['{}'], undefined, answer);

    // Act
    const given = await firstAudioInHand(res, undefined, 'openai');

    // Assess
    expect(given).toBe(res);
    expect(state.pulled).toBe(0);
  });

  it.each([
    ['breaks off before its first chunk', [], new undiciErrors.SocketError('other side closed'), { kind: 'upstream_unavailable', status: 502, code: 'upstream_interrupted', detail: 'other side closed' }],
    // The body fails with the upstream's timeout (`createUpstreamClient` makes the idle timeout one): it stays that, a 504.
    ['falls silent past its idle timeout before its first chunk', [], new GatewayError('upstream_timeout', 'The upstream provider stopped sending.', { code: 'upstream_timeout' }), { kind: 'upstream_timeout', status: 504, code: 'upstream_timeout' }],
    ['ends before its first chunk', [], undefined, { kind: 'upstream_error', status: 502, code: 'upstream_bad_response', message: 'The upstream provider "openai" answered with no audio.' }],
  ])('throws a failure of the account (5xx: the attempt fails over) when the audio %s', async (_what, chunks, failure, expected) => {
    // Prepare
    const { res } = upstreamOf(chunks, failure);

    // Act
    const thrown = await firstAudioInHand(res, undefined, 'openai').catch((e: unknown) => e);

    // Assess
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject(expected);
  });

  it('throws why the call was aborted, not a failure of the account, when the client left while the first chunk was awaited', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new Error('client gone'));
    const { res } = upstreamOf([], new Error('aborted'));

    // Act
    const thrown = await firstAudioInHand(res, controller.signal, 'openai').catch((e: unknown) => e);

    // Assess
    expect(thrown).toMatchObject({ status: 499, code: 'client_closed_request' });
  });

  it('holds the first chunk without reading further, then gives it and the rest in order from the same reader', async () => {
    // Prepare
    const { res, state } = upstreamOf(['ID3', 'frame-1', 'frame-2']);

    // Act
    const given = await firstAudioInHand(res, undefined, 'openai');
    const pulledWhenGiven = state.pulled;
    const text = await readAll(given.body);

    // Assess
    expect(given.status).toBe(200);
    expect(given.headers['content-type']).toBe('audio/mpeg');
    expect(pulledWhenGiven).toBe(1);
    expect(text).toBe('ID3frame-1frame-2');
    expect(state.cancelled).toBe(false);
  });

  it('cancels the upstream when its reader leaves before taking even the chunk in hand', async () => {
    // Prepare
    const { res, state } = upstreamOf(['ID3', 'frame-1']);
    const given = await firstAudioInHand(res, undefined, 'openai');

    // Act
    await given.body[Symbol.asyncIterator]().return?.();

    // Assess
    expect(state.cancelled).toBe(true);
  });

  it('reads whole as the chunk in hand and the rest', async () => {
    // Prepare
    const { res } = upstreamOf(['ID3', 'frame-1', 'frame-2']);
    const given = await firstAudioInHand(res, undefined, 'openai');

    // Act
    const whole = await given.body.text();

    // Assess
    expect(whole).toBe('ID3frame-1frame-2');
  });

  it('relays through rawMediaAnswer as an unheld answer would: the chunk in hand first, books closed once', async () => {
    // Prepare
    const { res } = upstreamOf(['ID3', 'frame-1']);
    const { input, ctx, finish } = inputOf(await firstAudioInHand(res, undefined, 'openai'));

    // Act
    const text = await readAll((await rawMediaAnswer(input)).body);

    // Assess
    expect(text).toBe('ID3frame-1');
    expect(ctx.outcome).toBe('ok');
    expect(finish).toHaveBeenCalledTimes(1);
  });
});
