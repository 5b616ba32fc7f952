/**
 * Addressing Azure OpenAI: the resource URL comes from the account (each account may be its own
 * resource) or the provider; with an `apiVersion` the classic deployments path is used (the
 * deployment, which is the target's `model`, goes in the URL and not in the body), without one
 * the versionless `/openai/v1/` path (the deployment goes in the body as `model`). Azure takes
 * its key in `api-key`; an account that signs in with Entra ID sends its access token as
 * `Authorization: Bearer` instead (the call's `apiKey` is then that token, see `apiKeyFor`).
 */
import { operationRequest, responsesPassthroughBody, type OpenAIChatCall, type OpenAIOperation, type OperationTarget } from '../openai/request';
import { entraOf } from '../../config/schema';
import { jsonPost, type UpstreamRequest } from '../../upstream/http';

export interface AzureTarget {
  /** The request URL. */
  url: string;
  /** Whether the body names the deployment as `model` (the v1 path) or not (the deployments path). */
  modelInBody: boolean;
}

type AzureCallTarget = { provider: { id: string }; account: { baseUrl?: string | undefined } };

/** The chat completions URL of a resource for one deployment. */
export function azureChatTarget(call: AzureCallTarget, deployment: string): AzureTarget {
  return azureTarget(call, deployment, 'chat/completions');
}

/** The resource URL of an account (else the provider), without a trailing `/openai(/v1)`. */
function azureResource(call: AzureCallTarget): string {
  const provider: { id: string; baseUrl?: unknown } = call.provider;
  const base = call.account.baseUrl ?? (typeof provider.baseUrl === 'string' ? provider.baseUrl : undefined);
  if (!base) throw new Error(`provider ${provider.id} has no resource URL`);
  // The resource is documented as https://NAME.openai.azure.com; a pasted endpoint with /openai(/v1) works too.
  return base.replace(/\/+$/, '').replace(/\/openai(\/v1)?$/, '');
}

/** The URL of an operation (chat completions, completions, embeddings, images, audio, moderations) of a resource for one deployment. */
function azureTarget(call: AzureCallTarget, deployment: string, operation: OpenAIOperation): AzureTarget {
  const provider: { id: string; apiVersion?: unknown } = call.provider;
  const resource = azureResource(call);
  const apiVersion = typeof provider.apiVersion === 'string' && provider.apiVersion ? provider.apiVersion : undefined;
  if (!apiVersion) return { url: `${resource}/openai/v1/${operation}`, modelInBody: true };
  return {
    url: `${resource}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(apiVersion)}`,
    modelInBody: false,
  };
}

/**
 * The auth header of every Azure call: `api-key`, or for an account with Entra ID the access
 * token as a Bearer token. Which one is the config's to say, never the secret's shape.
 *
 * @example
 * azureAuthHeaders({ provider, account: { id: 'a', apiKey: { env: 'K' } }, apiKey: 'k1' }) // { 'api-key': 'k1' }
 * azureAuthHeaders({ provider, account: { id: 'b', entra }, apiKey: 'eyJ0…' }) // { authorization: 'Bearer eyJ0…' }
 */
export function azureAuthHeaders(call: { provider: object; account: object; apiKey: string | undefined }): Record<string, string> {
  if (!call.apiKey) return {};
  return entraOf(call.provider, call.account) ? { authorization: `Bearer ${call.apiKey}` } : { 'api-key': call.apiKey };
}

/**
 * The upstream request for an OpenAI client's body passed through to Azure (the same-dialect
 * path, like `openAIChatRequest`): the body is the client's, with `model` set to the deployment
 * on the v1 path or removed on the deployments path, and usage asked for on streams.
 *
 * @example
 * const upstreamReq = azurePassthroughRequest({ provider, account, apiKey, model: 'my-gpt4o', body, stream: true, timeouts });
 */
export function azurePassthroughRequest(call: OpenAIChatCall): UpstreamRequest {
  return operationRequest(call, azureOperationTarget(call, 'chat/completions'));
}

/**
 * Where an operation of a deployment goes on Azure, with its auth header: the deployments path
 * with an `apiVersion` (`…/openai/deployments/{d}/images/generations?api-version=…`), else the v1 path.
 */
export function azureOperationTarget(call: OpenAIChatCall, operation: OpenAIOperation): OperationTarget {
  return { ...azureTarget(call, call.model, operation), auth: azureAuthHeaders(call) };
}

/**
 * A Responses API body passed through to Azure. Azure serves the Responses API only on its
 * versionless `/openai/v1/responses` path (there is no deployments path for it), with the
 * deployment as `model` in the body; so the provider's `apiVersion`, which addresses chat
 * deployments, does not apply here.
 */
export function azureResponsesRequest(call: OpenAIChatCall): UpstreamRequest {
  return jsonPost(`${azureResource(call)}/openai/v1/responses`, responsesPassthroughBody(call, call.model), {
    stream: call.stream,
    accountHeaders: call.account.headers,
    auth: azureAuthHeaders(call),
    timeouts: call.timeouts,
    signal: call.signal,
  });
}
