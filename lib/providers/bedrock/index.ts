/**
 * AWS Bedrock through the Converse API, signed with SigV4 and sent by the gateway's own HTTP/1.1
 * client; plus the Anthropic Messages passthrough on InvokeModel for Claude.
 */
import type { ChatRequest } from '../../canonical/types';
import type { CallContext, ProviderAdapter } from '../types';
import type { UpstreamRequest } from '../../upstream/http';
import { defaultChainCredentials, type BedrockCredentialSource } from './credentials';
import { errorFromBedrock } from './errors';
import { continuingPrefill, continuingPrefillStream } from '../anthropic/prefill-continuation';
import { trimmedPrefillWhitespace } from '../anthropic/prefill';
import { modelFamily, toConverseBody } from './request';
import { parseConverseResponse } from './response';
import { bedrockModelUrl, bedrockTarget, signedBedrockPost } from './sign';
import { parseConverseStream } from './stream';

export { bedrockAnthropicPassthroughRequest, bedrockAnthropicStreamEvents, bedrockAnthropicStreamToSse, BEDROCK_ANTHROPIC_BETAS, sseText as bedrockSseText, splitBedrockBetas, type BedrockAnthropicEvent, type BedrockAnthropicPassthrough } from './anthropic';
export { configuredBedrockCredentials, defaultChainCredentials, type BedrockCredentialScope, type BedrockCredentialSource } from './credentials';
export { bedrockAgentRuntimeTarget, bedrockModelUrl, bedrockTarget, signedBedrockPost, type AwsCredentialIdentity, type BedrockTarget } from './sign';
export { bedrockEmbeddingBodies, bedrockEmbeddingFamily, decodeBedrockEmbeddings, type BedrockEmbedded, type BedrockEmbeddingFamily } from './embeddings';
export { BEDROCK_RERANK_MAX_DOCUMENTS, BEDROCK_RERANK_MAX_TEXT, bedrockRerankBody, bedrockRerankFamily, bedrockRerankModelArn, decodeBedrockRerank, isBedrockRerankModel, type BedrockRerankFamily, type BedrockRerankPage } from './rerank';
export { toConverseBody } from './request';

export interface BedrockProviderOptions {
  /** Where each account's AWS credentials come from; the SDK's default chain (the Lambda role) by default. */
  credentials?: BedrockCredentialSource;
  /** The signing clock (tests pin it). */
  now?: () => Date;
}

/**
 * The Bedrock adapter. Credentials do not fit `CallContext.apiKey`, so they come from a source
 * given here, asked once per call with the provider and account.
 *
 * @example
 * const bedrock = createBedrockProvider({ credentials: configuredBedrockCredentials((ref) => deps.credentials.resolve(ref)) });
 */
export function createBedrockProvider(options: BedrockProviderOptions = {}): ProviderAdapter {
  const credentials = options.credentials ?? defaultChainCredentials();
  const now = options.now ?? (() => new Date());
  return {
    dialect: 'bedrock',
    async buildRequest(req: ChatRequest, call: CallContext): Promise<UpstreamRequest> {
      // Translate first: a request Bedrock cannot take is refused before any credential lookup.
      const body = JSON.stringify(toConverseBody(req, call.onPolicyDeclined, call.onStopEmulated, call.onParamDropped));
      const { endpoint, region } = bedrockTarget(call.provider, call.account);
      const url = bedrockModelUrl(endpoint, req.model, req.stream ? 'converse-stream' : 'converse');
      const headers = {
        ...call.account.headers,
        'content-type': 'application/json',
        accept: req.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      };
      const identity = await credentials({ provider: call.provider, account: call.account });
      return signedBedrockPost({ url, headers, body, region, credentials: identity, timeouts: call.timeouts, signal: call.signal, signingDate: now() });
    },
    parseResponse: (body, req) => continuingPrefill(parseConverseResponse(body, req), prefillWhitespace(req)),
    parseStream: (body, req, providerId) => continuingPrefillStream(parseConverseStream(body, req, providerId), prefillWhitespace(req)),
    parseError: errorFromBedrock,
  };
}

/** The whitespace `toConverseBody` left off a Claude prefill, which the answer must not repeat (`prefill-continuation.ts`). */
function prefillWhitespace(req: ChatRequest): string {
  // The cheap check first: most requests end with the user's turn.
  const whitespace = trimmedPrefillWhitespace(req.messages);
  return whitespace !== '' && modelFamily(req.model) === 'anthropic' ? whitespace : '';
}

/** The adapter with the default credential chain, loaded on first use. */
export const bedrockProvider: ProviderAdapter = createBedrockProvider();
