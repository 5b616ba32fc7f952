import { answerTooLarge } from '../upstream/event-bound';
import type { UpstreamResponse } from '../upstream/http';
import { readAhead, readsWhole } from './read-ahead';

/** An upstream answer whose whole read gives `bytes`, or fails with `failure`. */
function answerOf(bytes: string, failure?: Error): UpstreamResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
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
    const held = await readAhead(answerOf(json));
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
    const refused = await readAhead(answerOf('', tooLarge)).catch((e: unknown) => e);
    const broken = await readAhead(answerOf('', brokeOff)).catch((e: unknown) => e);

    // Assess
    expect(refused).toBe(tooLarge);
    expect(broken).toBe(brokeOff);
  });
});
