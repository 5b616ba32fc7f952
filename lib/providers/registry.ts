import type { ProviderConfig } from '../config/schema';
import type { Credentials } from '../credentials/credentials';
import { anthropicProvider } from './anthropic';
import { azureOpenAIProvider } from './azure-openai';
import { configuredBedrockCredentials, createBedrockProvider, type BedrockCredentialSource } from './bedrock';
import { geminiProvider } from './gemini';
import { openAIProvider } from './openai';
import type { ProviderAdapter } from './types';

export interface ProviderRegistry {
  adapter(type: ProviderConfig['type']): ProviderAdapter;
  /** AWS credentials for Bedrock calls (an account's configured keys, else the Lambda role). */
  bedrockCredentials: BedrockCredentialSource;
}

/** The adapter for each provider type, built once per gateway. */
export function createProviderRegistry(credentials: Credentials): ProviderRegistry {
  const bedrockCredentials = configuredBedrockCredentials((ref) => credentials.resolve(ref));
  const adapters: Record<ProviderConfig['type'], ProviderAdapter> = {
    openai: openAIProvider,
    'openai-compatible': openAIProvider,
    'azure-openai': azureOpenAIProvider,
    anthropic: anthropicProvider,
    gemini: geminiProvider,
    bedrock: createBedrockProvider({ credentials: bedrockCredentials }),
  };
  return { adapter: (type) => adapters[type], bedrockCredentials };
}
