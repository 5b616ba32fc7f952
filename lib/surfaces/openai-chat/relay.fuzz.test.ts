import { fuzzer } from '../../../test/fuzz';
import { InBandErrorGuard } from '../../http/in-band-errors';
import { SseReader, sseReframed } from '../../http/sse';
import { SseEventEnds } from '../../http/sse-event-ends';
import { openAIErrorEvents } from '../../pipeline/upstream-error-events';
import { OpenAIStreamMeter } from '../../providers/openai/stream-meter';
import { relayOpenAIStream } from './relay';

/**
 * The relay against what it did before it passed chunks as they came: every event of the stream
 * read and re-framed, the usage-only one dropped when stripping (and Azure's noise when asked).
 * Seeded OpenAI-like streams (compact or spaced JSON, data on one line or several, LF, CRLF or CR
 * line ends, a BOM, keep-alive comments, "usage" in the text, an in-band error) are cut where an
 * upstream cuts them (one chunk per event, or a few events per chunk) and once more at every
 * position, with and without the in-band error guard as the gate. The client must read the same
 * events (the output parsed and re-framed again), in pieces of whole events, and the meter must
 * read the same.
 */

type Mode = { stripUsage: boolean; dropNoise: boolean; gated: boolean };

const MODES: Mode[] = [
  { stripUsage: true, dropNoise: false, gated: false },
  { stripUsage: true, dropNoise: false, gated: true },
  { stripUsage: true, dropNoise: true, gated: true },
  { stripUsage: false, dropNoise: false, gated: true },
];

// Streams per mode: each relayed some 2,000 times (two chunkings, cut at each of ~1,000 bytes): ~2 s a mode.
const SEEDS = 6;

const CONTENTS = ['Hi', ' there', 'usage', '"usage": {', '\\"usage\\":{"a":1}', 'é😀', 'line\nbreak', '', ' "usage" : null'];

/** One seeded stream: its events as the upstream writes them (each with the blank line that ends it). */
function stream(seed: number): string[] {
  const { random, pick } = fuzzer(seed, { names: [], scalars: [] });
  const mixedLineEnds = random() < 0.3;
  const streamEol = pick(['\n', '\r\n', '\r']);
  const withUsageNull = random() < 0.7;
  const event = (payload: object | string): string => {
    const eol = mixedLineEnds ? pick(['\n', '\r\n', '\r']) : streamEol;
    const prefix = random() < 0.8 ? 'data: ' : 'data:';
    const style = typeof payload === 'string' ? 'raw' : pick(['compact', 'compact', 'spaced', 'lines']);
    const text = typeof payload === 'string' ? payload : style === 'compact' ? JSON.stringify(payload) : JSON.stringify(payload, null, 1);
    // Spaced JSON on one data line, or each of its lines on a data line of its own (SSE joins them
    // with LFs), a key's value (or its colon) sometimes on the next line.
    const lines = style === 'lines' ? text.split('\n').flatMap((line) => keyThenValue(line, pick(['', ':', ': ']))) : [text.replaceAll('\n', ' ')];
    const extraBlank = random() < 0.1 ? eol : '';
    return lines.map((line) => prefix + line + eol).join('') + eol + extraBlank;
  };
  const chunk = (delta: object, finish: string | null = null) => ({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...(withUsageNull ? { usage: null } : {}) });
  const events = [event(chunk({ role: 'assistant', content: '' }))];
  for (let n = 1 + Math.floor(random() * 5); n > 0; n--) {
    const r = random();
    if (r < 0.15) events.push(`: keep-alive${pick(['\n\n', '\r\n\r\n', '\r\r'])}`);
    else if (r < 0.2) events.push(event({ error: { message: 'overloaded', type: 'server_error' } }));
    else events.push(event(chunk({ content: pick(CONTENTS) })));
  }
  events.push(event(chunk({}, 'stop')));
  events.push(event({ id: 'c', choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }));
  events.push(event('[DONE]'));
  if (random() < 0.2) events[0] = `\uFEFF${events[0]}`;
  return events;
}

/** A line of indented JSON that opens with a key, cut after the key (`after`: '', ':' or ': ' of what follows it): JSON still, once SSE joins the lines. */
function keyThenValue(line: string, after: string): string[] {
  const m = /^(\s*"\w+")(: )(.*)$/.exec(line);
  if (!m) return [line];
  const kept = m[2]!.slice(0, after.length);
  return [m[1]! + kept, m[2]!.slice(after.length) + m[3]!];
}

/** Chunkings an upstream makes: one event per chunk, and a few events per chunk (seeded). */
function groupings(events: string[], seed: number): Buffer[][] {
  const { random } = fuzzer(seed, { names: [], scalars: [] });
  const grouped: string[] = [];
  for (const e of events) {
    if (grouped.length > 0 && random() < 0.4) grouped[grouped.length - 1] += e;
    else grouped.push(e);
  }
  return [events, grouped].map((chunks) => chunks.map((c) => Buffer.from(c)));
}

/** The chunks with one of them cut in two at `at` (a byte offset in the whole stream). */
function cutAt(chunks: Buffer[], at: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (const c of chunks) {
    if (at > start && at < start + c.length) out.push(c.subarray(0, at - start), c.subarray(at - start));
    else out.push(c);
    start += c.length;
  }
  return out;
}

const newMeter = (mode: Mode) => new OpenAIStreamMeter(0, () => 1, mode.dropNoise);
const newGate = (mode: Mode) => (mode.gated ? new InBandErrorGuard(openAIErrorEvents('openai'), 'sse') : undefined);

/** The SSE bytes read back as events and re-framed (comments kept): what a client makes of them (its UTF-8 decoder drops a BOM, as the spec asks). */
function normalised(bytes: Buffer): string {
  let out = '';
  const reader = new SseReader({ onEvent: (e) => (out += sseReframed(e.data, e.event)), onComment: (c) => (out += `: ${c}\n\n`) });
  reader.feed(bytes);
  reader.end();
  return out;
}

/** The relay before chunks passed as they came: the whole stream read to its end (its last event too when a CR ends it), each event re-framed, the dropped ones left out. */
function reference(stream: string, mode: Mode) {
  const meter = newMeter(mode);
  let text = '';
  const reader = new SseReader({
    onEvent: (e) => {
      const kind = meter.observe(e.data);
      if (kind !== 'noise' && !(mode.stripUsage && kind === 'usage-only')) text += sseReframed(e.data, e.event);
    },
    onComment: (c) => (text += `: ${c}\n\n`),
  });
  reader.feed(Buffer.from(stream));
  reader.end();
  const gate = newGate(mode);
  const out = gate ? Buffer.concat([gate.pass(Buffer.from(text)) ?? Buffer.alloc(0), gate.end() ?? Buffer.alloc(0)]).toString() : text;
  return { text: out, meter };
}

async function relayed(chunks: Buffer[], mode: Mode) {
  const meter = newMeter(mode);
  const gate = newGate(mode);
  const pieces: Buffer[] = [];
  for await (const piece of relayOpenAIStream(
    (async function* () {
      yield* chunks;
    })(),
    { meter, stripUsage: mode.stripUsage, dropNoise: mode.dropNoise, ...(gate ? { gate } : {}) },
  ))
    pieces.push(Buffer.from(piece));
  return { pieces, meter };
}

const metered = (m: OpenAIStreamMeter) => ({ usage: m.usage, sawDone: m.sawDone, finishReason: m.finishReason, upstreamError: m.error?.message, outputChars: m.outputChars });

/** Where a relayed stream differs from the reference: what the client reads, a piece that ends inside an event, or the meter. */
async function differences(chunks: Buffer[], mode: Mode): Promise<object | undefined> {
  const whole = Buffer.concat(chunks).toString();
  const expected = reference(whole, mode);
  const { pieces, meter } = await relayed(chunks, mode);
  const ends = new SseEventEnds();
  const cutPiece = pieces.findIndex((p) => ends.lastEnd(p) !== p.length);
  const got = normalised(Buffer.concat(pieces));
  const want = normalised(Buffer.from(expected.text));
  if (got === want && cutPiece < 0 && JSON.stringify(metered(meter)) === JSON.stringify(metered(expected.meter))) return undefined;
  return { mode, chunks: chunks.map(String), got, want, cutPiece, meter: metered(meter), expectedMeter: metered(expected.meter) };
}

describe.each(MODES)('the relay reads as before (stripUsage $stripUsage, dropNoise $dropNoise, gated $gated)', (mode) => {
  it('for streams cut as upstreams cut them, then once more at every position', async () => {
    const found: object[] = [];
    for (let seed = 1; seed <= SEEDS && found.length < 3; seed++) {
      for (const chunks of groupings(stream(seed), seed)) {
        const length = chunks.reduce((n, c) => n + c.length, 0);
        for (let at = 0; at < length && found.length < 3; at++) {
          const difference = await differences(cutAt(chunks, at), mode);
          if (difference) found.push(difference);
        }
      }
    }
    expect(found).toEqual([]);
  });
});

it('strips the usage-only chunk from every seeded stream, wherever it is cut (the reference is no copy of the code under test)', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const { pieces } = await relayed(
      groupings(stream(seed), seed)[1]!.flatMap((c) => [c.subarray(0, 5), c.subarray(5)]),
      MODES[0]!,
    );
    expect(normalised(Buffer.concat(pieces))).not.toContain('"prompt_tokens"');
  }
});
