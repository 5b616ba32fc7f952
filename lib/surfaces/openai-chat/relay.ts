import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { passThenRead, type ChunkGate } from '../../http/pass-then-read';
import { sseReframed } from '../../http/sse';
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
 * Passes an OpenAI SSE stream on as it arrives, reading each event on the side. When nothing
 * has to be removed the upstream's bytes go out unchanged, each chunk before it is read (so
 * reading it never holds it up); otherwise complete events are re-framed. Upstream failures are
 * thrown to the caller, who ends the stream in-band.
 */
export async function* relayOpenAIStream(source: AsyncIterable<Uint8Array>, { meter, stripUsage, dropNoise = false, gate }: RelayOptions): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder();
  const reframe = stripUsage || dropNoise;
  // Filled by the parser as it reads a chunk; looked at one by one afterwards, so that the first
  // event of a chunk can leave before the events behind it are read.
  const ready: (EventSourceMessage | { comment: string })[] = [];
  const parser = createParser({
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
  const feed = (chunk: Uint8Array) => parser.feed(decoder.decode(chunk, { stream: true }));
  if (!reframe) {
    yield* passThenRead(
      source,
      (chunk) => {
        feed(chunk);
        for (const item of ready.splice(0)) if (!('comment' in item)) meter.observe(item.data);
      },
      gate,
    );
    return;
  }
  const out = (bytes: Uint8Array) => (gate ? gate.pass(bytes) : bytes);
  let first = true;
  for await (const chunk of source) {
    feed(chunk);
    let text = '';
    for (const item of ready.splice(0)) {
      const framed = frame(item);
      if (!framed) continue;
      // The stream's first event goes alone: the client's first token does not wait for the rest
      // of the chunk to be read. After it, a chunk's events leave together, in one write.
      if (first) {
        first = false;
        const sent = out(Buffer.from(framed));
        if (sent) yield sent;
      } else text += framed;
    }
    const sent = text ? out(Buffer.from(text)) : undefined;
    if (sent) yield sent;
  }
  const rest = gate?.end();
  if (rest) yield rest;
}
