/**
 * The Anthropic Messages surface on Bedrock's Claude models, body for body: InvokeModel and
 * InvokeModelWithResponseStream take the Anthropic request almost unchanged, so nothing a client
 * like Claude Code sends is lost in a Converse translation.
 */
import type { UpstreamRequest, UpstreamTimeouts } from '../../upstream/http';
import { anthropicErrorBody } from '../../http/anthropic-error';
import type { GatewayError } from '../../http/errors';
import { sseReframed } from '../../http/sse';
import { brokenStreamError, errorFromClaudeChunk, errorOfFailureFrame, streamEndedError } from './errors';
import { anthropicChunkEvent, decodeEventStream, EventStreamFormatError } from './eventstream';
import { bedrockModelUrl, signedBedrockPost, type AwsCredentialIdentity } from './sign';

/** The `anthropic_version` Bedrock's Claude models require in the body. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/**
 * Beta flags Bedrock's Claude models accept. Bedrock answers 400 "invalid beta flag" to any
 * other (Claude Code sends `claude-code-20250219`, `oauth-…`, `mcp-servers-…` by default), so
 * the others are left out unless the caller passes its own list or `'all'`.
 */
export const BEDROCK_ANTHROPIC_BETAS: readonly string[] = [
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'token-efficient-tools-2025-02-19',
  'interleaved-thinking-2025-05-14',
  'output-128k-2025-02-19',
  'dev-full-thinking-2025-05-14',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'effort-2025-11-24',
  'tool-search-tool-2025-10-19',
  'tool-examples-2025-10-29',
];

/** The `anthropic-beta` header (a comma list, possibly repeated) split into the flags Bedrock takes and the ones it would refuse. */
export function splitBedrockBetas(header: string | string[] | undefined, allow: readonly string[] | 'all' = BEDROCK_ANTHROPIC_BETAS): { kept: string[]; dropped: string[] } {
  const flags = (Array.isArray(header) ? header : header ? [header] : [])
    .flatMap((h) => h.split(','))
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const unique = [...new Set(flags)];
  if (allow === 'all') return { kept: unique, dropped: [] };
  return { kept: unique.filter((f) => allow.includes(f)), dropped: unique.filter((f) => !allow.includes(f)) };
}

export interface BedrockAnthropicPassthrough {
  /** The client's Anthropic Messages body, as parsed. */
  body: Record<string, unknown>;
  /** The client's `anthropic-beta` header. */
  betaHeader?: string | string[];
  /** Which beta flags may go to Bedrock; defaults to BEDROCK_ANTHROPIC_BETAS. */
  betaAllowList?: readonly string[] | 'all';
  modelId: string;
  endpoint: string;
  region: string;
  credentials: AwsCredentialIdentity;
  stream: boolean;
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal;
  signingDate?: Date;
}

/**
 * The signed InvokeModel (or, streaming, InvokeModelWithResponseStream) request for an Anthropic
 * Messages body: `model` and `stream` leave the body (the URL says both), `anthropic_version`
 * becomes Bedrock's, and the beta header becomes the `anthropic_beta` array.
 *
 * @example
 * const upstreamReq = await bedrockAnthropicPassthroughRequest({
 *   body, betaHeader: req.headers['anthropic-beta'], modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
 *   ...bedrockTarget(provider, account), credentials: await credentialsFor({ provider, account }),
 *   stream: body.stream === true, timeouts,
 * });
 */
export async function bedrockAnthropicPassthroughRequest(call: BedrockAnthropicPassthrough): Promise<UpstreamRequest> {
  const { model: _model, stream: _stream, ...rest } = call.body;
  const bodyBetas = Array.isArray(rest.anthropic_beta) ? rest.anthropic_beta.filter((b): b is string => typeof b === 'string') : [];
  const { kept } = splitBedrockBetas([...bodyBetas, ...(Array.isArray(call.betaHeader) ? call.betaHeader : call.betaHeader ? [call.betaHeader] : [])], call.betaAllowList);
  const upstreamBody: Record<string, unknown> = { ...rest, anthropic_version: BEDROCK_ANTHROPIC_VERSION };
  if (kept.length > 0) upstreamBody.anthropic_beta = kept;
  else delete upstreamBody.anthropic_beta;
  const body = JSON.stringify(upstreamBody);
  const url = bedrockModelUrl(call.endpoint, call.modelId, call.stream ? 'invoke-with-response-stream' : 'invoke');
  const headers: Record<string, string> = call.stream
    ? { 'content-type': 'application/json', accept: 'application/vnd.amazon.eventstream', 'x-amzn-bedrock-accept': 'application/json' }
    : { 'content-type': 'application/json', accept: 'application/json' };
  return signedBedrockPost({ url, headers, body, region: call.region, credentials: call.credentials, timeouts: call.timeouts, signal: call.signal, signingDate: call.signingDate });
}

/**
 * An InvokeModelWithResponseStream body as Anthropic SSE text. Each `chunk` frame carries
 * `{"bytes": base64}`, and the bytes are one Anthropic stream event as JSON, passed on as they
 * came (Bedrock's `amazon-bedrock-invocationMetrics` on `message_stop` included). An exception
 * frame, a broken frame or a stream cut before `message_stop` ends the output with Anthropic's
 * `event: error`, as the Anthropic API itself would, worded as the same failure before the stream
 * is (`errorOfFailureFrame`, `errorFromClaudeChunk`). An exception about the gateway's own
 * AWS credentials is told in the gateway's words: AWS's name the role ARN and account, so they go
 * to the failure's `detail` (the request's log, `BedrockAnthropicEvent.error`) instead of the
 * client. `providerId` (the config's) is the provider the gateway's words name.
 *
 * @example
 * for await (const sse of bedrockAnthropicStreamToSse(upstream.body, 'aws')) write(sse);
 */
export async function* bedrockAnthropicStreamToSse(body: AsyncIterable<Uint8Array>, providerId = 'bedrock'): AsyncGenerator<string> {
  for await (const event of bedrockAnthropicStreamEvents(body, providerId)) yield sseText(event);
}

/** One Anthropic SSE event of a Bedrock stream: its name, its data as sent, and the data parsed when it is Claude's own event (the gateway's `error` events carry none). */
export interface BedrockAnthropicEvent {
  name: string;
  data: string;
  event?: Record<string, unknown>;
  /**
   * The failure an `error` event the gateway wrote tells, for the books: its `code` and `detail`
   * are not in the event's data (whose `error.type` is the client's, `api_error` for the
   * gateway's credentials refused), so reading the data back would book another failure.
   */
  error?: GatewayError;
}

/**
 * `bedrockAnthropicStreamToSse`'s events before they become SSE text, each Claude event with the
 * object its JSON parsed to (parsed once, to know it is whole), for a meter to read without
 * parsing it again (`AnthropicStreamMeter.observeParsed`).
 *
 * @example
 * for await (const e of bedrockAnthropicStreamEvents(upstream.body)) { meter.observeParsed(e.name, e.data, e.event); write(sseText(e)); }
 */
export async function* bedrockAnthropicStreamEvents(body: AsyncIterable<Uint8Array>, providerId = 'bedrock'): AsyncGenerator<BedrockAnthropicEvent> {
  let stopped = false;
  try {
    for await (const message of decodeEventStream(body)) {
      if (message.headers[':message-type'] !== 'event') {
        const failure = errorOfFailureFrame(message, providerId);
        if (!failure) continue;
        yield told(failure);
        return;
      }
      if (message.headers[':event-type'] !== 'chunk') continue;
      const event = anthropicChunkEvent(message.body);
      // No Claude event (no type, or one that cannot be an event name): skipped (its JSON was whole, so nothing of the answer is lost,
      // and a client ignores an event it does not know). Neither client nor meter sees it, and the start scan looks past it (`isOpeningMessage`).
      if (!event) continue;
      const { json, type } = event;
      if (type === 'error') {
        // Claude's own `error` event carried in a chunk: read as Anthropic's in-band errors are, its words about the account (organisation, AWS) kept for the log.
        yield told(errorFromClaudeChunk(json, providerId));
        return;
      }
      if (type === 'message_stop') stopped = true;
      yield { name: type, data: json, event: event.event };
    }
  } catch (err) {
    if (!(err instanceof EventStreamFormatError) && !(err instanceof SyntaxError)) throw err;
    yield told(brokenStreamError(providerId, err));
    return;
  }
  if (!stopped) yield told(streamEndedError(providerId));
}

/** The gateway's `event: error` for a failure: its message to the client; the failure itself, its detail the log's, for the books. */
function told(error: GatewayError): BedrockAnthropicEvent {
  return { name: 'error', data: JSON.stringify(anthropicErrorBody(error)), error };
}

/**
 * One event as SSE text. Claude's JSON may hold line ends in its whitespace (never in its strings,
 * or it would not have parsed), and SSE ends a `data:` line at each: a line of JSON a `data:`
 * line, which the client's parser joins again with `\n` into JSON that parses to the same event.
 * `name` is written as it is: `bedrockAnthropicStreamEvents` gives only names that fit one line.
 *
 * @example
 * sseText({ name: 'ping', data: '{"type":"ping"}' })    // 'event: ping\ndata: {"type":"ping"}\n\n'
 * sseText({ name: 'ping', data: '{\r\n"type":"ping"}' }) // 'event: ping\ndata: {\ndata: "type":"ping"}\n\n'
 */
export function sseText({ name, data }: BedrockAnthropicEvent): string {
  // Compact JSON (all Bedrock sends) has no line end: written as it came, without the reframing's copies (~0.2–0.3 µs an event more, measured on the loaded 2-core machine).
  if (!data.includes('\n') && !data.includes('\r')) return `event: ${name}\ndata: ${data}\n\n`;
  return sseReframed(data.replace(/\r\n?/g, '\n'), name);
}
