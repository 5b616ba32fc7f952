import type { GatewayError } from '../http/errors';
import type { ArrayState } from '../http/json-array';
import { anthropicPassthroughRequest, AnthropicStreamMeter } from '../providers/anthropic';
import { errorFromAnthropicUpstream } from '../providers/anthropic/errors';
import { usageFromAnthropic } from '../providers/anthropic/usage';
import { azurePassthroughRequest, azureResponsesRequest } from '../providers/azure-openai';
import { bedrockAnthropicPassthroughRequest, bedrockAnthropicStreamEvents, bedrockSseText, bedrockTarget } from '../providers/bedrock';
import { errorFromBedrock } from '../providers/bedrock/errors';
import { errorFromGeminiUpstream, geminiBaseUrl, geminiPassthroughRequest, GeminiStreamMeter, usageFromGemini } from '../providers/gemini';
import { errorFromOpenAIUpstream } from '../providers/openai/errors';
import { openAIChatRequest, openAIResponsesRequest, type OpenAIChatCall } from '../providers/openai/request';
import { MediaStreamMeter } from '../providers/openai/media-meter';
import { ResponsesStreamMeter } from '../providers/openai/responses-meter';
import { responseIdOf } from '../providers/openai/response-id';
import { OpenAIStreamMeter } from '../providers/openai/stream-meter';
import { usageFromOpenAI, usageFromResponses } from '../providers/openai/usage';
import type { ProviderRegistry } from '../providers/registry';
import { errorFromVertex, vertexClaudePassthroughRequest, vertexGeminiPassthroughRequest, vertexPublisher, vertexTarget, type VertexPassthroughCall } from '../providers/vertex';
import type { SurfaceBinding } from './bindings';
import type { Attempt } from '../routing/attempts';
import { passThenRead, type ChunkGate } from '../http/pass-then-read';
import type { StreamTap } from '../http/sse-tap';
import { InBandErrorGuard, type EventFraming, type InBandErrorRule } from '../http/in-band-errors';
import { anthropicErrorEvents, geminiErrorEvents, openAIErrorEvents, responsesErrorEvents } from './upstream-error-events';
import { relayOpenAIStream } from '../surfaces/openai-chat/relay';
import { withoutGatewayThinking } from '../surfaces/anthropic-messages/signatures';
import { withoutGatewaySignatures } from '../surfaces/gemini/carried-thinking';
import { withoutGatewayReasoning } from '../surfaces/openai-responses/reasoning-content';
import type { UpstreamFraming } from '../upstream/event-bound';
import type { UpstreamRequest, UpstreamTimeouts } from '../upstream/http';
import type { TokenUsage } from '../usage/tokens';

export interface PassthroughCall {
  attempt: Attempt;
  /** The client's parsed body; only `model` (and stream bookkeeping) changes on the way. */
  body: Record<string, unknown>;
  /** The client's bytes: sent as they are when nothing in the body has to change. */
  raw: Uint8Array;
  /** The client's headers (anthropic-beta and anthropic-version travel on). */
  headers: Readonly<Record<string, string | undefined>>;
  stream: boolean;
  /** A Gemini stream asked for as the JSON array (no `alt=sse`): the upstream is asked so too. */
  jsonArray?: boolean;
  apiKey: string | undefined;
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal;
}

/** What the side-reading of a passed-through stream found. */
export interface StreamFindings {
  usage?: TokenUsage;
  firstTokenMs?: number;
  /** The upstream ended the stream properly ([DONE], message_stop). */
  complete: boolean;
  /**
   * The stream's in-band failure, as the gateway told it to the client (the rewritten error event,
   * else the meter's reading of the upstream's): its code and log-only `detail` go to the books,
   * and its kind tells a cut stream from the upstream's own error (`failureOutcome`).
   */
  failure?: GatewayError;
  /** Characters of output relayed: a cut-off stream is charged by them. */
  outputChars?: number;
  /** The `sequence_number` an event the gateway adds must carry (Responses streams number their events). */
  nextSequence?: number;
  /** The units a price per call is charged for, when the stream counts them (an image stream's finished images). */
  billedUnits?: number;
}

/** How a relay reads a stream on the side. */
export interface RelayOptions {
  /** performance.now() at the request's arrival. */
  start: number;
  clientAskedUsage: boolean;
  /** The stream is Gemini's JSON array, not SSE. */
  jsonArray?: boolean;
  /** The provider's id from the config, which the gateway's words for an in-band error name. */
  providerId?: string;
  /** The most held of one event where the relay frames events itself (Gemini's array); SSE and event streams are bounded by the body. */
  maxEventBytes?: number;
  /** Told the id of the response a Responses stream carries, as soon as its `response.created` came (`withResponseIds`). */
  onResponseId?: (id: string) => void;
}

/** A stream on its way through, and what reading it on the side found. */
export interface Relay {
  body: AsyncIterable<Uint8Array>;
  findings(): StreamFindings;
  array?: () => ArrayState;
}

/** Reading a passed-through answer on the side for usage while its bytes go on unchanged. */
export interface PassthroughReader {
  usageOf(json: unknown): TokenUsage | undefined;
  /** How the upstream's stream divides into events, for the bound on one (`sse` when absent). */
  framing?: UpstreamFraming;
  relay(source: AsyncIterable<Uint8Array>, options: RelayOptions): Relay;
}

/**
 * Sending a client's body to a provider of the same dialect with nothing dropped, and reading
 * the answer on the side for usage while its bytes go on unchanged.
 */
export interface PassthroughRoute extends PassthroughReader {
  request(call: PassthroughCall): UpstreamRequest | Promise<UpstreamRequest>;
  parseError(status: number, headers: Record<string, string | string[] | undefined>, text: string, providerId: string): GatewayError;
  /** Whether the account needs an API key resolved before `request`. */
  needsApiKey: boolean;
}

const openAICall = (call: PassthroughCall): OpenAIChatCall => ({
  provider: call.attempt.provider,
  account: call.attempt.account,
  apiKey: call.apiKey,
  model: call.attempt.model,
  body: call.body,
  raw: call.raw,
  stream: call.stream,
  timeouts: call.timeouts,
  ...(call.signal ? { signal: call.signal } : {}),
});

/**
 * A relay whose in-band error events leave as the gateway's own, in the same dialect and worded
 * as the provider's HTTP errors are (`upstream-error-events.ts`); every other byte as it came.
 * `build` makes the relay with the guard as the gate of its own loop (no generator is added).
 * What the upstream said that the client was not told goes to the findings, for the log.
 */
function rewritingErrors(rule: InBandErrorRule, framing: EventFraming, build: (gate: ChunkGate) => Relay): Relay {
  const guard = new InBandErrorGuard(rule, framing);
  const relay = build(guard);
  return {
    ...relay,
    findings() {
      // The words the client was told, where the guard rewrote the error: the failure the meter read is the same event's.
      const found = relay.findings();
      if (guard.error) found.failure = guard.error;
      return found;
    },
  };
}

function openAIRelay(source: AsyncIterable<Uint8Array>, { start, clientAskedUsage, providerId = 'openai' }: RelayOptions, dropNoise = false): Relay {
  const meter = new OpenAIStreamMeter(start, undefined, dropNoise, providerId);
  return rewritingErrors(openAIErrorEvents(providerId), 'sse', (gate) => ({
    body: relayOpenAIStream(source, { meter, stripUsage: !clientAskedUsage, dropNoise, gate }),
    findings: (): StreamFindings => ({
      complete: meter.sawDone,
      ...(meter.usage ? { usage: meter.usage } : {}),
      ...(meter.firstTokenMs !== undefined ? { firstTokenMs: meter.firstTokenMs } : {}),
      ...(meter.error ? { failure: meter.error } : {}),
      outputChars: meter.outputChars,
    }),
  }));
}

/** What an Anthropic meter read, and `failure`: the error the client was told in-band, where there is one (the meter's own when none is given). */
function anthropicFindings(meter: AnthropicStreamMeter, failure: GatewayError | undefined = meter.error): StreamFindings {
  return {
    complete: meter.sawMessageStop,
    ...(meter.usage ? { usage: meter.usage } : {}),
    ...(meter.firstTokenMs !== undefined ? { firstTokenMs: meter.firstTokenMs } : {}),
    ...(failure ? { failure } : {}),
    outputChars: meter.outputChars,
  };
}

const OPENAI: PassthroughRoute = {
  request: (call) => openAIChatRequest(openAICall(call)),
  parseError: errorFromOpenAIUpstream,
  usageOf: (json) => usageFromOpenAI((json as { usage?: unknown } | null)?.usage),
  relay: openAIRelay,
  needsApiKey: true,
};

/** Azure adds content-filter chunks that OpenAI's clients do not expect (choice-less, or without a delta): they are dropped. */
const AZURE: PassthroughRoute = {
  ...OPENAI,
  request: (call) => azurePassthroughRequest(openAICall(call)),
  relay: (source, options) => openAIRelay(source, options, true),
};

/**
 * A Messages body bound for Claude (Anthropic, Bedrock) unchanged: the client's, less the thinking
 * blocks the gateway wrote for another family (Anthropic refuses them); without any, its bytes.
 */
function claudeBody(call: PassthroughCall): { body: Record<string, unknown>; raw?: Uint8Array } {
  const body = withoutGatewayThinking(call.body);
  return body ? { body } : { body: call.body, raw: call.raw };
}

const ANTHROPIC: PassthroughRoute = {
  request: (call) => {
    const provider = call.attempt.provider as { baseUrl?: string; version?: string };
    return anthropicPassthroughRequest({
      ...claudeBody(call),
      headers: call.headers,
      baseUrl: call.attempt.account.baseUrl ?? provider.baseUrl ?? 'https://api.anthropic.com',
      apiKey: call.apiKey,
      model: call.attempt.model,
      stream: call.stream,
      ...(provider.version ? { version: provider.version } : {}),
      ...(call.attempt.account.headers ? { accountHeaders: call.attempt.account.headers } : {}),
      timeouts: call.timeouts,
      ...(call.signal ? { signal: call.signal } : {}),
    });
  },
  parseError: errorFromAnthropicUpstream,
  usageOf: (json) => usageFromAnthropic((json as { usage?: unknown } | null)?.usage),
  relay(source, { start, providerId = 'anthropic' }) {
    const meter = new AnthropicStreamMeter(start, undefined, providerId);
    return rewritingErrors(anthropicErrorEvents(providerId), 'sse', (gate) => ({ body: passThenRead(source, (chunk) => meter.feed(chunk), gate, () => meter.end()), findings: () => anthropicFindings(meter) }));
  },
  needsApiKey: true,
};

/** What a meter that reads a stream on the side knows at any moment. */
interface SideMeter extends StreamTap {
  readonly complete: boolean;
  usage: TokenUsage | undefined;
  firstTokenMs: number | undefined;
  /** The in-band error it read, worded as the gateway tells it. */
  error: GatewayError | undefined;
}

/** A stream's bytes passed on untouched (or as `gate` lets them), each chunk before the meter reads it, and what the meter found. */
function sideRead(source: AsyncIterable<Uint8Array>, meter: SideMeter, more: () => Partial<StreamFindings>, gate?: ChunkGate) {
  return {
    body: passThenRead(source, (chunk) => meter.feed(chunk), gate, () => meter.end()),
    findings: (): StreamFindings => ({
      complete: meter.complete,
      ...(meter.usage ? { usage: meter.usage } : {}),
      ...(meter.firstTokenMs !== undefined ? { firstTokenMs: meter.firstTokenMs } : {}),
      ...(meter.error !== undefined ? { failure: meter.error } : {}),
      ...more(),
    }),
  };
}

/**
 * A Responses call bound for OpenAI or Azure: the client's body, less the reasoning items the
 * gateway wrote for another family in earlier turns (OpenAI cannot decrypt them and refuses the
 * request); a body without any goes on as its bytes.
 */
function responsesCall(call: PassthroughCall): OpenAIChatCall {
  const body = withoutGatewayReasoning(call.body);
  if (!body) return openAICall(call);
  const { raw: _raw, ...rest } = openAICall(call);
  return { ...rest, body };
}

/** The Responses API passed through: its bytes go on untouched, read on the side for usage. */
const OPENAI_RESPONSES: PassthroughRoute = {
  request: (call) => openAIResponsesRequest(responsesCall(call)),
  parseError: errorFromOpenAIUpstream,
  usageOf: (json) => usageFromResponses((json as { usage?: unknown } | null)?.usage),
  relay(source, { start, providerId = 'openai', onResponseId }) {
    const meter = new ResponsesStreamMeter(start, undefined, onResponseId, providerId);
    return rewritingErrors(responsesErrorEvents(providerId), 'sse', (gate) =>
      sideRead(
        source,
        meter,
        () => ({
          ...(meter.lastSequence !== undefined ? { nextSequence: meter.lastSequence + 1 } : {}),
          outputChars: meter.outputChars,
        }),
        gate,
      ),
    );
  },
  needsApiKey: true,
};

/**
 * A Responses passthrough reader that also tells `onId` the id of the response it reads, so the
 * account that holds it is remembered (`ResponseHomes`): a stream's as soon as its
 * `response.created` came, before the client can continue it; a whole answer's from the parse its
 * usage needs anyway, when the books close (on the turn of the event loop after the answer was
 * written, before the client can have read it and sent the next call).
 *
 * @example
 * passthroughAnswer(input, withResponseIds(pass, (id) => deps.load.homes.remember(id, 'openai', 'b')), false)
 */
export function withResponseIds(pass: PassthroughReader, onId: (id: string) => void): PassthroughReader {
  return {
    ...pass,
    usageOf(json) {
      const id = responseIdOf(json);
      if (id !== undefined) onId(id);
      return pass.usageOf(json);
    },
    relay: (source, options) => pass.relay(source, { ...options, onResponseId: onId }),
  };
}

/**
 * Images, audio and moderations passed through (`lib/pipeline/media-operations.ts`): usage where
 * the answer reports it (`usage.input_tokens`/`output_tokens` of gpt-image-1 and gpt-4o-transcribe),
 * media streams read to their `.done` event.
 */
export const OPENAI_MEDIA_READER: PassthroughReader = {
  usageOf: OPENAI_RESPONSES.usageOf,
  relay(source, { start }) {
    const meter = new MediaStreamMeter(start);
    // Errors stay the upstream's, but only whole events leave: a stream cut inside one (a partial
    // image past the bound, an upstream gone) ends with the gateway's error event on a line of its own.
    return rewritingErrors(WHOLE_EVENTS_ONLY, 'sse', (gate) => sideRead(source, meter, () => (meter.images > 0 ? { billedUnits: meter.images } : {}), gate));
  },
};

/** The in-band error guard's holding back of an event cut across chunks, with no error rewritten. */
const WHOLE_EVENTS_ONLY: InBandErrorRule = { markers: [], rewrite: () => undefined };

const AZURE_RESPONSES: PassthroughRoute = { ...OPENAI_RESPONSES, request: (call) => azureResponsesRequest(responsesCall(call)) };

/** Bedrock's InvokeModel carries Anthropic's own Messages body for Claude models. */
function bedrockAnthropic(registry: ProviderRegistry): PassthroughRoute {
  return {
    async request(call) {
      const { provider, account } = call.attempt;
      return bedrockAnthropicPassthroughRequest({
        body: claudeBody(call).body,
        ...(call.headers['anthropic-beta'] ? { betaHeader: call.headers['anthropic-beta'] } : {}),
        ...('anthropicBetas' in provider && provider.anthropicBetas ? { betaAllowList: provider.anthropicBetas } : {}),
        modelId: call.attempt.model,
        ...bedrockTarget(provider, account),
        credentials: await registry.bedrockCredentials({ provider, account }),
        stream: call.stream,
        timeouts: call.timeouts,
        ...(call.signal ? { signal: call.signal } : {}),
      });
    },
    parseError: errorFromBedrock,
    usageOf: ANTHROPIC.usageOf,
    framing: 'event-stream',
    relay(source, { start, providerId = 'bedrock' }) {
      const meter = new AnthropicStreamMeter(start, undefined, providerId);
      let failure: GatewayError | undefined;
      async function* body() {
        // The events as read, each Claude event parsed once for the meter too (no SSE text parsed back).
        for await (const event of bedrockAnthropicStreamEvents(source, providerId)) {
          // The gateway's own error event is booked as the failure it tells: read back from its data, its code would be the client's error.type.
          if (event.error) failure = event.error;
          else meter.observeParsed(event.name, event.data, event.event);
          yield Buffer.from(bedrockSseText(event));
        }
      }
      return { body: body(), findings: () => anthropicFindings(meter, failure) };
    },
    needsApiKey: false,
  };
}

/**
 * Gemini's body names no model (the URL does), so the client's bytes go on as they are, unless
 * they hold thoughtSignatures the gateway wrote while another family answered (Gemini refuses those).
 */
const GEMINI: PassthroughRoute = {
  request: (call) =>
    geminiPassthroughRequest({
      raw: geminiBytes(call),
      baseUrl: geminiBaseUrl(call.attempt.provider, call.attempt.account),
      apiKey: call.apiKey,
      model: call.attempt.model,
      stream: call.stream,
      ...(call.jsonArray ? { jsonArray: true } : {}),
      ...(call.attempt.account.headers ? { accountHeaders: call.attempt.account.headers } : {}),
      timeouts: call.timeouts,
      ...(call.signal ? { signal: call.signal } : {}),
    }),
  parseError: errorFromGeminiUpstream,
  usageOf: (json) => {
    const meta = (json as { usageMetadata?: Parameters<typeof usageFromGemini>[0] } | null)?.usageMetadata;
    return meta ? usageFromGemini(meta) : undefined;
  },
  relay(source, { start, jsonArray, providerId = 'gemini', maxEventBytes }) {
    const framing = jsonArray ? 'array' : 'sse';
    const meter = new GeminiStreamMeter(start, undefined, providerId, framing, maxEventBytes);
    const array = meter.array;
    return rewritingErrors(geminiErrorEvents(providerId, framing), framing, (gate) => {
      if (!array) return sideRead(source, meter, () => ({ outputChars: meter.outputChars }), gate);
      const client = clientArray(array, gate);
      return { ...sideRead(source, meter, () => ({ outputChars: meter.outputChars }), client.gate), array: () => client.state };
    });
  },
  needsApiKey: true,
};

/**
 * The array as its client has it. The guard holds an element cut across chunks back until its end,
 * so a stream cut inside an element the client has had none of (an upstream gone, an element past
 * the bound) can still end with the error element and `]`; only where the client had part of one
 * (an array passed on unguarded) can nothing make it valid.
 */
function clientArray(array: ArrayState, gate: ChunkGate): { gate: ChunkGate; state: ArrayState } {
  let sent = false;
  return {
    gate: {
      pass(chunk) {
        const out = gate.pass(chunk);
        if (out && out.length > 0) sent = true;
        return out;
      },
      end: () => gate.end(),
    },
    state: {
      // Nothing let out yet: the client has not even had the `[`.
      get opened() {
        return array.opened && sent;
      },
      get closed() {
        return array.closed;
      },
      get insideElement() {
        return array.insideElement && gate.holding !== true;
      },
    },
  };
}

function geminiBytes(call: PassthroughCall): Uint8Array {
  const body = withoutGatewaySignatures(call.body, call.attempt.model);
  return body ? Buffer.from(JSON.stringify(body)) : call.raw;
}

/** How a passed-through call reaches its Vertex account: the account's access token is `apiKey`. */
const vertexCall = (call: PassthroughCall): VertexPassthroughCall => ({
  target: vertexTarget(call.attempt.provider, call.attempt.account),
  model: call.attempt.model,
  token: call.apiKey,
  stream: call.stream,
  jsonArray: call.jsonArray,
  accountHeaders: call.attempt.account.headers,
  timeouts: call.timeouts,
  signal: call.signal,
  betas: call.attempt.provider.type === 'vertex' ? call.attempt.provider.anthropicBetas : undefined,
});

/** Claude on Vertex takes Anthropic's body (its version inside, no model; other families' thinking dropped) and answers in Anthropic's bytes. */
const VERTEX_CLAUDE: PassthroughRoute = {
  ...ANTHROPIC,
  request: (call) => {
    const { body, raw } = claudeBody(call);
    return vertexClaudePassthroughRequest(body, call.headers, vertexCall(call), raw);
  },
  parseError: errorFromVertex,
};

/** Gemini on Vertex takes the Gemini API's body, as the client's bytes (less signatures the gateway wrote for other families), and answers in its bytes. */
const VERTEX_GEMINI: PassthroughRoute = {
  ...GEMINI,
  request: (call) => vertexGeminiPassthroughRequest(geminiBytes(call), vertexCall(call)),
  parseError: errorFromVertex,
};

/** Claude on Bedrock: model ids and inference profiles name the vendor (`anthropic.`, `us.anthropic.`, ARNs). */
const isBedrockClaude = (modelId: string) => /(^|[.:/])anthropic\./.test(modelId);

/**
 * The passthrough routes of each client dialect, by provider; undefined where the request must be
 * translated. Vertex speaks both Anthropic's dialect (Claude) and Gemini's (the others). Responses go through to OpenAI and Azure; most OpenAI-compatible servers speak
 * only part of the Responses API, so they get it only when their config says `responses: "passthrough"`.
 */
export function passthroughFor(dialect: SurfaceBinding['name'], attempt: Attempt, registry: ProviderRegistry): PassthroughRoute | undefined {
  const type = attempt.provider.type;
  if (dialect === 'openai-responses') {
    if (type === 'openai') return OPENAI_RESPONSES;
    if (type === 'azure-openai') return AZURE_RESPONSES;
    if (type === 'openai-compatible' && attempt.provider.responses === 'passthrough') return OPENAI_RESPONSES;
    return undefined;
  }
  if (dialect === 'gemini') {
    if (type === 'gemini') return GEMINI;
    return type === 'vertex' && vertexPublisher(attempt.model) === 'google' ? VERTEX_GEMINI : undefined;
  }
  if (dialect === 'openai') {
    if (type === 'openai' || type === 'openai-compatible') return OPENAI;
    if (type === 'azure-openai') return AZURE;
    return undefined;
  }
  if (type === 'anthropic') return ANTHROPIC;
  if (type === 'bedrock' && isBedrockClaude(attempt.model)) return bedrockAnthropic(registry);
  if (type === 'vertex' && vertexPublisher(attempt.model) === 'anthropic') return VERTEX_CLAUDE;
  return undefined;
}
