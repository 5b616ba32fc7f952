import { GatewayError } from './errors';
import { InBandErrorGuard, type InBandErrorRule } from './in-band-errors';

/** A rule for the tests: an event whose data says `ERROR:<words>` (alone, or in a JSON object) becomes `data: SAFE`. */
const RULE: InBandErrorRule = {
  markers: ['ERROR'],
  rewrite(text) {
    const words = /^data: (?:\{"e":")?ERROR:([\w-]*)/m.exec(text)?.[1];
    return words === undefined ? undefined : { text: 'data: SAFE', error: new GatewayError('upstream_error', 'safe', { detail: words }) };
  },
};

async function* source(pieces: (string | Uint8Array)[]) {
  for (const p of pieces) yield typeof p === 'string' ? Buffer.from(p) : p;
}

async function relayed(guard: InBandErrorGuard, pieces: (string | Uint8Array)[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of guard.relay(source(pieces))) out.push(Buffer.from(chunk));
  return out;
}

describe('InBandErrorGuard', () => {
  it.each([
    ['one event a chunk', ['data: a\n\n', 'data: b\n\n'], ['data: a\n\n', 'data: b\n\n']],
    ['CRLF framing (Gemini)', ['data: a\r\n\r\n', 'data: b\r\n\r\n'], ['data: a\r\n\r\n', 'data: b\r\n\r\n']],
    ['named events (Anthropic)', ['event: ping\ndata: {}\n\nevent: message_stop\ndata: {}\n\n'], ['event: ping\ndata: {}\n\nevent: message_stop\ndata: {}\n\n']],
    ['a comment line', [': keep-alive\n\n'], [': keep-alive\n\n']],
    ['an event cut in two', ['data: a\n\ndata: b', 'c\n\n'], ['data: a\n\n', 'data: bc\n\n']],
    ['a boundary cut in two', ['data: a\n', '\ndata: b\n\n'], ['data: a\n\ndata: b\n\n']],
  ])('passes %s on as the upstream wrote it', async (_case, pieces, expected) => {
    // Act
    const out = await relayed(new InBandErrorGuard(RULE), pieces);

    // Assess
    expect(out.map(String)).toEqual(expected);
  });

  it.each([
    ['no line end', 'data: [DONE]', 'data: [DONE]\n\n'],
    ['an LF', 'data: [DONE]\n', 'data: [DONE]\n\n'],
    ['a CRLF', 'data: {"b":1}\r\n', 'data: {"b":1}\r\n\n'],
    ['a CR (an LF after it would make one line end, not two)', 'data: {"b":1}\r', 'data: {"b":1}\r\n\n'],
    ['a named event, its data on two lines', 'event: message_stop\ndata: {"type":\ndata: "message_stop"}', 'event: message_stop\ndata: {"type":\ndata: "message_stop"}\n\n'],
  ])('ends a stream whose last event is whole but without its blank line with that event and the blank line: %s', async (_case, last, framed) => {
    // Act: the blank line keeps what the gateway may add after it (a cut stream's error) off its last line.
    const out = await relayed(new InBandErrorGuard(RULE), ['data: a\n\n', last]);

    // Assess
    expect(out.map(String)).toEqual(['data: a\n\n', framed]);
  });

  it.each([
    ['the start of a JSON event', 'data: {"choices":[{"delta":{"content":"hel'],
    ['the start of a named event, its data not begun', 'event: content_block_delta\n'],
    ['data that is no JSON', 'data: b'],
    ['a comment alone', ': keep-alive'],
    ['the start of an error event', 'data: {"e":"ERROR:or'],
  ])('drops what a stream ended in that is no whole event (%s): no client can read it, and the error after it would be glued to it', async (_case, last) => {
    // Act
    const out = await relayed(new InBandErrorGuard(RULE), ['data: a\n\n', last]);

    // Assess
    expect(out.map(String)).toEqual(['data: a\n\n']);
  });

  it.each([
    ['LF then CRLF', 'data: a\n\r\n'],
    ['CRLF then LF', 'data: a\r\n\n'],
    ['CR twice', 'data: a\r\r'],
  ])('lets an event whose blank line mixes line ends (%s) go at once, not when the next one comes', (_case, event) => {
    // Prepare
    const guard = new InBandErrorGuard(RULE);

    // Act
    const out = guard.pass(Buffer.from(event));

    // Assess
    expect(out && Buffer.from(out).toString()).toBe(event);
  });

  it('hands on the very buffer the upstream sent when a chunk ends on a boundary', async () => {
    // Prepare
    const chunk = Buffer.from('data: {"choices":[]}\n\n');

    const out: Uint8Array[] = [];

    // Act
    for await (const sent of new InBandErrorGuard(RULE).relay(source([chunk]))) out.push(sent);

    // Assess: no copy, no re-serialisation.
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(chunk);
  });

  it.each([
    ['alone', ['data: ERROR:org-1\n\n'], 'data: SAFE\n\n'],
    ['between other events, which stay as they are', ['data: a\n\ndata: ERROR:org-1\n\ndata: ERROR\n\n'], 'data: a\n\ndata: SAFE\n\ndata: ERROR\n\n'],
    ['cut across three chunks', ['data: a\n\ndata: ER', 'ROR:or', 'g-1\n\n'], 'data: a\n\ndata: SAFE\n\n'],
    ['with CRLF line ends', ['data: a\r\n\r\ndata: ERROR:org-1\r\n\r\n'], 'data: a\r\n\r\ndata: SAFE\r\n\r\n'],
    ['last, without a blank line after it (then given one)', ['data: a\n\ndata: {"e":"ERROR:org-1"}'], 'data: a\n\ndata: SAFE\n\n'],
  ])('rewrites an error event %s and keeps what it said', async (_case, pieces, expected) => {
    // Prepare
    const guard = new InBandErrorGuard(RULE);

    // Act
    const out = await relayed(guard, pieces);

    // Assess
    expect(Buffer.concat(out).toString()).toBe(expected);
    expect(guard.error?.detail).toBe('org-1');
  });

  it('never sends part of an error event before the rest of it has come', async () => {
    // Prepare
    const guard = new InBandErrorGuard(RULE);
    const sent: string[] = [];

    // Act
    for await (const chunk of guard.relay(source(['data: a\n\ndata: ERR', 'OR:org-1\n\n']))) sent.push(Buffer.from(chunk).toString());

    // Assess
    expect(sent).toEqual(['data: a\n\n', 'data: SAFE\n\n']);
  });

  it('splits a pretty-printed JSON array stream after each element, as Google writes it', async () => {
    // Prepare
    const rule: InBandErrorRule = {
      markers: ['"error"'],
      rewrite: (text) => (text.includes('"error"') ? { text: text.replace(/\{[\s\S]*\}/, '{"error":"safe"}'), error: new GatewayError('upstream_error', 'safe') } : undefined),
    };
    const guard = new InBandErrorGuard(rule, 'array');

    // Act
    const out = await relayed(guard, ['[{\n  "a": 1\n}', '\n,\r\n{\n  "er', 'ror": "org-1"\n}', ']']);

    // Assess
    expect(out.map(String)).toEqual(['[{\n  "a": 1\n}', '\n,\r\n{"error":"safe"}', ']']);
    expect(guard.error?.message).toBe('safe');
  });

  it('holds what comes before an array\'s first element without copying it all again at each chunk', () => {
    // `[` then 8 MiB of spaces in 64 KiB chunks (a bound on the whole, elsewhere, ends such a stream):
    // looking for the first element's layout through everything held, at each chunk, copied ~540 MB.
    const guard = new InBandErrorGuard(RULE, 'array');
    const concat = jest.spyOn(Buffer, 'concat');
    try {
      let offered = 1;
      guard.pass(Buffer.from('['));
      for (let i = 0; i < 128; i++, offered += 64 * 1024) expect(guard.pass(Buffer.alloc(64 * 1024, 0x20))).toBeUndefined();
      const copied = concat.mock.results.reduce((sum, r) => sum + (r.value as Buffer).length, 0);
      expect(copied).toBeLessThan(10 * offered);
      // Once the first element shows its layout, all that was held goes on.
      const out = guard.pass(Buffer.from('{\n  "a": 1\n}'));
      expect(out?.length).toBe(offered + '{\n  "a": 1\n}'.length);
    } finally {
      concat.mockRestore();
    }
  });

  it.each([
    ['pretty-printed', '\n  "a": 1\n}', '[ {\n  "a": 1\n}'],
    ['compact', '"a": 1}', '[ {"a": 1}'],
  ])('tells the layout of a first element whose brace ended the chunks before: %s', (_name, rest, out) => {
    const guard = new InBandErrorGuard(RULE, 'array');
    expect(guard.pass(Buffer.from('['))).toBeUndefined();
    expect(guard.pass(Buffer.from(''))).toBeUndefined();
    expect(guard.pass(Buffer.from(' {'))).toBeUndefined();
    expect(guard.pass(Buffer.from('')) ?? Buffer.alloc(0)).toHaveLength(0);
    expect(Buffer.from(guard.pass(Buffer.from(rest))!).toString()).toBe(out);
  });

  it('passes a compact JSON array on unguarded, at once, since its element ends cannot be seen in its bytes', async () => {
    // Prepare
    const guard = new InBandErrorGuard(RULE, 'array');

    // Act
    const out = await relayed(guard, ['[', '{"a":', '1},{"ERROR', '":2}]']);

    // Assess
    expect(out.map(String)).toEqual(['[{"a":', '1},{"ERROR', '":2}]']);
    expect(guard.error).toBeUndefined();
  });
});
