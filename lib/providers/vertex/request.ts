/**
 * Vertex AI's addressing: which publisher serves a model, the regional host, and the bodies that
 * differ from the publishers' own APIs (Claude's names no model and carries its version inside).
 */
import { jsonPost, type UpstreamRequest, type UpstreamTimeouts } from '../../upstream/http';
import { splitBedrockBetas } from '../bedrock/anthropic';

/** Whose model it is: Anthropic's (Claude, `rawPredict`) or Google's (Gemini, `generateContent`). */
export type VertexPublisher = 'anthropic' | 'google';

/** The `anthropic_version` Claude on Vertex requires in the body (instead of the header). */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * The publisher of a Vertex model id: Claude's ids (`claude-sonnet-4-5@20250929`) are
 * Anthropic's, every other id Google's (`gemini-2.5-pro`).
 *
 * @example
 * vertexPublisher('claude-opus-4-1@20250805') // 'anthropic'
 * vertexPublisher('gemini-2.5-flash') // 'google'
 */
export function vertexPublisher(model: string): VertexPublisher {
  return /^claude-/i.test(model) ? 'anthropic' : 'google';
}

/** Where one account's calls go. */
export interface VertexTarget {
  /** Origin, no trailing slash: `https://us-east5-aiplatform.googleapis.com`, or the configured `baseUrl`. */
  base: string;
  project: string;
  region: string;
}

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The host of a region: `{region}-aiplatform.googleapis.com`, `aiplatform.googleapis.com` for
 * the `global` endpoint, and for the `us` and `eu` multi-regions their representative endpoints
 * `aiplatform.{us,eu}.rep.googleapis.com` (`us-aiplatform.googleapis.com` does not exist). The
 * path names the location (`locations/us`) in every case.
 *
 * @example
 * vertexHost('europe-west1') // 'https://europe-west1-aiplatform.googleapis.com'
 * vertexHost('global') // 'https://aiplatform.googleapis.com'
 * vertexHost('eu') // 'https://aiplatform.eu.rep.googleapis.com'
 */
export function vertexHost(region: string): string {
  if (region === 'global') return 'https://aiplatform.googleapis.com';
  if (region === 'us' || region === 'eu') return `https://aiplatform.${region}.rep.googleapis.com`;
  return `https://${region}-aiplatform.googleapis.com`;
}

/**
 * An account's project, region and host: the account's values win over the provider's, a
 * `baseUrl` (the account's, else the provider's) over the region's host.
 */
export function vertexTarget(provider: object, account: object): VertexTarget {
  const p = provider as Record<string, unknown>;
  const a = account as Record<string, unknown>;
  const project = str(a.project) ?? str(p.project);
  const region = str(a.region) ?? str(p.region);
  // The schema requires both (here or on the provider); a config that skipped it is a bug, not a call to make.
  if (!project || !region) throw new Error(`Vertex AI provider "${String(p.id)}" account "${String(a.id)}" has no ${project ? 'region' : 'project'}`);
  return { base: (str(a.baseUrl) ?? str(p.baseUrl) ?? vertexHost(region)).replace(/\/+$/, ''), project, region };
}

/**
 * A publisher model's method URL. `@` stays as it is in Claude's versioned ids, as Google's and
 * Anthropic's clients send it.
 *
 * @example
 * vertexModelUrl({ base: 'https://us-east5-aiplatform.googleapis.com', project: 'p', region: 'us-east5' }, 'anthropic', 'claude-sonnet-4-5@20250929', 'rawPredict')
 * // 'https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict'
 */
export function vertexModelUrl(target: VertexTarget, publisher: VertexPublisher, model: string, method: string): string {
  const id = encodeURIComponent(model).replaceAll('%40', '@');
  return `${target.base}/v1/projects/${encodeURIComponent(target.project)}/locations/${encodeURIComponent(target.region)}/publishers/${publisher}/models/${id}:${method}`;
}

/** Claude's method: `streamRawPredict` for streams, else `rawPredict`. */
export const claudeMethod = (stream: boolean) => (stream ? 'streamRawPredict' : 'rawPredict');
/** Gemini's method: SSE for streams (`alt=sse`), as the Gemini API streams; the JSON array without it, for clients that ask for that. */
export const geminiMethod = (stream: boolean, jsonArray = false) => (stream ? (jsonArray ? 'streamGenerateContent' : 'streamGenerateContent?alt=sse') : 'generateContent');

const VERSION_FIELD = Buffer.from(`{"anthropic_version":"${VERTEX_ANTHROPIC_VERSION}",`);

/**
 * An Anthropic Messages body as Vertex takes it: without `model` (the URL names it), with
 * Vertex's `anthropic_version`; everything else (stream, cache_control, thinking, fields newer
 * than this code) as it was. Given the client's bytes, and when they open with the model as
 * Claude Code's and Anthropic's SDK's do (`{"model":"…",`), the version takes the model's place
 * in them and the rest goes on as sent (one copy): a Claude Code body of 60–75 KB took 26–53 µs so,
 * against 110–130 µs to serialise it again (warm, the captures in test/fixtures/claude-code).
 *
 * @example
 * vertexClaudeBody({ model: 'claude-sonnet-4-5', max_tokens: 10, messages }) // '{"max_tokens":10,"messages":[…],"anthropic_version":"vertex-2023-10-16"}'
 */
export function vertexClaudeBody(body: Record<string, unknown>, raw?: Uint8Array): string | Uint8Array {
  if (raw && typeof body.model === 'string' && !('anthropic_version' in body)) {
    const opening = Buffer.from(`{"model":${JSON.stringify(body.model)},`);
    if (raw.length > opening.length && Buffer.from(raw.buffer, raw.byteOffset, opening.length).equals(opening)) {
      return Buffer.concat([VERSION_FIELD, raw.subarray(opening.length)]);
    }
  }
  const { model: _model, ...rest } = body;
  return JSON.stringify({ ...rest, anthropic_version: VERTEX_ANTHROPIC_VERSION });
}

/**
 * Beta flags Claude on Vertex accepts. Vertex answers 400 "Unexpected value(s) `…` for the
 * `anthropic-beta` header" to any other, and Claude Code behind a gateway sends several
 * (`claude-code-20250219`, `oauth-2025-04-20`, `prompt-caching-scope-…`), so the others are left
 * out unless the provider's `anthropicBetas` says otherwise.
 */
export const VERTEX_ANTHROPIC_BETAS: readonly string[] = [
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'computer-use-2025-11-24',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'interleaved-thinking-2025-05-14',
  'tool-search-tool-2025-10-19',
  'web-search-2025-03-05',
];

/**
 * The client's `anthropic-beta` as the header Vertex takes: only the allowed flags (by default
 * `VERTEX_ANTHROPIC_BETAS`), none when none is left.
 *
 * @example
 * vertexBetaHeader('claude-code-20250219,interleaved-thinking-2025-05-14') // { 'anthropic-beta': 'interleaved-thinking-2025-05-14' }
 */
export function vertexBetaHeader(header: string | string[] | undefined, allow: readonly string[] | 'all' = VERTEX_ANTHROPIC_BETAS): Record<string, string> {
  const { kept } = splitBedrockBetas(header, allow);
  return kept.length > 0 ? { 'anthropic-beta': kept.join(',') } : {};
}

/** The Bearer header of an access token (none without one: the upstream answers 401, the account's failure). */
export const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

export interface VertexPassthroughCall {
  target: VertexTarget;
  /** The upstream model id (the URL carries it). */
  model: string;
  token: string | undefined;
  stream: boolean;
  /** A Gemini stream as the JSON array (no `alt=sse`), as the client asked. */
  jsonArray?: boolean | undefined;
  accountHeaders?: Record<string, string> | undefined;
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal | undefined;
  /** The provider's `anthropicBetas`: which flags go to Claude (default `VERTEX_ANTHROPIC_BETAS`). */
  betas?: readonly string[] | 'all' | undefined;
}

/**
 * An Anthropic client's Messages body to Claude on Vertex: the body as `vertexClaudeBody` makes
 * it (from the client's bytes when it can), `anthropic-beta` forwarded as the header it came in (Vertex reads it there; Claude Code's
 * features depend on it), less the flags Vertex refuses. `anthropic-version` is in the body, so the client's header stays behind.
 *
 * @example
 * vertexClaudePassthroughRequest(body, req.headers, { target, model: 'claude-sonnet-4-5@20250929', token, stream: true, timeouts }, raw)
 */
export function vertexClaudePassthroughRequest(
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string | undefined>>,
  call: VertexPassthroughCall,
  raw?: Uint8Array,
): UpstreamRequest {
  return jsonPost(vertexModelUrl(call.target, 'anthropic', call.model, claudeMethod(call.stream)), vertexClaudeBody(body, raw), {
    stream: call.stream,
    accountHeaders: call.accountHeaders,
    auth: { ...vertexBetaHeader(headers['anthropic-beta'], call.betas), ...bearer(call.token) },
    timeouts: call.timeouts,
    signal: call.signal,
  });
}

/**
 * Claude's `count_tokens` on Vertex: one endpoint for every model (`count-tokens:rawPredict`), so
 * the body names the model.
 */
export function vertexClaudeCountTokensRequest(body: Record<string, unknown>, headers: Readonly<Record<string, string | undefined>>, call: Omit<VertexPassthroughCall, 'stream'>): UpstreamRequest {
  return jsonPost(vertexModelUrl(call.target, 'anthropic', 'count-tokens', 'rawPredict'), JSON.stringify({ ...body, model: call.model, anthropic_version: VERTEX_ANTHROPIC_VERSION }), {
    stream: false,
    accountHeaders: call.accountHeaders,
    auth: { ...vertexBetaHeader(headers['anthropic-beta'], call.betas), ...bearer(call.token) },
    timeouts: call.timeouts,
    signal: call.signal,
  });
}

/**
 * A Gemini client's body to Gemini on Vertex: its bytes as they came (a Gemini body names no
 * model), to the model's `generateContent` or `streamGenerateContent?alt=sse` (without `alt=sse`
 * for a client streaming the JSON array), or `countTokens`.
 */
export function vertexGeminiPassthroughRequest(raw: string | Uint8Array, call: VertexPassthroughCall, method?: 'countTokens'): UpstreamRequest {
  return jsonPost(vertexModelUrl(call.target, 'google', call.model, method ?? geminiMethod(call.stream, call.jsonArray)), raw, {
    stream: call.stream && !call.jsonArray,
    accountHeaders: call.accountHeaders,
    auth: bearer(call.token),
    timeouts: call.timeouts,
    signal: call.signal,
    jsonArray: call.stream && call.jsonArray === true,
  });
}
