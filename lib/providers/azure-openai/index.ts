import { errorFromOpenAIUpstream } from '../openai/errors';
import { openAIDialectRequest } from '../openai/index';
import { openAIBodyOptions, toOpenAIChatBody, withinStopLimit } from '../openai/translate-request';
import { fromOpenAIChatCompletion } from '../openai/translate-response';
import { openAIStreamEvents } from '../openai/translate-stream';
import type { ProviderAdapter } from '../types';
import { azureAuthHeaders, azureChatTarget } from './request';

export { azureChatTarget, azureOperationTarget, azurePassthroughRequest, azureResponsesRequest, type AzureTarget } from './request';

/**
 * Azure OpenAI when the gateway translates: the OpenAI body (with `max_completion_tokens`, which
 * Azure's o-series deployments require; mended by `CallContext.mend` for what the deployment's
 * model refuses), Azure's addressing and its auth (`api-key`, or an Entra ID token). Azure's extra
 * stream chunks (prompt filter results, annotations without a delta) are skipped by the OpenAI
 * stream decoder; `finish_reason: content_filter` maps to `content_filter`; a filtered prompt is
 * Azure's 400 with `code: content_filter`, which keeps its status and code.
 *
 * @example
 * const upstreamReq = azureOpenAIProvider.buildRequest({ ...req, model: 'my-gpt4o-deployment' }, call);
 */
export const azureOpenAIProvider: ProviderAdapter = {
  dialect: 'openai',
  buildRequest(req, call) {
    const target = azureChatTarget(call, req.model);
    const options = openAIBodyOptions('azure-openai', { includeModel: target.modelInBody });
    const written = toOpenAIChatBody(req, options);
    const body = withinStopLimit(call.mend ? call.mend(written) : written, options);
    return openAIDialectRequest(call, target.url, azureAuthHeaders(call), body, req.stream);
  },
  parseResponse: fromOpenAIChatCompletion,
  parseStream: openAIStreamEvents,
  parseError: errorFromOpenAIUpstream,
};
