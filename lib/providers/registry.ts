import type { ProviderConfig } from '../config/schema';
import { describeRef, type Credentials } from '../credentials/credentials';
import type { GatewayLogger } from '../observe/logger';
import { silentLogger } from '../observe/logger';
import type { UpstreamClient } from '../upstream/http';
import { anthropicProvider } from './anthropic';
import { azureOpenAIProvider } from './azure-openai';
import { entraTokenFetcher } from './azure-openai/entra-token';
import { EntraTokens } from './azure-openai/entra-tokens';
import { configuredBedrockCredentials, createBedrockProvider, defaultChainCredentials, type BedrockCredentialSource } from './bedrock';
import { AssumedRoles } from './bedrock/assume-role';
import { geminiProvider } from './gemini';
import { openAIProvider } from './openai';
import type { ProviderAdapter } from './types';
import { googleTokenFetcher, vertexProvider, VertexTokens } from './vertex';

export interface ProviderRegistry {
  adapter(type: ProviderConfig['type']): ProviderAdapter;
  /** AWS credentials for Bedrock calls (an account's configured keys, else the Lambda role). */
  bedrockCredentials: BedrockCredentialSource;
  /** The roles Bedrock accounts assume, held until they near expiry or Bedrock refuses them. */
  assumedRoles: AssumedRoles;
  /** Entra ID access tokens for Azure OpenAI accounts that sign in with a service principal. */
  entraTokens: EntraTokens;
  /** Google access tokens for Vertex AI accounts, per service account key. */
  vertexTokens: VertexTokens;
}

/**
 * The adapter for each provider type, built once per gateway; token requests go out through
 * `upstream`. `now` (epoch ms, the gateway's clock) says when a cached Entra ID or Google token is
 * due for renewal; the assertions sent for one are signed by the wall clock, which Google checks.
 */
export function createProviderRegistry(credentials: Credentials, upstream: Pick<UpstreamClient, 'send'>, logger: GatewayLogger = silentLogger, now: () => number = Date.now): ProviderRegistry {
  const assumedRoles = new AssumedRoles();
  const bedrockCredentials = configuredBedrockCredentials((ref) => credentials.resolve(ref), defaultChainCredentials(), assumedRoles);
  const adapters: Record<ProviderConfig['type'], ProviderAdapter> = {
    openai: openAIProvider,
    'openai-compatible': openAIProvider,
    'azure-openai': azureOpenAIProvider,
    anthropic: anthropicProvider,
    gemini: geminiProvider,
    bedrock: createBedrockProvider({ credentials: bedrockCredentials }),
    vertex: vertexProvider,
  };
  const entraTokens = new EntraTokens({
    fetchToken: entraTokenFetcher(upstream),
    resolveSecret: (ref) => credentials.resolve(ref),
    refreshSecret: (ref) => credentials.refresh(ref),
    onRefreshFailed: (entra, err) => logger.warn('Entra ID token refresh failed', { tenantId: entra.tenantId, clientId: entra.clientId, error: (err as Error).message }),
    now,
  });
  const vertexTokens = new VertexTokens({
    fetchToken: googleTokenFetcher(upstream),
    resolveKey: (ref) => credentials.resolve(ref),
    refreshKey: (ref) => credentials.refresh(ref),
    // The reference names where the key lives (a secret's name, a file), never the key.
    onRefreshFailed: (ref, err) => logger.warn('Vertex AI token refresh failed', { serviceAccount: describeRef(ref), error: (err as Error).message }),
    now,
  });
  return { adapter: (type) => adapters[type], bedrockCredentials, assumedRoles, entraTokens, vertexTokens };
}
