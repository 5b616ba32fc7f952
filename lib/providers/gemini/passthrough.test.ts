import { geminiPassthroughRequest, GeminiStreamMeter } from './passthrough';

const sse = (chunk: unknown) => `data: ${JSON.stringify(chunk)}\r\n\r\n`;
const text = (t: string, extra: Record<string, unknown> = {}) => ({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0, ...extra }], responseId: 'r1' });

describe('geminiPassthroughRequest', () => {
  it('sends the client’s bytes to the upstream model’s method with the account’s key', () => {
    // Prepare
    const raw = Buffer.from('{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"googleSearch":{}}]}');

    // Act
    const stream = geminiPassthroughRequest({ raw, baseUrl: 'https://g.test/', apiKey: 'AIza-1', model: 'gemini-2.5-pro', stream: true, timeouts: { headersMs: 1, idleMs: 2 } });
    const whole = geminiPassthroughRequest({ raw, baseUrl: 'https://g.test', apiKey: 'AIza-1', model: 'tunedModels/mine', stream: false, accountHeaders: { 'x-team': 't' }, timeouts: { headersMs: 1, idleMs: 2 } });

    // Assess
    expect(stream).toMatchObject({ url: 'https://g.test/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', method: 'POST', headers: { 'x-goog-api-key': 'AIza-1', accept: 'text/event-stream' } });
    expect(stream.body).toBe(raw);
    expect(whole).toMatchObject({ url: 'https://g.test/v1beta/tunedModels/mine:generateContent', headers: { 'x-team': 't', 'x-goog-api-key': 'AIza-1' } });
  });

  it('asks for the JSON array (no alt=sse, accepting JSON) when the client streams it', () => {
    const raw = Buffer.from('{"contents":[]}');
    const array = geminiPassthroughRequest({ raw, baseUrl: 'https://g.test', apiKey: 'AIza-1', model: 'gemini-2.5-pro', stream: true, jsonArray: true, timeouts: { headersMs: 1, idleMs: 2 } });
    expect(array).toMatchObject({ url: 'https://g.test/v1beta/models/gemini-2.5-pro:streamGenerateContent', headers: { accept: 'application/json' } });
  });
});

describe('GeminiStreamMeter', () => {
  it('takes the last running usage (never a sum), the first output time, and sees the finish', () => {
    // Prepare
    let clock = 100;
    const meter = new GeminiStreamMeter(100, () => clock);

    // Act
    clock = 130;
    meter.feed(sse({ ...text('Hel'), usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1 } }));
    clock = 150;
    const last = sse({ ...text('lo', { finishReason: 'STOP' }), usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 3, cachedContentTokenCount: 6 } });
    meter.feed(last.slice(0, 20));
    meter.feed(Buffer.from(last.slice(20)));

    // Assess
    expect(meter.firstTokenMs).toBe(30);
    expect(meter.usage).toEqual({ input: 10, output: 7, cacheRead: 6, cacheWrite: 0, reasoning: 3 });
    expect(meter.complete).toBe(true);
    expect(meter.error).toBeUndefined();
  });

  it('counts the output relayed: text, thoughts, function names and arguments', () => {
    const meter = new GeminiStreamMeter(0);

    meter.feed(sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'plan', thought: true }, { text: 'Hello' }] } }] }));
    meter.feed(sse({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }] } }] }));

    expect(meter.outputChars).toBe('plan'.length + 'Hello'.length + 'weather'.length + JSON.stringify({ city: 'Oslo' }).length);
  });

  it.each([
    ['CR line ends', (event: string) => event.replace(/\r?\n/g, '\r')],
    ['CRLF line ends but a lone CR as the very last byte', (event: string) => event.replace(/\r?\n/g, '\r\n').slice(0, -1)],
  ])('sees the finish, in the last event, of a stream in %s once told it ended', (_name, lineEnds) => {
    const meter = new GeminiStreamMeter(0);

    meter.feed(lineEnds(sse(text('Hel'))));
    meter.feed(lineEnds(sse({ ...text('lo', { finishReason: 'STOP' }), usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4 } })));
    meter.end();

    expect(meter.complete).toBe(true);
    expect(meter.usage).toMatchObject({ input: 10, output: 4 });
  });

  it('finds a stream cut before its finishReason incomplete', () => {
    const meter = new GeminiStreamMeter(0);
    meter.feed(sse(text('Hel')));
    expect(meter.complete).toBe(false);
    expect(meter.complete).toBe(false);
  });

  it('reads an in-band error and stops reading after it', () => {
    // Act
    const meter = new GeminiStreamMeter(0);
    meter.feed(sse(text('Hel')));
    meter.feed(sse({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }));
    meter.feed(sse({ ...text('more', { finishReason: 'STOP' }), usageMetadata: { promptTokenCount: 99 } }));

    // Assess
    expect(meter.error).toMatchObject({ message: 'The model is overloaded.', status: 503 });
    expect(meter.usage).toBeUndefined();
    expect(meter.complete).toBe(false);
  });

  describe('reading the JSON array (no alt=sse)', () => {
    /** Google's framing: `[` first, `\n,\r\n` between pretty-printed elements, `]` last. */
    const array = (elements: object[], closed = true) => elements.map((e, i) => `${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(e, null, 2)}`).join('') + (closed ? '\n]' : '');

    it('reads usage, first output and the finish as from SSE, across any cut', () => {
      let clock = 0;
      const meter = new GeminiStreamMeter(0, () => clock, 'gemini', 'array');
      const bytes = Buffer.from(array([text('Hé'), { ...text('llo', { finishReason: 'STOP' }), usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4 } }]));
      clock = 12;
      for (let at = 0; at < bytes.length; at += 7) meter.feed(bytes.subarray(at, at + 7));
      expect(meter).toMatchObject({ firstTokenMs: 12, usage: { input: 10, output: 4 }, outputChars: 'Hello'.length, complete: true, error: undefined });
      expect(meter.array).toMatchObject({ closed: true, elements: 2 });
    });

    it('reads the error element Google ends a failed array with', () => {
      const meter = new GeminiStreamMeter(0, undefined, 'gemini', 'array');
      meter.feed(array([text('Hel'), { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }]));
      expect(meter.error).toMatchObject({ message: 'The model is overloaded.', status: 503 });
      expect(meter.complete).toBe(false);
    });

    it('finds an array cut inside an element incomplete, and knows it is inside one', () => {
      const meter = new GeminiStreamMeter(0, undefined, 'gemini', 'array');
      meter.feed(array([text('Hel')], false) + '\n,\r\n{"candidates": [');
      expect(meter.complete).toBe(false);
      expect(meter.array).toMatchObject({ opened: true, insideElement: true, elements: 1 });
    });
  });
});
