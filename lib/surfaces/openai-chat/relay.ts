import { createParser } from 'eventsource-parser';
import { passThenRead } from '../../http/pass-then-read';
import type { OpenAIStreamMeter } from '../../providers/openai/stream-meter';

export interface RelayOptions {
  meter: OpenAIStreamMeter;
  /** Drop the usage-only chunk: the gateway asked for it, the client did not. */
  stripUsage: boolean;
  /** Drop chunks no Chat Completions client expects (needs a thorough meter); Azure sends them. */
  dropNoise?: boolean;
}

/**
 * Passes an OpenAI SSE stream on as it arrives, reading each event on the side. When nothing
 * has to be removed the upstream's bytes go out unchanged, each chunk before it is read (so
 * reading it never holds it up); otherwise complete events are re-framed. Upstream failures are
 * thrown to the caller, who ends the stream in-band.
 */
export async function* relayOpenAIStream(source: AsyncIterable<Uint8Array>, { meter, stripUsage, dropNoise = false }: RelayOptions): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder();
  const reframe = stripUsage || dropNoise;
  let out = '';
  const parser = createParser({
    onEvent(event) {
      const kind = meter.observe(event.data);
      if (!reframe || kind === 'noise' || (stripUsage && kind === 'usage-only')) return;
      out += `${event.event ? `event: ${event.event}\n` : ''}data: ${event.data}\n\n`;
    },
    onComment(comment) {
      // Keep-alive comments keep idle connections open through proxies; pass them on.
      if (reframe) out += `: ${comment}\n\n`;
    },
  });
  const read = (chunk: Uint8Array) => parser.feed(decoder.decode(chunk, { stream: true }));
  if (!reframe) {
    yield* passThenRead(source, read);
    return;
  }
  for await (const chunk of source) {
    read(chunk);
    if (out) {
      yield Buffer.from(out);
      out = '';
    }
  }
}
