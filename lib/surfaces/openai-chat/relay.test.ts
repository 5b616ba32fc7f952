import { OpenAIStreamMeter } from '../../providers/openai/stream-meter';
import { mayHoldUsage, relayOpenAIStream } from './relay';

const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta, finish_reason: finish }], usage: null })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9, prompt_tokens_details: { cached_tokens: 3 } } })}\n\n`;
const wire = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' }), chunk({}, 'stop'), usageChunk, 'data: [DONE]\n\n'].join('');

/** Cuts text into pieces at the given sizes, as TCP might. */
function cut(text: string, size: number): Uint8Array[] {
  const bytes = Buffer.from(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function relay(pieces: Uint8Array[], stripUsage: boolean) {
  let t = 0;
  const meter = new OpenAIStreamMeter(0, () => ++t);
  const out: string[] = [];
  for await (const c of relayOpenAIStream(
    (async function* () {
      yield* pieces;
    })(),
    { meter, stripUsage },
  ))
    out.push(Buffer.from(c).toString());
  return { text: out.join(''), pieces: out, meter };
}

describe('relayOpenAIStream', () => {
  // SSE allows CR line ends; the parser holds a chunk's last CR until it sees whether an LF follows, and at the end none does.
  it.each([
    ['CR line ends', wire.replaceAll('\n', '\r')],
    ['LF line ends but a CR as the very last byte', `${wire.slice(0, -1)}\r`],
  ])('reads the last event, [DONE], of a stream in %s, stripping the usage or not', async (_name, text) => {
    for (const [size, stripUsage] of [[1, false], [10_000, false], [1, true], [10_000, true]] as const) {
      const { text: sent, meter } = await relay(cut(text, size), stripUsage);

      expect(meter.sawDone).toBe(true);
      expect(meter.usage).toEqual({ input: 7, output: 2, cacheRead: 3, cacheWrite: 0, reasoning: 0 });
      expect(sent).toContain('[DONE]');
      if (stripUsage) expect(sent).not.toContain('prompt_tokens');
    }
  });

  it.each([1, 7, 64, 10_000])('passes the bytes on unchanged when nothing is stripped (pieces of %i bytes)', async (size) => {
    const { text, meter } = await relay(cut(wire, size), false);

    expect(text).toBe(wire);
    expect(meter.usage).toEqual({ input: 7, output: 2, cacheRead: 3, cacheWrite: 0, reasoning: 0 });
    expect(meter.finishReason).toBe('stop');
    expect(meter.sawDone).toBe(true);
  });

  it.each([1, 13, 10_000])('drops only the usage chunk when stripping (pieces of %i bytes), still metering it', async (size) => {
    const { text, meter } = await relay(cut(wire, size), true);

    expect(text).toBe(wire.replace(usageChunk, ''));
    expect(meter.usage?.input).toBe(7);
  });

  it('emits each complete event as soon as its piece arrives', async () => {
    const { pieces } = await relay([Buffer.from(chunk({ content: 'a' }) + chunk({ content: 'b' }).slice(0, 10)), Buffer.from(chunk({ content: 'b' }).slice(10))], true);

    expect(pieces).toEqual([chunk({ content: 'a' }), chunk({ content: 'b' })]);
  });

  it('sends the first event of a re-framed stream alone, before it reads the rest of its piece; later pieces leave whole', async () => {
    // Prepare: a relay that records how many events the meter has read when each piece leaves;
    // the first piece ends inside an event, so it is re-framed.
    const meter = new OpenAIStreamMeter(0);
    const observe = meter.observe.bind(meter);
    let read = 0;
    meter.observe = (data: string) => (read++, observe(data));
    const b = chunk({ content: 'b' });
    const upstream = (async function* () {
      yield Buffer.from(chunk({ role: 'assistant', content: '' }) + chunk({ content: 'a' }) + b.slice(0, 10));
      yield Buffer.from(b.slice(10) + chunk({ content: 'c' }) + chunk({}, 'stop') + usageChunk + 'data: [DONE]\n\n');
    })();
    const sent: { text: string; readBefore: number }[] = [];

    // Act
    for await (const piece of relayOpenAIStream(upstream, { meter, stripUsage: true })) sent.push({ text: Buffer.from(piece).toString(), readBefore: read });

    // Assess
    expect(sent).toEqual([
      { text: chunk({ role: 'assistant', content: '' }), readBefore: 1 },
      { text: chunk({ content: 'a' }), readBefore: 2 },
      { text: b + chunk({ content: 'c' }) + chunk({}, 'stop') + 'data: [DONE]\n\n', readBefore: 7 },
    ]);
  });

  it('sends a first piece of whole events without the usage as it came, before any of it is read', async () => {
    const meter = new OpenAIStreamMeter(0);
    const observe = meter.observe.bind(meter);
    let read = 0;
    meter.observe = (data: string) => (read++, observe(data));
    const first = Buffer.from(chunk({ role: 'assistant', content: '' }) + chunk({ content: 'a' }) + chunk({ content: 'b' }));
    const upstream = (async function* () {
      yield first;
      yield Buffer.from(chunk({ content: 'c' }) + chunk({}, 'stop') + usageChunk + 'data: [DONE]\n\n');
    })();
    const sent: { piece: Uint8Array; readBefore: number }[] = [];

    for await (const piece of relayOpenAIStream(upstream, { meter, stripUsage: true })) sent.push({ piece, readBefore: read });

    expect(sent[0]).toEqual({ piece: first, readBefore: 0 });
    expect(sent[0]!.piece).toBe(first);
    expect(sent.slice(1).map(({ piece, readBefore }) => ({ text: Buffer.from(piece).toString(), readBefore }))).toEqual([
      { text: chunk({ content: 'c' }) + chunk({}, 'stop') + 'data: [DONE]\n\n', readBefore: 7 },
    ]);
  });

  it('keeps keep-alive comments when re-framing', async () => {
    const { text } = await relay([Buffer.from(': OPENROUTER PROCESSING\n\n' + chunk({ content: 'x' }))], true);

    expect(text).toBe(': OPENROUTER PROCESSING\n\n' + chunk({ content: 'x' }));
  });

  it('marks the time of the first chunk that carries output, not the role chunk', async () => {
    const roleOnly = await relay([Buffer.from(chunk({ role: 'assistant', content: '' }))], false);
    const withContent = await relay([Buffer.from(chunk({ role: 'assistant', content: '' })), Buffer.from(chunk({ content: 'x' }))], false);

    expect(roleOnly.meter.firstTokenMs).toBeUndefined();
    expect(withContent.meter.firstTokenMs).toBe(1);
  });

  it('notices an upstream error event', async () => {
    const { meter } = await relay([Buffer.from('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n')], false);

    expect(meter.error?.message).toBe('overloaded');
    expect(meter.sawDone).toBe(false);
  });

  it('re-frames an event whose data spans several lines as several data lines, so its JSON still reads', async () => {
    // Prepare: SSE joins the data lines with a line end; the JSON is the same.
    const error = 'data: {"error":\ndata: {"message":"upstream overloaded","type":"server_error"}}\n\n';

    // Act
    const { text, meter } = await relay([Buffer.from(chunk({ content: 'Hi' }) + error)], true);

    // Assess
    expect(text).toBe(chunk({ content: 'Hi' }) + error);
    expect(meter.error?.message).toBe('upstream overloaded');
  });

  it('passes on an upstream error that comes with the usage and no choices, even when stripping the usage', async () => {
    // Prepare: the client did not ask for usage, so usage-only chunks are dropped; this one is an error first.
    const error = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 }, error: { message: 'upstream overloaded', type: 'server_error' } })}\n\n`;

    // Act
    const { text, meter } = await relay([Buffer.from(chunk({ content: 'Hi' }) + error)], true);

    // Assess
    expect(text).toBe(chunk({ content: 'Hi' }) + error);
    expect(meter.error?.message).toBe('upstream overloaded');
    expect(meter.usage).toMatchObject({ input: 7, output: 2 });
  });
});

describe('the meter reads spaced JSON as well as compact', () => {
  it('finds usage, the finish and the first token in chunks written with spaces', async () => {
    const spaced = (o: object) => `data: ${JSON.stringify(o, null, 1).replace(/\n\s*/g, ' ')}\n\n`;
    const text = [
      spaced({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
      spaced({ id: 'c', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] }),
      spaced({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }),
      spaced({ id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } }),
      'data: [DONE]\n\n',
    ].join('');

    const { meter, text: out } = await relay([Buffer.from(text)], true);

    expect(meter.usage?.input).toBe(3);
    expect(meter.finishReason).toBe('length');
    expect(meter.firstTokenMs).toBe(1);
    expect(out).not.toContain('prompt_tokens');
  });
});

describe('relaying Azure streams', () => {
  it('drops the content-filter chunks OpenAI clients do not expect, keeping content and usage', async () => {
    const filterFirst = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] })}\n\n`;
    const annotation = `data: ${JSON.stringify({ choices: [{ index: 0, finish_reason: null, content_filter_offsets: { check_offset: 0 } }], id: 'c' })}\n\n`;
    const text = filterFirst + chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hi' }) + annotation + chunk({}, 'stop') + annotation + usageChunk + 'data: [DONE]\n\n';
    const meter = new OpenAIStreamMeter(0, () => 1, true);

    const out: string[] = [];
    for await (const c of relayOpenAIStream(
      (async function* () {
        yield Buffer.from(text);
      })(),
      { meter, stripUsage: false, dropNoise: true },
    ))
      out.push(Buffer.from(c).toString());

    expect(out.join('')).toBe(chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hi' }) + chunk({}, 'stop') + usageChunk + 'data: [DONE]\n\n');
    expect(meter.usage?.input).toBe(7);
  });
});

describe('relaying (legacy) Completions streams', () => {
  const textChunk = (text: string, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }], model: 'm' })}\n\n`;
  const completionsWire = textChunk('def') + textChunk(' add', 'length') + usageChunk + 'data: [DONE]\n\n';

  it('marks the first token at the first chunk with text, not an empty one, and keeps usage and the finish', async () => {
    const emptyOnly = await relay([Buffer.from(textChunk(''))], false);
    const { text, meter } = await relay([Buffer.from(textChunk('')), Buffer.from(completionsWire)], false);

    expect(emptyOnly.meter.firstTokenMs).toBeUndefined();
    expect(text).toBe(textChunk('') + completionsWire);
    expect(meter.firstTokenMs).toBe(1);
    expect(meter.finishReason).toBe('length');
    expect(meter.usage?.output).toBe(2);
  });

  it('keeps text chunks through Azure noise dropping (they have no delta, yet are no noise)', async () => {
    const meter = new OpenAIStreamMeter(0, () => 1, true);
    const out: string[] = [];
    for await (const c of relayOpenAIStream(
      (async function* () {
        yield Buffer.from(completionsWire);
      })(),
      { meter, stripUsage: true, dropNoise: true },
    ))
      out.push(Buffer.from(c).toString());

    expect(out.join('')).toBe(textChunk('def') + textChunk(' add', 'length') + 'data: [DONE]\n\n');
  });
});

describe('counting the output relayed (every stream: a cut one is charged by it, budget or not)', () => {
  const toolChunk = (args: string, name?: string) => chunk({ tool_calls: [{ index: 0, ...(name ? { id: 'call_1', type: 'function' } : {}), function: { ...(name ? { name } : {}), arguments: args } }] });

  it.each<{ name: string; stripUsage: boolean; events: string[]; chars: number }>([
    { name: 'content, reasoning and refusal', stripUsage: false, events: [chunk({ role: 'assistant', content: '' }), chunk({ reasoning_content: 'think' }), chunk({ content: 'Hi there' }), chunk({ refusal: 'no' })], chars: 5 + 8 + 2 },
    { name: 'tool names and arguments', stripUsage: false, events: [toolChunk('', 'get_weather'), toolChunk('{"city":'), toolChunk('"Paris"}')], chars: 11 + 8 + 8 },
    { name: 'content re-framed (the usage chunk stripped)', stripUsage: true, events: [chunk({ content: 'Hi there' }), chunk({ content: ' again' }), usageChunk], chars: 8 + 6 },
  ])('$name', async ({ stripUsage, events, chars }) => {
    const meter = new OpenAIStreamMeter(0, () => 1);

    for await (const _ of relayOpenAIStream(
      (async function* () {
        yield Buffer.from(events.join(''));
      })(),
      { meter, stripUsage },
    ));

    expect(meter.outputChars).toBe(chars);
  });

  it('drops no chunk it parsed only to count (noise is Azure’s, told apart only when thorough)', async () => {
    const choiceless = `data: ${JSON.stringify({ id: 'c', choices: [], system_fingerprint: 'x' })}\n\n`;
    const meter = new OpenAIStreamMeter(0, () => 1);
    const out: string[] = [];

    for await (const c of relayOpenAIStream(
      (async function* () {
        yield Buffer.from(choiceless + chunk({ content: 'Hi' }) + usageChunk);
      })(),
      { meter, stripUsage: true },
    ))
      out.push(Buffer.from(c).toString());

    expect(out.join('')).toBe(choiceless + chunk({ content: 'Hi' }));
  });
});

describe('stripping the usage, chunks of whole events without it go out as they came', () => {
  // OpenAI's chunks once the usage is asked for: `"usage":null` in each, the usage-only chunk last.
  const openAIChunk = (delta: object, finish: string | null = null) => Buffer.from(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], usage: null })}\n\n`);
  const pieces = [openAIChunk({ role: 'assistant', content: '' }), openAIChunk({ content: 'Hi' }), openAIChunk({}, 'stop'), Buffer.from(usageChunk), Buffer.from('data: [DONE]\n\n')];

  async function relayed(upstream: Uint8Array[], stopAfter = Infinity) {
    let t = 0;
    const meter = new OpenAIStreamMeter(0, () => ++t);
    const sent: Uint8Array[] = [];
    for await (const piece of relayOpenAIStream(
      (async function* () {
        yield* upstream;
      })(),
      { meter, stripUsage: true },
    )) {
      sent.push(piece);
      if (sent.length >= stopAfter) break;
    }
    return { sent, meter };
  }

  it('sends each such chunk itself, not a copy, and re-frames only the one with the usage', async () => {
    const { sent, meter } = await relayed(pieces);

    expect(sent.slice(0, 3)).toEqual(pieces.slice(0, 3));
    sent.slice(0, 3).forEach((piece, i) => expect(piece).toBe(pieces[i]));
    expect(Buffer.concat(sent).toString()).toBe(Buffer.concat([...pieces.slice(0, 3), pieces[4]!]).toString());
    expect(meter).toMatchObject({ usage: { input: 7, output: 2 }, finishReason: 'stop', sawDone: true, firstTokenMs: 1, outputChars: 2 });
  });

  it('re-frames the chunks after an event cut across two, until a chunk ends an event again', async () => {
    const second = pieces[1]!;
    const upstream = [pieces[0]!, second.subarray(0, 10), second.subarray(10), pieces[2]!, pieces[4]!];

    const { sent } = await relayed(upstream);

    expect(sent[0]).toBe(pieces[0]);
    expect(Buffer.from(sent[1]!).toString()).toBe(second.toString());
    expect(sent[2]).toBe(pieces[2]);
    expect(sent).toHaveLength(4);
  });

  it.each<{ name: string; upstream: string[]; expected: string }>([
    {
      // The parser holds a chunk's last CR (an LF may follow): the event it ends is read only with the next chunk.
      name: 'an event ended by CRs at a chunk end is not sent again when the next chunk is re-framed',
      upstream: ['data: {"choices":[{"delta":{"content":"x"}}]}\r\r', usageChunk.replaceAll('\n', '\r')],
      expected: 'data: {"choices":[{"delta":{"content":"x"}}]}\n\n',
    },
    {
      name: 'an event whose blank line is cut between two CRs is not lost when the next chunk goes as it came',
      upstream: ['data: {"choices":[{"delta":{"content":"x"}}]}\r', '\r', 'data: {"choices":[{"delta":{"content":"y"}}]}\r\r', 'data: [DONE]\n\n'],
      expected: 'data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: {"choices":[{"delta":{"content":"y"}}]}\n\ndata: [DONE]\n\n',
    },
  ])('$name', async ({ upstream, expected }) => {
    const { sent } = await relayed(upstream.map((text) => Buffer.from(text)));

    expect(Buffer.concat(sent).toString()).toBe(expected);
  });

  it('meters a chunk it sent as it came even when the reader stops right after it', async () => {
    const { sent, meter } = await relayed([openAIChunk({ content: 'Hello' }), ...pieces.slice(2)], 1);

    expect(sent).toHaveLength(1);
    expect(meter.outputChars).toBe(5);
    expect(meter.firstTokenMs).toBeDefined();
  });
});

describe('mayHoldUsage', () => {
  it.each<[string, boolean]>([
    ['data: {"choices":[],"usage":{"prompt_tokens":7}}\n\n', true],
    ['data: {"choices":[], "usage" : \n {"prompt_tokens":7}}\n\n', true],
    ['data: {"choices":[{"delta":{"content":"x"}}],"usage":null}\n\n', false],
    ['data: {"choices":[{"delta":{"content":"usage"}}]}\n\n', false],
    ['data: {"choices":[{"delta":{"content":"\\"usage\\": {"}}]}\n\n', false],
    ['data: {"choices":[{"delta":{}}],"usage":null}\n\ndata: {"choices":[],"usage":{"total_tokens":1}}\n\n', true],
    ['data: {"choices":[{"delta":{"content":"x"}}],"usage":{"total_tokens":1}}\n\n', true],
    ['data: {"choices":[],"usage"', false],
    // Data on several lines: the usage object may stand on the next `data:` line.
    ['data: {"choices":[],"usage":\ndata: {"prompt_tokens":7}}\n\n', true],
    ['data: {"choices":[],"usage"\r\ndata: :{"prompt_tokens":7}}\r\n\r\n', true],
    ['data: {"choices":[],"usage":\rdata:{"prompt_tokens":7}}\r\r', true],
    ['data: {"choices":[],"usage": null}\n\n', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(mayHoldUsage(Buffer.from(text))).toBe(expected);
    expect(mayHoldUsage(new Uint8Array(Buffer.from(text)))).toBe(expected);
  });
});
