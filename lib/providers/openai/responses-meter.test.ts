import { newResponseFrame, responseStreamEvents } from '../../../test/fakes/openai-responses-wire';
import { ResponsesStreamMeter } from './responses-meter';
import { responsesErrorEvents } from '../../pipeline/upstream-error-events';

/** A clock that advances 5 ms each time it is read. */
function ticking(): () => number {
  let t = 0;
  return () => (t += 5);
}

/** Feeds `text` in pieces of `size` bytes, so events and UTF-8 characters split anywhere. */
function feedInPieces(meter: ResponsesStreamMeter, text: string, size: number): void {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) meter.feed(bytes.subarray(i, i + size));
}

const content = { text: 'Ça va très bien', finishReason: 'stop' as const, usage: { prompt: 40, completion: 6, cached: 8, reasoning: 2 } };

describe('ResponsesStreamMeter', () => {
  it.each([
    ['CR line ends', (text: string) => text.replaceAll('\n', '\r')],
    ['LF line ends but a CR as the very last byte', (text: string) => `${text.slice(0, -1)}\r`],
  ])('reads the final event, response.completed, of a stream in %s once told it ended', (_name, lineEnds) => {
    // Prepare
    const meter = new ResponsesStreamMeter(0, ticking());

    // Act
    feedInPieces(meter, lineEnds(responseStreamEvents(newResponseFrame('gpt-4.1', {}), content).join('')), 7);
    const before = meter.complete;
    meter.end();

    // Assess
    expect(before).toBe(false);
    expect(meter.complete).toBe(true);
    expect(meter.usage).toEqual({ input: 40, output: 6, cacheRead: 8, cacheWrite: 0, reasoning: 2 });
  });

  it.each([1, 7, 64, 100_000])('reads usage, the first token and the end from a stream fed in %i-byte pieces', (size) => {
    // Prepare
    const meter = new ResponsesStreamMeter(0, ticking());

    // Act
    feedInPieces(meter, responseStreamEvents(newResponseFrame('gpt-4.1', {}), content).join(''), size);

    // Assess
    expect(meter.usage).toEqual({ input: 40, output: 6, cacheRead: 8, cacheWrite: 0, reasoning: 2 });
    expect(meter.firstTokenMs).toBe(5);
    expect(meter.complete).toBe(true);
    expect(meter.error).toBeUndefined();
  });

  it('takes the first function-call arguments as the first token, and an incomplete response as an end', () => {
    const meter = new ResponsesStreamMeter(0, ticking());

    meter.feed(responseStreamEvents(newResponseFrame('m', {}), { calls: [{ name: 'f', arguments: '{"a":1}' }], finishReason: 'length', usage: { prompt: 3, completion: 4 } }).join(''));

    expect(meter.firstTokenMs).toBe(5);
    expect(meter).toMatchObject({ complete: true, usage: { input: 3, output: 4 } });
  });

  it('reports a stream cut before its final event as incomplete, with the number of the last event it read', () => {
    const meter = new ResponsesStreamMeter(0, ticking());

    meter.feed(responseStreamEvents(newResponseFrame('m', {}), content).slice(0, 5).join(''));

    expect(meter.complete).toBe(false);
    expect(meter.usage).toBeUndefined();
    expect(meter.lastSequence).toBe(4);
  });

  it('counts the characters of text and argument deltas, on every stream (a cut one is charged by them, budget or not)', () => {
    const meter = new ResponsesStreamMeter(0, ticking());

    meter.feed(responseStreamEvents(newResponseFrame('m', {}), content).join(''));
    meter.feed(responseStreamEvents(newResponseFrame('m', {}), { calls: [{ name: 'f', arguments: '{"a":1}' }], finishReason: 'stop', usage: { prompt: 3, completion: 4 } }).join(''));

    expect(meter.outputChars).toBe('Ça va très bien'.length + '{"a":1}'.length);
  });

  it('counts the characters of a delta written with spaces (an OpenAI-compatible server\'s Responses API)', () => {
    const meter = new ResponsesStreamMeter(0, ticking());

    meter.feed('event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "sequence_number": 4, "delta": "Hello there"}\n\n');

    expect(meter.outputChars).toBe('Hello there'.length);
  });

  it('reads the number of a delta whose text holds the same words', () => {
    const meter = new ResponsesStreamMeter(0, ticking());

    meter.feed('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":7,"delta":"\\"sequence_number\\":99"}\n\n');

    expect(meter.lastSequence).toBe(7);
  });

  it.each([
    ['a failed response', responseStreamEvents(newResponseFrame('m', {}), content, { failAfter: 2 }).join(''), /An error occurred/],
    ['an error event (nested)', 'event: error\ndata: {"type":"error","error":{"type":"server_error","code":"server_error","message":"Boom"},"sequence_number":3}\n\n', /Boom/],
    ['an error event (flat)', 'event: error\ndata: {"type":"error","code":"server_error","message":"Flat boom","param":null,"sequence_number":3}\n\n', /Flat boom/],
  ])('reads %s as the error the gateway tells in its place, naming the provider by its config id', (_name, text, message) => {
    // Prepare
    const meter = new ResponsesStreamMeter(0, ticking(), undefined, 'oai-east');
    const told = responsesErrorEvents('oai-east').rewrite(text.trimEnd().split('\n\n').find((e) => /"type":"(error|response\.failed)"/.test(e))!);

    // Act
    meter.feed(text);

    // Assess
    expect(meter.error?.message).toMatch(message);
    expect(meter.error).toEqual(told?.error);
    expect([meter.error?.code, meter.error?.detail]).toEqual([told?.error.code, told?.error.detail]);
  });

  it('reads a failed response without an error object as the upstream sent it, with no code (it goes on unrewritten)', () => {
    const meter = new ResponsesStreamMeter(0, ticking());

    meter.feed('event: response.failed\ndata: {"type":"response.failed","response":{"status":"failed","error":null},"sequence_number":2}\n\n');

    expect(meter.error).toMatchObject({ message: 'response failed', code: undefined, detail: undefined });
  });
});
