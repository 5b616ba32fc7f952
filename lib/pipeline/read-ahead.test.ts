import { answerTooLarge } from '../upstream/event-bound';
import type { UpstreamResponse } from '../upstream/http';
import { GatewayError } from '../http/errors';
import { SseStartScan, streamScan } from '../upstream/answer-start';
import { eventFrame, exceptionFrame } from '../../test/fakes/bedrock-wire';
import { UpstreamBody } from '../upstream/response-body';
import { answerInHand, failedBeforeAnswer, isEmptyJson, readAhead, readsWhole, refuseEmptyJson } from './read-ahead';

/** An upstream answer whose whole read gives `bytes`, or fails with `failure`. */
function answerOf(bytes: string, failure?: Error, contentType = 'application/json'): UpstreamResponse {
  return {
    status: 200,
    headers: { 'content-type': contentType },
    body: {
      async *[Symbol.asyncIterator]() {
        throw new Error('read whole, not chunk by chunk');
      },
      bytes: async () => {
        if (failure) throw failure;
        return Buffer.from(bytes);
      },
      text: async () => bytes,
      dump: async () => undefined,
    },
  };
}

describe('readsWhole', () => {
  it.each([
    ['a call that is not a stream, answered in JSON', 'application/json', { stream: false }, true],
    ['a call that is not a stream, answered in text (a transcription)', 'text/plain; charset=utf-8', { stream: false }, true],
    ['a call that is not a stream, answered with no content type', undefined, { stream: false }, true],
    ['speech: raw audio, relayed as it comes', 'audio/mpeg', { stream: false }, false],
    ['bytes of no named type, relayed as they come', 'application/octet-stream', { stream: false }, false],
    ['a stream', 'text/event-stream', { stream: true }, false],
    ["Bedrock's event stream", 'application/vnd.amazon.eventstream', { stream: true }, false],
    ['a stream asked for, answered with one JSON body (an error sent as 200, a model that cannot stream)', 'application/json', { stream: true }, true],
    ["Gemini's JSON array: a stream in application/json", 'application/json', { stream: true, jsonArray: true }, false],
  ])('%s: %s', (_name, contentType, ctx, whole) => {
    expect(readsWhole(contentType === undefined ? {} : { 'content-type': contentType }, ctx)).toBe(whole);
  });
});

describe('readAhead', () => {
  it('gives an answer whose body is the bytes read, however the writer reads them', async () => {
    // Prepare
    const json = '{"id":"chatcmpl-1","choices":[]}';

    // Act
    const held = await readAhead(answerOf(json), 'openai');
    const chunks: Buffer[] = [];
    for await (const chunk of held.body) chunks.push(chunk);

    // Assess
    expect(held.status).toBe(200);
    expect(held.headers).toEqual({ 'content-type': 'application/json' });
    expect((await held.body.bytes()).toString()).toBe(json);
    expect(await held.body.text()).toBe(json);
    expect(Buffer.concat(chunks).toString()).toBe(json);
    await expect(held.body.dump()).resolves.toBeUndefined();
  });

  it('throws the failure of the read, as the attempt\'s failure: the bound\'s refusal and a broken-off body alike', async () => {
    // Prepare
    const tooLarge = answerTooLarge(32);
    const brokeOff = new Error('other side closed');

    // Act
    const refused = await readAhead(answerOf('', tooLarge), 'openai').catch((e: unknown) => e);
    const broken = await readAhead(answerOf('', brokeOff), 'openai').catch((e: unknown) => e);

    // Assess
    expect(refused).toBe(tooLarge);
    expect(broken).toBe(brokeOff);
  });
});

describe('isEmptyJson', () => {
  it.each([
    ['a JSON answer with nothing in it', 200, 'application/json', '', true],
    ['a JSON answer of blanks only', 200, 'application/json; charset=utf-8', ' \r\n\t', true],
    ['an answer of a JSON subtype with nothing in it', 200, 'application/problem+json', '', true],
    // A translated attempt's stand-in (`ANSWERED`, its answer read already) is one: it must pass.
    ['an answer with no content type and nothing in it', 200, undefined, '', false],
    ['a JSON answer', 200, 'application/json', '{"id":"chatcmpl-1"}', false],
    ['a JSON answer led by blanks', 200, 'application/json', '\n{}', false],
    ['an empty text answer (the transcription of silence may be one)', 200, 'text/plain', '', false],
    ['a 204 No Content', 204, undefined, '', false],
    ['a 205 Reset Content', 205, 'application/json', '', false],
  ])('%s: %s %s', (_name, status, contentType, body, empty) => {
    expect(isEmptyJson(status, contentType === undefined ? {} : { 'content-type': contentType }, Buffer.from(body))).toBe(empty);
  });
});

describe('readAhead of an empty answer', () => {
  it('throws a failure of the account (502 upstream_bad_response: the attempt fails over) when a JSON answer comes with an empty body', async () => {
    // Act
    const thrown = await readAhead(answerOf(''), 'openai').catch((e: unknown) => e);

    // Assess
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(thrown).toMatchObject({ kind: 'upstream_error', status: 502, code: 'upstream_bad_response', message: 'The upstream provider "openai" answered with an empty body.' });
  });

  it('gives an empty text answer back as it came', async () => {
    // Act
    const held = await readAhead(answerOf('', undefined, 'text/plain; charset=utf-8'), 'openai');

    // Assess
    expect(await held.body.text()).toBe('');
  });
});

describe('refuseEmptyJson', () => {
  it.each([
    ['an empty JSON answer: refused', 200, 'application/json', '', 'upstream_bad_response'],
    ['a JSON answer of blanks: refused', 200, 'application/json', '\n', 'upstream_bad_response'],
    ['a JSON answer: passes', 200, 'application/json', '{"embedding":[0.1]}', undefined],
    ["a translated attempt's untyped stand-in: passes", 200, undefined, '', undefined],
    ['a 204: passes', 204, 'application/json', '', undefined],
  ])('%s', (_name, status, contentType, body, code) => {
    const res = { status, headers: contentType === undefined ? {} : { 'content-type': contentType } };

    const thrown = (() => {
      try {
        refuseEmptyJson(res, Buffer.from(body), 'aws');
        return undefined;
      } catch (err) {
        return err;
      }
    })();

    if (code === undefined) expect(thrown).toBeUndefined();
    else expect(thrown).toMatchObject({ status: 502, code, message: 'The upstream provider "aws" answered with an empty body.' });
  });
});

describe('failedBeforeAnswer', () => {
  const OVERLOADED = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01"}}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
  const ANSWER = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01"}}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n';

  /** A stream as `dispatch` makes it (watched for its start), given `pieces`; `aborted` collects the upstream's cancellations. */
  function streamOf(contentType: string, pieces: readonly (string | Uint8Array)[]) {
    const aborted: Error[] = [];
    const body = new UpstreamBody(
      () => undefined,
      (reason) => void aborted.push(reason),
      undefined,
      // The scan `dispatch` picks (a JSON answer to a stream call is Gemini's array); SSE's for a type it watches not.
      { scan: streamScan(contentType, true) ?? new SseStartScan(), onStart: () => undefined },
    );
    for (const piece of pieces) body.push(Buffer.from(piece));
    const res: UpstreamResponse = { status: 200, headers: { 'content-type': contentType }, body };
    return { res, body, aborted };
  }

  it.each<[string, string, readonly (string | Uint8Array)[], number | undefined]>([
    ["Anthropic's overloaded_error after message_start", 'text/event-stream', [OVERLOADED], 503],
    ["Bedrock's throttlingException after messageStart", 'application/vnd.amazon.eventstream', [eventFrame('messageStart', { role: 'assistant' }), exceptionFrame('throttlingException', 'Too many requests')], 429],
    ["Bedrock's answer", 'application/vnd.amazon.eventstream', [eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } })], undefined],
    ["Gemini's JSON array opening with UNAVAILABLE", 'application/json; charset=UTF-8', ['[{\n  "error": {\n    "code": 503,\n    "message": "Overloaded",\n    "status": "UNAVAILABLE"\n  }\n}\n', ']'], 503],
    ["Gemini's JSON array opening with an answer", 'application/json; charset=UTF-8', ['[{"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\n', ']'], undefined],
    ['the same, its error in a later read', 'text/event-stream', [OVERLOADED.slice(0, 90), OVERLOADED.slice(90)], 503],
    ['a sound answer', 'text/event-stream', [ANSWER], undefined],
    ['an answer that is not SSE', 'application/x-ndjson', [OVERLOADED], undefined],
  ])('%s', async (_what, contentType, pieces, status) => {
    // Prepare
    const { res, aborted } = streamOf(contentType, pieces);
    const held = answerInHand(res, { stream: true, jsonArray: true }, undefined, 'claude');
    if (held) await held;

    // Act
    const failure = failedBeforeAnswer(res, 'claude');

    // Assess: the failure is typed by the provider's reader, and the upstream is cancelled only then.
    expect(failure?.status).toBe(status);
    expect(aborted).toHaveLength(status === undefined ? 0 : 1);
  });

  it('leaves every chunk of a sound answer for its writer', async () => {
    // Prepare
    const { res, body } = streamOf('text/event-stream', [ANSWER.slice(0, 50), ANSWER.slice(50)]);
    body.end();

    // Act
    const failure = failedBeforeAnswer(res, 'claude');
    let read = '';
    for await (const chunk of body) read += chunk.toString();

    // Assess
    expect(failure).toBeUndefined();
    expect(read).toBe(ANSWER);
  });
});
