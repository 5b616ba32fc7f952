import { chatChunkFuzzer } from '../../../test/chat-chunks';
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
        const seen = (m: OpenAIStreamMeter) => [m.outputChars, m.firstTokenMs, m.finishReason, m.usage, m.upstreamError];
        expect([data, ...seen(fast)]).toEqual([data, ...seen(parsing)]);
      }
    }
  });
});
