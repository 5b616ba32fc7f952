import type { ChatRequest, StreamEvent } from '../canonical/types';
import { asGatewayError } from '../http/errors';
import { jsonText } from '../http/json-text';
import { arrayErrorTail, JSON_ARRAY_STREAM_HEADERS, JsonArrayWriter, sseAsJsonArray, sseDataOf, type ArrayState } from '../http/json-array';
import { SSE_HEADERS } from '../http/sse';
import { streamEndedError } from '../http/stream-ended';
import type { GatewayResponse } from '../http/types';
import type { ProviderAdapter } from '../providers/types';
import type { UpstreamResponse } from '../upstream/http';
import { upstreamJson } from '../upstream/json';
import { charTokens, countTokensEstimate } from '../surfaces/anthropic-messages/count-tokens';
import { cutOffUsage, relayedOutput } from '../usage/cut-off';
import type { TokenUsage } from '../usage/tokens';
import type { SurfaceBinding } from './bindings';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import { answerGuardOf, screenedStream, screenWholeAnswer } from './answer-guard';
import type { PassthroughReader } from './passthrough';
import { bookInterrupted, brokeOff, isOwnFault, logBrokeOff, readFailure } from './broke-off';
import { bookFailure } from './failure-outcome';
import { followsOn, SentEvents } from './follows-on';
import { clientGone } from './signal';
import { stoppedAnswer, stoppedEvents } from './stop-emulation/canonical';
import { stoppedChatStream, stoppedCompletion, type ChatStopEnd } from './stop-emulation/chat-completions';
import { KEEP_ALIVE_MS, keepAliveOf, QUIET, SendClock, withKeepAlives } from './stop-emulation/keep-alive';

/** What every answer writer needs: the upstream's response and the request's books. */
export interface AnswerInput {
  res: UpstreamResponse;
  ctx: RequestContext;
  deps: ProxyDeps;
  binding: SurfaceBinding;
  signal: AbortSignal | undefined;
  /** Closes the books; streams call it when they end. */
  finish: () => void;
  /** The model name the client asked for (answers carry it back). */
  clientModel: string;
  /**
   * The client's body, parsed and as bytes: a Responses answer echoes its settings, and a stream cut
   * off before the prompt was counted is charged by its estimate.
   */
  body: Record<string, unknown>;
  raw: Uint8Array;
}

/** Whether a 2xx upstream answer is a stream (SSE, Bedrock's event stream) rather than one JSON body. */
function isStreamed(res: UpstreamResponse): boolean {
  return !String(res.headers['content-type'] ?? '').startsWith('application/json');
}

async function readWhole(res: UpstreamResponse, signal: AbortSignal | undefined): Promise<Buffer> {
  try {
    return await res.body.bytes();
  } catch (err) {
    // The body's own refusal (`upstream_answer_too_large`) keeps its words.
    throw readFailure(err, signal, 'its answer');
  }
}

/**
 * The stream's failure handling in one place: a failure after the first byte becomes the
 * surface's in-band error event and the stream ends; a client that left needs no event; and
 * whatever happened, the books are closed once at the end.
 */
async function* guarded(
  input: AnswerInput,
  produce: () => AsyncGenerator<Uint8Array>,
  onEnd: () => void,
  sent: () => { nextSequence?: number } = () => ({}),
  // A Gemini JSON-array stream: the in-band error is its last element, if the array can still take one.
  array?: () => ArrayState | undefined,
): AsyncGenerator<Uint8Array> {
  const { ctx, signal, binding } = input;
  // Guardrails on answers, where there are any for this call: the stream as the client gets it.
  const guard = answerGuardOf(ctx, input.deps);
  const screened = guard && screenedStream(produce(), guard, ctx, input.deps, ctx.jsonArray === true);
  const source = screened ? screened.body : produce();
  const sentEvents = binding.sequenceAfter ? new SentEvents() : undefined;
  try {
    // Every answer of every surface goes through here: only a surface that numbers its events keeps what it sent.
    if (!sentEvents) yield* source;
    else {
      for await (const chunk of source) {
        sentEvents.see(chunk);
        yield chunk;
      }
    }
  } catch (err) {
    const error = brokeOff(err, { ctx, logger: input.deps.logger, signal }, 'the stream', 'stream interrupted');
    if (!error) return;
    const inBand = binding.inBandError(error, followsOn(binding, sentEvents, sent));
    const state = screened?.array ?? array?.();
    yield Buffer.from(state ? arrayErrorTail(state, sseDataOf(inBand).join('')) : inBand);
  } finally {
    // Reached without an outcome only when the door stopped reading: the client went away.
    ctx.outcome ??= 'aborted';
    onEnd();
    input.finish();
  }
}

/**
 * A whole (not streamed) answer of a same-dialect upstream: its bytes, status and content type go
 * on unchanged; its usage is read out of it only once it has been sent (`ctx.usageLater`).
 */
export async function wholeAnswer(res: UpstreamResponse, ctx: RequestContext, signal: AbortSignal | undefined, usageOf: (json: unknown) => TokenUsage | undefined): Promise<GatewayResponse> {
  ctx.status = res.status;
  const bytes = await readWhole(res, signal);
  ctx.ttftMs = performance.now() - ctx.startPerf;
  const contentType = String(res.headers['content-type'] ?? 'application/json');
  // Speech answers audio (megabytes): decoding it as text to find no JSON would be waste.
  if (!contentType.startsWith('audio/')) {
    ctx.usageLater = () => {
      try {
        return usageOf(JSON.parse(jsonText(bytes)));
      } catch {
        // Not JSON: it went on as it was; there is nothing to meter.
        return undefined;
      }
    };
  }
  return { status: res.status, headers: { 'content-type': contentType }, body: bytes };
}

/** The answer of a same-dialect upstream: its bytes go on unchanged (or nearly), read on the side for usage. */
export async function passthroughAnswer(input: AnswerInput, pass: PassthroughReader, clientAskedUsage: boolean): Promise<GatewayResponse> {
  const { res, ctx, signal } = input;
  // Set only where mending dropped the client's `stop` (a Chat Completions call to o3, GPT-5…): every other call pays this read.
  const stop = ctx.emulatedStop;
  // The JSON array comes as application/json, a stream all the same.
  if (!ctx.stream || !(isStreamed(res) || ctx.jsonArray)) {
    const whole = await wholeAnswer(res, ctx, signal, pass.usageOf);
    return screenedWhole(stop ? stoppedWhole(whole, stop) : whole, input);
  }
  ctx.status = 200;
  // No event grows past the bound: SSE and event streams are counted as they arrive, the JSON array by its splitter.
  if (!ctx.jsonArray) res.body.frame?.(pass.framing ?? 'sse');
  const relay = pass.relay(res.body, {
    start: ctx.startPerf,
    clientAskedUsage,
    ...(ctx.jsonArray ? { jsonArray: true, maxEventBytes: input.deps.config.limits.maxUpstreamEventBytes } : {}),
    ...(ctx.provider ? { providerId: ctx.provider } : {}),
  });
  async function* produce(): AsyncGenerator<Uint8Array> {
    // Cut at the client's stop sequences, the upstream read to its end all the same (its usage is exact).
    let stopped: ChatStopEnd | undefined;
    if (stop) stopped = yield* stoppedChatStream(relay.body, { sequences: stop, choices: choicesOf(input.body), ...(input.deps.keepAliveMs ? { keepAliveMs: input.deps.keepAliveMs } : {}) });
    else yield* relay.body;
    const found = relay.findings();
    // A JSON array is whole only once its `]` came: a finish before it is still a cut stream.
    const array = relay.array?.();
    const { failure } = found;
    if (failure) {
      bookFailure(ctx, failure);
      // A relay that tells a cut stream itself (Bedrock's Claude events) logs it as the guard does any cut stream.
      if (ctx.outcome === 'interrupted') logBrokeOff(failure, failure, { ctx, logger: input.deps.logger }, 'stream interrupted');
      // Its error element was whole; the array it ended still needs its `]` to parse.
      if (array && !array.closed && !array.insideElement) yield Buffer.from('\n]');
    } else if (!found.complete || (array && !array.closed)) {
      const cutOff = streamEndedError(ctx.provider);
      if (!stopped?.answered || clientGone(signal)) throw stopped?.failure ?? cutOff;
      // The client's answer ended at its stop sequences before the upstream broke off: the failure is the books' alone.
      brokeOffAfterStop(input, stopped.failure ?? cutOff);
    } else ctx.outcome = 'ok';
  }
  const onEnd = () => {
    const found = relay.findings();
    if (found.firstTokenMs !== undefined) ctx.ttftMs = found.firstTokenMs;
    // The images a stream finished, cut off or not: each was made and is charged.
    if (found.billedUnits !== undefined) ctx.billedUnits = found.billedUnits;
    if (ctx.outcome !== 'ok') chargeCutOff(ctx, found.usage, found.outputChars ?? 0, () => promptEstimate(input));
    else if (found.usage) ctx.usage = found.usage;
  };
  return { status: 200, headers: { ...streamHeaders(ctx) }, body: guarded(input, produce, onEnd, () => relay.findings(), relay.array) };
}

/** The answer of an upstream of another dialect: decoded to canonical events, encoded into the client's format. */
export async function translatedAnswer(input: AnswerInput, adapter: ProviderAdapter, request: ChatRequest, clientAskedUsage: boolean): Promise<GatewayResponse> {
  const { res, ctx, binding, clientModel, body: clientBody, signal } = input;
  // Set only where mending dropped the `stop` the translation wrote (an Anthropic client's stop_sequences to o3…).
  const stop = ctx.emulatedStop;
  ctx.status = 200;
  if (!ctx.stream || !isStreamed(res)) {
    const parsed = adapter.parseResponse(upstreamJson(await readWhole(res, signal), ctx.provider), request);
    const answer = stop ? stoppedAnswer(parsed, stop) : parsed;
    ctx.ttftMs = performance.now() - ctx.startPerf;
    ctx.usage = answer.usage;
    return screenedWhole({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(binding.surface.encodeResponse(answer, clientModel, clientBody)) }, input);
  }
  const relayed = { outputChars: 0 };
  // Translated streams are SSE but Bedrock's; no event of either grows past the bound (`UpstreamBody.frame`).
  res.body.frame?.(adapter.dialect === 'bedrock' ? 'event-stream' : 'sse');
  const upstreamEvents = metered(adapter.parseStream(res.body, request, ctx.provider), input, relayed);
  // Once the client's answer ended at its stop, the upstream is drained in silence: keep-alives say the stream lives.
  const clock = new SendClock();
  // Cut after the meter: it counts what the upstream made (a cut-off stream is charged for it), the encoder gets what the client is owed.
  const events = stop ? stoppedEvents(upstreamEvents, stop, () => clock.arm()) : upstreamEvents;
  // Gemini's stream without alt=sse: the surface's SSE events, one array element each.
  const array = ctx.jsonArray ? new JsonArrayWriter() : undefined;
  async function* produce(): AsyncGenerator<Uint8Array> {
    const encoded = binding.surface.encodeStream(events, { model: clientModel, includeUsage: clientAskedUsage, request: clientBody, canonical: request, providerId: ctx.provider });
    if (array) {
      // A JSON array has no comment to send: it waits as before.
      for await (const text of sseAsJsonArray(encoded, array)) yield Buffer.from(text);
    } else if (stop) {
      const keepAlive = Buffer.from(keepAliveOf(binding.name));
      for await (const text of withKeepAlives(encoded, input.deps.keepAliveMs ?? KEEP_ALIVE_MS, clock)) {
        yield text === QUIET ? keepAlive : Buffer.from(text);
        clock.sent();
      }
    } else for await (const text of encoded) yield Buffer.from(text);
    ctx.outcome ??= 'ok';
  }
  const onEnd = () => {
    if (ctx.outcome !== 'ok') chargeCutOff(ctx, ctx.usage, relayed.outputChars, () => countTokensEstimate(request));
  };
  return { status: 200, headers: { ...streamHeaders(ctx) }, body: guarded(input, produce, onEnd, undefined, array && (() => array)) };
}

/** A passed-through whole Chat Completions answer cut at the client's stop sequences; errors and answers without one go on as they came. */
function stoppedWhole(res: GatewayResponse, stop: readonly string[]): GatewayResponse {
  if (res.status !== 200) return res;
  const cut = stoppedCompletion(res.body as Uint8Array, stop);
  return cut ? { ...res, body: cut } : res;
}

/** An upstream that broke off after the client's answer had ended at its stop sequences: recorded (and charged as a cut-off stream), nothing sent. */
function brokeOffAfterStop({ ctx, deps, signal }: AnswerInput, failure: unknown): void {
  const error = readFailure(failure, signal, 'the stream');
  bookInterrupted(ctx, error);
  // A fault of the gateway's own is an ERROR (`logBrokeOff`), whatever the client had already got.
  if (isOwnFault(error)) logBrokeOff(failure, error, { ctx, logger: deps.logger }, 'stream interrupted after the stop sequence');
  else deps.logger.warn('stream interrupted after the stop sequence', { requestId: ctx.requestId, provider: ctx.provider, error: error.message, ...(error.detail ? { detail: error.detail } : {}) });
}

/** How many choices a Chat Completions client asked for (`n`, 1 when absent). */
const choicesOf = (body: Record<string, unknown>) => (typeof body.n === 'number' && body.n > 1 ? body.n : 1);

/** A whole answer through the guardrails on answers, where this call has any. */
function screenedWhole(res: GatewayResponse, { ctx, deps }: AnswerInput): GatewayResponse {
  const guard = answerGuardOf(ctx, deps);
  return guard ? screenWholeAnswer(res, guard, ctx, deps) : res;
}

const streamHeaders = (ctx: RequestContext) => (ctx.jsonArray ? JSON_ARRAY_STREAM_HEADERS : SSE_HEADERS);

/**
 * A stream that did not end well (cut off by the client, the upstream or the deadline, or ended
 * by an upstream error) is charged what it used up to the cut: its reported usage, raised by
 * estimates where the upstream had not counted yet (`cutOffUsage`).
 */
function chargeCutOff(ctx: RequestContext, reported: TokenUsage | undefined, outputChars: number, promptTokens: () => number): void {
  const { usage, estimated } = cutOffUsage(reported, outputChars, promptTokens);
  ctx.usage = usage;
  if (estimated) ctx.usageEstimated = true;
}

/** The prompt's tokens as count_tokens estimates them, from the canonical form where the body has one, else from its size. */
function promptEstimate({ binding, body, raw }: AnswerInput): number {
  try {
    return countTokensEstimate(binding.decode(body));
  } catch {
    return charTokens(raw.length);
  }
}

/**
 * Reads canonical events on their way to the encoder: usage, the first token, the output's
 * characters (`relayed`), and errors. A transport failure becomes an `error` event, so the
 * encoder ends the stream in its own dialect.
 */
async function* metered(events: AsyncIterable<StreamEvent>, { ctx, deps, signal }: AnswerInput, relayed: { outputChars: number }): AsyncGenerator<StreamEvent> {
  try {
    for await (const event of events) {
      if (event.type === 'usage') ctx.usage = event.usage;
      else if (event.type === 'error') {
        bookFailure(ctx, event.error);
        // A cut the parser told (a stream that ended before its last event) is logged as the stream guard logs a passed-through one.
        if (ctx.outcome === 'interrupted') logBrokeOff(event.error, event.error, { ctx, logger: deps.logger }, 'stream interrupted');
      }
      const output = relayedOutput(event);
      if (output) {
        if (output.token) ctx.ttftMs ??= performance.now() - ctx.startPerf;
        relayed.outputChars += output.chars;
      }
      yield event;
    }
  } catch (err) {
    if (clientGone(signal)) throw err;
    const error = readFailure(err, signal, 'the stream');
    bookInterrupted(ctx, error);
    // As the stream guard logs a passed-through cut: WARN for an upstream that broke off (or the
    // deadline), ERROR for a translator's own fault (a TypeError on a chunk it took in), so it pages.
    logBrokeOff(err, error, { ctx, logger: deps.logger }, 'stream interrupted');
    yield { type: 'error', error: asGatewayError(error) };
  }
}
