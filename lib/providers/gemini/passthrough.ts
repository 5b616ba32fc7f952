import type { ChatRequest } from '../../canonical/types';
import type { GatewayError } from '../../http/errors';
import { JsonArraySplitter } from '../../http/json-array';
import { sseTap, type StreamTap } from '../../http/sse-tap';
import { eventTooLarge } from '../../upstream/event-bound';
import { jsonPost, type UpstreamRequest, type UpstreamTimeouts } from '../../upstream/http';
import type { TokenUsage } from '../../usage/tokens';
import { geminiMethodUrl, geminiUrl } from './request';
import { GeminiStreamDecoder } from './stream';
import { relayedOutput } from '../../usage/cut-off';

export interface GeminiPassthroughCall {
  /** The client's bytes: a Gemini body names no model, so they go on as they came. */
  raw: Uint8Array;
  baseUrl: string;
  apiKey: string | undefined;
  /** The upstream model id (the URL carries it). */
  model: string;
  stream: boolean;
  /** Stream as the JSON array Gemini writes without `alt=sse` (the client asked for it so). */
  jsonArray?: boolean;
  accountHeaders?: Record<string, string>;
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal;
}

/**
 * The upstream request when client and provider both speak Gemini: the client's body untouched
 * (everything Gemini-only survives: built-in tools, safetySettings, cachedContent, thought
 * signatures), to the upstream model's `generateContent` or `streamGenerateContent?alt=sse`
 * (without `alt=sse` when the client streams the JSON array),
 * with the account's key in place of the client's.
 */
export function geminiPassthroughRequest(call: GeminiPassthroughCall): UpstreamRequest {
  const url = call.stream && call.jsonArray ? geminiMethodUrl(call.baseUrl, call.model, 'streamGenerateContent') : geminiUrl(call.baseUrl, call.model, call.stream);
  return jsonPost(url, call.raw, {
    // The array comes as application/json, and is asked for so.
    stream: call.stream && !call.jsonArray,
    accountHeaders: call.accountHeaders,
    ...(call.apiKey ? { auth: { 'x-goog-api-key': call.apiKey } } : {}),
    timeouts: call.timeouts,
    signal: call.signal,
    jsonArray: call.stream && call.jsonArray === true,
  });
}

/** The decoder wants a request for the model name of its `start` event, which a meter never reads. */
const METERED: ChatRequest = Object.freeze({ model: '', system: [], messages: [], stream: true });

/**
 * What the gateway learns from a Gemini stream (SSE, or the JSON array without `alt=sse`) on the side while its bytes go on untouched,
 * read by the same decoder the translation uses: usage (each event's usageMetadata is a running
 * total, so the last one counts), time to the first output, whether the stream finished, and an
 * in-band error.
 *
 * @example
 * const meter = new GeminiStreamMeter(performance.now());
 * for await (const chunk of upstream.body) { yield chunk; meter.feed(chunk); }
 */
export class GeminiStreamMeter implements StreamTap {
  usage: TokenUsage | undefined;
  firstTokenMs: number | undefined;
  /** An in-band error (or an event that is not Gemini's), as the gateway's decoder words it, naming the provider by its config id. */
  error: GatewayError | undefined;
  /** Characters of output relayed (text, thoughts, call names and arguments): what a stream cut off before its last count is charged by. */
  outputChars = 0;
  /** Reads the stream's raw bytes (or text) as they pass (`StreamTap`). */
  readonly feed: StreamTap['feed'];
  /** The stream ended normally: reads what is still held (`StreamTap`). */
  readonly end: StreamTap['end'];
  #finished = false;
  readonly #decoder: GeminiStreamDecoder;
  /** The array reader, for a stream without `alt=sse`. */
  readonly array: JsonArraySplitter | undefined;

  constructor(
    readonly start: number,
    readonly now: () => number = performance.now.bind(performance),
    providerId = 'gemini',
    /** `array`: the stream is the JSON array Gemini writes without `alt=sse` (same elements, other framing). */
    framing: 'sse' | 'array' = 'sse',
    /** The most held of one array element (`limits.maxUpstreamEventBytes`); SSE is bounded as it arrives (`UpstreamBody.frame`). */
    maxEventBytes = Infinity,
  ) {
    this.#decoder = new GeminiStreamDecoder(METERED, providerId);
    if (framing === 'array') {
      const array = (this.array = new JsonArraySplitter(
        (text) => this.#observe(text),
        maxEventBytes,
        () => eventTooLarge(maxEventBytes, 'array element'),
      ));
      this.feed = (chunk) => array.feed(chunk);
      // A JSON array holds no line ends to wait on: its closing bracket ends it.
      this.end = () => undefined;
    } else {
      this.array = undefined;
      ({ feed: this.feed, end: this.end } = sseTap((event) => this.#observe(event.data)));
    }
  }

  /** Whether the stream ended with a finishReason (or a blocked prompt), as a whole Gemini stream does. */
  get complete(): boolean {
    if (this.error !== undefined) return false;
    this.#finished ||= this.#decoder.end().some((e) => e.type === 'finish');
    return this.#finished;
  }

  #observe(data: string): void {
    if (this.#decoder.failed) return;
    for (const event of this.#decoder.read(data)) {
      if (event.type === 'usage') this.usage = event.usage;
      else if (event.type === 'error') this.error = event.error;
      const output = relayedOutput(event);
      if (!output) continue;
      if (output.token) this.firstTokenMs ??= this.now() - this.start;
      this.outputChars += output.chars;
    }
  }
}
