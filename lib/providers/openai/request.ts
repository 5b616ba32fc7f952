import type { AccountConfig, ProviderConfig } from '../../config/schema';
import { jsonPost, type UpstreamRequest } from '../../upstream/http';

export interface OpenAIChatCall {
  provider: ProviderConfig;
  account: AccountConfig;
  apiKey: string | undefined;
  /** The upstream model id. */
  model: string;
  /** The client's body, as parsed; unknown fields pass through. */
  body: Record<string, unknown>;
  stream: boolean;
  /** With the provider's overrides applied. */
  timeouts: { headersMs: number; idleMs: number };
  signal?: AbortSignal;
}

/**
 * The upstream request for an OpenAI-dialect provider. The body is the client's, with only the
 * model swapped for the upstream id and, on streams, usage asked for (the gateway meters every stream).
 */
export function openAIChatRequest(call: OpenAIChatCall): UpstreamRequest {
  const body: Record<string, unknown> = { ...call.body, model: call.model };
  if (call.stream) {
    const options = call.body.stream_options;
    body.stream_options = { ...(typeof options === 'object' && options !== null ? options : {}), include_usage: true };
  }
  return jsonPost(`${baseUrlOf(call).replace(/\/+$/, '')}/chat/completions`, JSON.stringify(body), {
    stream: call.stream,
    accountHeaders: call.account.headers,
    ...(call.apiKey ? { auth: { authorization: `Bearer ${call.apiKey}` } } : {}),
    timeouts: call.timeouts,
    signal: call.signal,
  });
}

function baseUrlOf({ account, provider }: OpenAIChatCall): string {
  const url = account.baseUrl ?? ('baseUrl' in provider ? provider.baseUrl : undefined);
  if (!url) throw new Error(`provider ${provider.id} has no base URL`);
  return url;
}
