import type { EventSourceMessage } from 'eventsource-parser';
import { passThenRead, type ChunkGate } from '../../http/pass-then-read';
import { SseReader, sseReframed } from '../../http/sse';
import { SseEventEnds } from '../../http/sse-event-ends';
import type { OpenAIStreamMeter } from '../../providers/openai/stream-meter';

export interface RelayOptions {
  meter: OpenAIStreamMeter;
  /** Drop the usage-only chunk: the gateway asked for it, the client did not. */
  stripUsage: boolean;
  /** Drop chunks no Chat Completions client expects (needs a thorough meter); Azure sends them. */
  dropNoise?: boolean;
  /** What of the relayed bytes goes out (the passthrough's in-band error guard); the meter reads the upstream's. */
  gate?: ChunkGate;
}

/**
 * Passes an OpenAI SSE stream on as it arrives, reading each event on the side. The upstream's
 * bytes go out unchanged, each chunk before it is read (so reading it never holds it up), when
 * nothing has to be removed, and when stripping the usage, for every chunk of whole events
 * without it (`mayHoldUsage`); otherwise complete events are re-framed. Upstream failures are
 * thrown to the caller, who ends the stream in-band.
 */
export async function* relayOpenAIStream(source: AsyncIterable<Uint8Array>, { meter, stripUsage, dropNoise = false, gate }: RelayOptions): AsyncGenerator<Uint8Array> {
  const reframe = stripUsage || dropNoise;
  // Filled by the parser as it reads a chunk; looked at one by one afterwards, so that the first
  // event of a chunk can leave before the events behind it are read.
  const ready: (EventSourceMessage | { comment: string })[] = [];
  const reader = new SseReader({
    onEvent: (event) => ready.push(event),
    // Keep-alive comments keep idle connections open through proxies; pass them on.
    onComment: (comment) => ready.push({ comment }),
  });
  const frame = (item: (typeof ready)[number]): string => {
    if ('comment' in item) return `: ${item.comment}\n\n`;
    const kind = meter.observe(item.data);
    if (kind === 'noise' || (stripUsage && kind === 'usage-only')) return '';
    return sseReframed(item.data, item.event);
  };
  const observe = () => {
    for (const item of ready.splice(0)) if (!('comment' in item)) meter.observe(item.data);
  };
  const read = (chunk: Uint8Array) => {
    reader.feed(chunk);
    observe();
  };
  if (!reframe) {
    yield* passThenRead(source, read, gate, () => {
      reader.end();
      observe();
    });
    return;
  }
  const out = (bytes: Uint8Array) => (gate ? gate.pass(bytes) : bytes);
  // A chunk of whole events that cannot hold the usage-only chunk (nor noise to drop) needs no
  // re-framing: it goes out as it came and is read after, as when nothing is removed. Upstreams
  // write whole events, so only the chunk with the usage is re-framed. A chunk ending in a CR
  // (`\r\r` ends an event) is none: the parser holds that CR until it sees whether an LF follows,
  // so the event it ends is read with the next chunk, which then must be re-framed, or that event
  // would be lost (the next chunk passed) or sent twice (this one passed).
  const ends = new SseEventEnds();
  let atEventEnd = true;
  let first = true;
  let unread: Uint8Array | undefined;
  // The events the parser has read, framed: the stream's first event goes alone, so the client's
  // first token does not wait for the rest of the chunk to be read; after it, a chunk's events
  // leave together, in one write.
  function* sendReady(): Generator<Uint8Array> {
    let text = '';
    for (const item of ready.splice(0)) {
      const framed = frame(item);
      if (!framed) continue;
      if (first) {
        first = false;
        const sent = out(Buffer.from(framed));
        if (sent) yield sent;
      } else text += framed;
    }
    const sent = text ? out(Buffer.from(text)) : undefined;
    if (sent) yield sent;
  }
  try {
    for await (const chunk of source) {
      if (chunk.length === 0) continue;
      const startsAtEnd = atEventEnd;
      atEventEnd = ends.lastEnd(chunk) === chunk.length && chunk[chunk.length - 1] === LF;
      if (!dropNoise && startsAtEnd && atEventEnd && !mayHoldUsage(chunk)) {
        first = false;
        unread = chunk;
        const sent = out(chunk);
        if (sent) yield sent;
        unread = undefined;
        read(chunk);
        continue;
      }
      reader.feed(chunk);
      yield* sendReady();
    }
    reader.end();
    yield* sendReady();
    const rest = gate?.end();
    if (rest) yield rest;
  } finally {
    // A consumer that stopped at a chunk passed as it came still has it metered.
    if (unread) read(unread);
  }
}

const USAGE_KEY = Buffer.from('"usage"');

/**
 * Whether a chunk may hold the usage-only chunk: it does where a `"usage"` key is followed by an
 * object, or by a line end (an event's data may go on on its next `data:` line, so what follows
 * cannot be told from the bytes). OpenAI's other chunks say `"usage":null` once the usage is asked
 * for; a string that says "usage" has its quotes escaped.
 *
 * @example
 * mayHoldUsage(Buffer.from('data: {"choices":[…],"usage":null}\n\n'))  // false
 * mayHoldUsage(Buffer.from('data: {"choices":[],"usage": {"prompt_tokens":7}}\n\n')) // true
 */
export function mayHoldUsage(chunk: Uint8Array): boolean {
  const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  for (let at = bytes.indexOf(USAGE_KEY); at >= 0; at = bytes.indexOf(USAGE_KEY, at + USAGE_KEY.length)) {
    let i = skipBlanks(bytes, at + USAGE_KEY.length);
    if (bytes[i] === LF || bytes[i] === CR) return true;
    if (bytes[i] !== COLON) continue;
    i = skipBlanks(bytes, i + 1);
    if (bytes[i] === OPEN_BRACE || bytes[i] === LF || bytes[i] === CR) return true;
  }
  return false;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;

/** The index of the first byte at or after `i` that is no space or tab (JSON's whitespace on one line). */
function skipBlanks(bytes: Buffer, i: number): number {
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  return i;
}
