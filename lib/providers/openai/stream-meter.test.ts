import { chatChunkFuzzer } from '../../../test/chat-chunks';
import { GatewayError } from '../../http/errors';
import { OpenAIStreamMeter } from './stream-meter';

describe('OpenAIStreamMeter', () => {
  it('learns from 20 streams of generated chunks what a meter that parses every chunk learns: output characters, first token, finish, usage, error', () => {
    const { random, chunk, serialise } = chatChunkFuzzer(0xc4a7, { finishes: true });
    for (let stream = 0; stream < 20; stream++) {
      // The clock counts readings: a first token taken at another chunk shows as another time.
      let fastClock = 0;
      let parsedClock = 0;
      const fast = new OpenAIStreamMeter(0, () => fastClock);
      const parsing = new OpenAIStreamMeter(0, () => parsedClock, true);
      const length = 1 + Math.floor(random() * 200);
      for (let n = 0; n < length; n++) {
        fastClock = parsedClock = n;
        const data = serialise(chunk());
        fast.observe(data);
        parsing.observe(data);
        const seen = (m: OpenAIStreamMeter) => [m.outputChars, m.firstTokenMs, m.finishReason, m.usage, m.error];
        expect([data, ...seen(fast)]).toEqual([data, ...seen(parsing)]);
      }
    }
  });
});

describe('OpenAIStreamMeter on chunks of an unexpected shape', () => {
  const frame = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
  // Every value JSON can hold, at every place of a chunk the meter reads. A throw here ends a
  // passed-through answer as a fault of the gateway's own (and pages): none may throw.
  const odd: unknown[] = [null, 0, -1, 1.5, '', 'x', true, false, [], [null], ['x'], {}, [{}], { x: 1 }];
  const places: [string, (v: unknown) => unknown][] = [
    ['the chunk', (v) => v],
    ['choices', (v) => ({ ...frame, choices: v, usage: { prompt_tokens: 1 } })],
    ['choices, beside a finish', (v) => ({ ...frame, choices: v, finish_reason: 'stop', content: 'x' })],
    ['a choice', (v) => ({ ...frame, choices: [v], usage: { prompt_tokens: 1 } })],
    ['the delta', (v) => ({ ...frame, choices: [{ index: 0, delta: v, finish_reason: 'stop' }] })],
    ['finish_reason', (v) => ({ ...frame, choices: [{ index: 0, delta: {}, finish_reason: v }], usage: { prompt_tokens: 1 } })],
    ['content', (v) => ({ ...frame, choices: [{ index: 0, delta: { content: v, refusal: v, reasoning_content: v, reasoning: v, tool_calls: v }, text: v, finish_reason: 'stop' }] })],
    ['a tool call', (v) => ({ ...frame, choices: [{ index: 0, delta: { tool_calls: [v, { function: v }] }, finish_reason: 'stop' }] })],
    ['usage', (v) => ({ ...frame, choices: [], usage: v })],
    ['error', (v) => ({ error: v })],
  ];

  it.each(places)('never throws on any JSON value as %s, parsing every chunk or skimming', (_place, at) => {
    for (const thorough of [false, true]) {
      for (const value of odd) {
        // Prepare
        const meter = new OpenAIStreamMeter(0, () => 1, thorough);

        // Act
        const read = () => meter.observe(JSON.stringify(at(value)));

        // Assess
        expect(read).not.toThrow();
        expect([typeof meter.finishReason, meter.error === undefined || meter.error instanceof GatewayError]).toEqual([expect.stringMatching(/^(string|undefined)$/), true]);
      }
    }
  });

  it.each([
    { name: 'reads the usage beside a null choice', data: { ...frame, choices: [null], usage: { prompt_tokens: 3, completion_tokens: 2 } }, seen: { usage: expect.objectContaining({ input: 3, output: 2 }), outputChars: 0 } },
    { name: 'counts the output of the choice beside a null one', data: { ...frame, choices: [null, { index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] }, seen: { outputChars: 2, finishReason: 'stop' } },
    { name: 'words an error whose message is not text as the gateway\'s, naming the provider', data: { error: { message: 42 } }, seen: { error: expect.objectContaining({ message: 'The upstream provider "openai" answered 500.' }) } },
  ])('$name', ({ data, seen }) => {
    for (const thorough of [false, true]) {
      // Prepare
      const meter = new OpenAIStreamMeter(0, () => 1, thorough);

      // Act
      meter.observe(JSON.stringify(data));

      // Assess
      expect(meter).toMatchObject(seen);
    }
  });
});
