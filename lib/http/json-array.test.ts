import { arrayErrorTail, JsonArraySplitter, JsonArrayWriter, sseAsJsonArray, sseDataOf } from './json-array';

/** Google's framing of this stream, as the Gemini API writes it (and the fake copies). */
const googleArray = (elements: object[]) => elements.map((e, i) => `${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(e, null, 2)}${i === elements.length - 1 ? '\n]' : ''}`).join('');

function split(chunks: (string | Uint8Array)[]) {
  const found: unknown[] = [];
  const splitter = new JsonArraySplitter((text) => found.push(JSON.parse(text)));
  for (const chunk of chunks) splitter.feed(chunk);
  return { found, splitter };
}

describe('JsonArraySplitter', () => {
  const ELEMENTS = [
    { candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }] },
    { candidates: [{ content: { parts: [{ text: 'lo ] } [ { "quoted" \\ back\\slash' }] } }], usageMetadata: { promptTokenCount: 3 } },
    { candidates: [{ content: { parts: [{ text: '日本語 🎉' }] }, finishReason: 'STOP' }] },
  ];

  it.each([
    ['whole', [googleArray(ELEMENTS)]],
    ['a character at a time', [...googleArray(ELEMENTS)]],
    ['as bytes cut inside UTF-8 characters', [...Buffer.from(googleArray(ELEMENTS))].map((b) => Uint8Array.of(b))],
    ['compact, no spaces', [JSON.stringify(ELEMENTS)]],
  ])('hands over each element as it closes, %s', (_name, chunks) => {
    const { found, splitter } = split(chunks);
    expect(found).toEqual(ELEMENTS);
    expect(splitter).toMatchObject({ opened: true, closed: true, insideElement: false, invalid: false, elements: 3 });
  });

  it('hands an element over before the array ends (a stream is read as it comes)', () => {
    const text = googleArray(ELEMENTS);
    const firstEnd = text.indexOf('\n,\r\n');
    const { found, splitter } = split([text.slice(0, firstEnd)]);
    expect(found).toEqual([ELEMENTS[0]]);
    expect(splitter).toMatchObject({ opened: true, closed: false, insideElement: false });
  });

  it.each([
    ['nothing', '', { opened: false, closed: false, insideElement: false }],
    ['the opening bracket', '[', { opened: true, closed: false, insideElement: false }],
    ['part of an element', '[{"a": "b', { opened: true, closed: false, insideElement: true }],
    ['an empty array', ' []', { opened: true, closed: true, insideElement: false }],
  ])('knows where it stands after %s', (_name, text, state) => {
    expect(split([text]).splitter).toMatchObject(state);
  });

  it.each([
    ['an object, not an array', '{"error": {}}'],
    ['a scalar element', '[1, 2]'],
  ])('gives up on %s', (_name, text) => {
    const { found, splitter } = split([text]);
    expect(found).toEqual([]);
    expect(splitter.invalid).toBe(true);
  });

  it('reads 2 000 random arrays of random JSON cut at random places exactly as JSON.parse does', () => {
    let state = 5;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const strings = ['', '"', '\\', '\\"', ']', '}', '[', '{', ',', '\n', '\u2028', 'é', '🎉', '\\\\"]'];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.35) return [null, true, 1.5e-3, -7, strings[Math.floor(random() * strings.length)]!.repeat(1 + Math.floor(random() * 3))][Math.floor(random() * 6)];
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`${strings[Math.floor(random() * strings.length)]}${i}`, value(depth + 1)]));
    };
    for (let i = 0; i < 2_000; i++) {
      const elements = Array.from({ length: Math.floor(random() * 5) }, () => (random() < 0.8 ? { v: value(1) } : [value(1)]));
      const text = random() < 0.5 ? JSON.stringify(elements, null, random() < 0.5 ? 2 : undefined) : elements.length ? googleArray(elements) : '[]';
      const bytes = Buffer.from(text);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 40);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const { found, splitter } = split(chunks);
      expect(found).toEqual(JSON.parse(text));
      expect(splitter.closed).toBe(true);
    }
  });
});

describe('JsonArraySplitter with a bound on one element', () => {
  it('hands over elements within the bound and throws when one outgrows it, holding no more of it', () => {
    const found: string[] = [];
    const tooLarge = new Error('too large');
    const splitter = new JsonArraySplitter((text) => found.push(text), 24, () => tooLarge);

    splitter.feed('[{"text": "short"}\n,\r\n{"text": "');
    splitter.feed('a'.repeat(10));
    expect(() => splitter.feed('a'.repeat(10))).toThrow(tooLarge);

    expect(found).toEqual(['{"text": "short"}']);
    // Cut inside an element: nothing can make what was relayed valid.
    expect(splitter.insideElement).toBe(true);
    expect(() => splitter.feed('"}]')).not.toThrow();
  });

  it.each([
    ['before the array opens', ''],
    ['between elements', '[{"n": 1}'],
    ['after a bare scalar (no element this reader could end)', '["'],
    ['after the array closed', '[{"n": 1}]'],
  ])('throws when what is held or ignored %s outgrows the bound: an endless run of it never ends an element either', (_name, opening) => {
    const tooLarge = new Error('too large');
    const splitter = new JsonArraySplitter(() => {}, 64, () => tooLarge);
    splitter.feed(opening);
    let fed = 0;
    expect(() => {
      for (; fed < 100; fed++) splitter.feed(' '.repeat(16));
    }).toThrow(tooLarge);
    expect(fed).toBeLessThan(5);
  });

  it('counts only the element in progress: a long array of small elements passes', () => {
    let count = 0;
    const splitter = new JsonArraySplitter(() => count++, 64);
    splitter.feed('[');
    for (let i = 0; i < 1_000; i++) splitter.feed(`${i ? ',' : ''}{"n": ${i}, "text": "${'x'.repeat(20)}"}`);
    splitter.feed(']');
    expect(count).toBe(1_000);
    expect(splitter.closed).toBe(true);
  });
});

describe('JsonArrayWriter and sseAsJsonArray', () => {
  it("writes Google's framing, an element the moment it is given", () => {
    const w = new JsonArrayWriter();
    expect(w.element('{"a": 1}')).toBe('[{"a": 1}');
    expect(w.element('{"b": 2}')).toBe('\n,\r\n{"b": 2}');
    expect(w.close()).toBe('\n]');
    expect(w.close()).toBe('');
  });

  it('closes an array with nothing in it as []', () => {
    expect(new JsonArrayWriter().close()).toBe('[]');
  });

  it('turns each SSE event of the encoder into one element, as it comes', async () => {
    async function* sse() {
      yield 'data: {"a":1}\r\n\r\n';
      yield 'data: {"b":2}\r\n\r\ndata: {"c":3}\r\n\r\n';
    }
    const pieces: string[] = [];
    for await (const piece of sseAsJsonArray(sse(), new JsonArrayWriter())) pieces.push(piece);
    expect(pieces).toEqual(['[{"a":1}', '\n,\r\n{"b":2}\n,\r\n{"c":3}', '\n]']);
    expect(JSON.parse(pieces.join(''))).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it.each([
    ['data: {"x":1}\r\n\r\n', ['{"x":1}']],
    ['data: {"x":1}\n\n', ['{"x":1}']],
    [': a comment\n\n', []],
  ])('reads the data of %j', (text, data) => {
    expect(sseDataOf(text)).toEqual(data);
  });
});

describe('arrayErrorTail', () => {
  const ERROR = '{"error":{"code":503,"message":"m","status":"UNAVAILABLE"}}';

  it.each([
    ['before anything was written', { opened: false, closed: false, insideElement: false }, `[${ERROR}\n]`],
    ['after a whole element', { opened: true, closed: false, insideElement: false }, `\n,\r\n${ERROR}\n]`],
    ['inside an element (nothing can repair it)', { opened: true, closed: false, insideElement: true }, ''],
    ['after the array closed', { opened: true, closed: true, insideElement: false }, ''],
  ])('ends an array cut %s', (_name, state, tail) => {
    expect(arrayErrorTail(state, ERROR)).toBe(tail);
  });

  it('leaves valid JSON whose last element is the error', () => {
    const w = new JsonArrayWriter();
    const text = w.element('{"a": 1}') + arrayErrorTail(w, ERROR);
    expect(JSON.parse(text)).toEqual([{ a: 1 }, JSON.parse(ERROR)]);
  });
});
