/**
 * Two-account pools (`startFakePool`) of the providers several suites call the same way: each
 * account its own fake, one model routed to the pool, sticky routing off (so the first account
 * asked is drawn at random, as `firstCallGets` expects).
 */
import { defaultReply as defaultClaudeReply, startFakeAnthropic, type FakeAnthropic, type Reply as AnthropicReply } from '../fakes/anthropic';
import { defaultReply as defaultBedrockReply, startFakeBedrock, type FakeBedrock, type Reply as BedrockReply } from '../fakes/bedrock';
import { defaultGeminiReply, startFakeGemini, type FakeGemini, type GeminiReply } from '../fakes/gemini';
import { startFakeGoogleOAuth, testServiceAccount } from '../fakes/google-oauth';
import { defaultReply as defaultOpenAIReply, startFakeOpenAI, type FakeOpenAI, type Reply as OpenAIReply } from '../fakes/openai';
import { defaultVertexReply, startFakeVertex, type FakeVertex, type VertexReply } from '../fakes/vertex';
import { poolAccounts, startFakePool, type FakePool } from './fake-pool';

/** The gateway's own clock, readings or logger, for a suite that looks at them (`startFakePool`'s `gateway`). */
type PoolGateway = Parameters<typeof startFakePool>[0]['gateway'];

/**
 * Provider `vllm` (OpenAI-compatible, so its streams are passed through) of two accounts, serving `llama`.
 *
 * @example
 * const pool = await startVllmPool('partial-openai');
 */
export function startVllmPool(keyName: string, gateway?: PoolGateway): Promise<FakePool<FakeOpenAI, OpenAIReply>> {
  return startFakePool({
    start: () => startFakeOpenAI(),
    provider: (fakes) => ({ id: 'vllm', type: 'openai-compatible', baseUrl: fakes.one.url, accounts: poolAccounts(fakes, { apiKey: { env: 'VLLM_KEY' } }) }),
    config: { models: [{ name: 'llama', targets: [{ provider: 'vllm', model: 'llama-3.3-70b' }] }], routing: { sticky: false } },
    credentials: { VLLM_KEY: 'sk-up' },
    usual: defaultOpenAIReply,
    keyName,
    ...(gateway ? { gateway } : {}),
  });
}

/**
 * Provider `claude` (Anthropic) of two accounts, serving `claude-sonnet-4-6`.
 *
 * @example
 * const pool = await startClaudePool('partial-anthropic');
 */
export function startClaudePool(keyName: string, gateway?: PoolGateway): Promise<FakePool<FakeAnthropic, AnthropicReply>> {
  return startFakePool({
    start: () => startFakeAnthropic(),
    provider: (fakes) => ({ id: 'claude', type: 'anthropic', accounts: poolAccounts(fakes, { apiKey: { env: 'ANT_KEY' } }) }),
    config: { models: [{ name: 'claude-sonnet-4-6', targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] }], routing: { sticky: false } },
    credentials: { ANT_KEY: 'sk-ant-up' },
    usual: defaultClaudeReply,
    keyName,
    ...(gateway ? { gateway } : {}),
  });
}

/**
 * Provider `oai` (OpenAI, whose Responses API is passed through) of two accounts, serving `gpt-4.1`.
 *
 * @example
 * const pool = await startOpenAIPool('partial-responses');
 */
export function startOpenAIPool(keyName: string, gateway?: PoolGateway): Promise<FakePool<FakeOpenAI, OpenAIReply>> {
  return startFakePool({
    start: () => startFakeOpenAI(),
    provider: (fakes) => ({ id: 'oai', type: 'openai', baseUrl: fakes.one.url, accounts: poolAccounts(fakes, { apiKey: { env: 'OAI_KEY' } }) }),
    config: { models: [{ name: 'gpt-4.1', targets: [{ provider: 'oai', model: 'gpt-4.1' }] }], routing: { sticky: false } },
    credentials: { OAI_KEY: 'sk-oai' },
    usual: defaultOpenAIReply,
    keyName,
    ...(gateway ? { gateway } : {}),
  });
}

/** The model name a Bedrock pool serves: Claude 3.5 Sonnet on provider `aws`. */
export const BEDROCK_CLAUDE = 'claude-on-bedrock';

/**
 * Provider `aws` (Bedrock, us-east-1) of two accounts with one pair of access keys, serving
 * `BEDROCK_CLAUDE`.
 *
 * @example
 * const pool = await startBedrockPool('early-error-bedrock');
 */
export function startBedrockPool(keyName: string, gateway?: PoolGateway): Promise<FakePool<FakeBedrock, BedrockReply>> {
  const aws = { accessKeyId: 'AKIDPOOLTEST', secretAccessKey: 'pool-test-secret', region: 'us-east-1' };
  return startFakePool({
    start: () => startFakeBedrock(aws),
    provider: (fakes) => ({ id: 'aws', type: 'bedrock', region: aws.region, accounts: poolAccounts(fakes, { awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }) }),
    config: { models: [{ name: BEDROCK_CLAUDE, targets: [{ provider: 'aws', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0' }] }], routing: { sticky: false } },
    credentials: { AWS_ID: aws.accessKeyId, AWS_SECRET: aws.secretAccessKey },
    usual: defaultBedrockReply,
    keyName,
    ...(gateway ? { gateway } : {}),
  });
}

/**
 * Provider `google` (the Gemini API) of two accounts with one API key, serving `gemini-2.5-flash`.
 *
 * @example
 * const pool = await startGeminiPool('early-error-gemini');
 */
export function startGeminiPool(keyName: string, gateway?: PoolGateway): Promise<FakePool<FakeGemini, GeminiReply>> {
  return startFakePool({
    start: () => startFakeGemini({ apiKey: 'gemini-key' }),
    provider: (fakes) => ({ id: 'google', type: 'gemini', accounts: poolAccounts(fakes, { apiKey: { env: 'GEMINI_KEY' } }) }),
    config: { models: [{ name: 'gemini-2.5-flash', targets: [{ provider: 'google', model: 'gemini-2.5-flash' }] }], routing: { sticky: false } },
    credentials: { GEMINI_KEY: 'gemini-key' },
    usual: defaultGeminiReply,
    keyName,
    ...(gateway ? { gateway } : {}),
  });
}

/** The Google Cloud project of the Vertex pool (`startVertexPool`). */
export const VERTEX_PROJECT = 'aigw-prod-4821';

/**
 * Provider `vertex` (Vertex AI, us-east5) of two accounts with one service account, serving
 * `gemini-2.5-flash`; the fakes take the tokens of one fake Google OAuth, closed with the pool.
 *
 * @example
 * const pool = await startVertexPool('early-error-vertex');
 */
export async function startVertexPool(keyName: string, gateway?: PoolGateway): Promise<FakePool<FakeVertex, VertexReply>> {
  const sa = testServiceAccount(`aigw-gateway@${VERTEX_PROJECT}.iam.gserviceaccount.com`);
  const google = await startFakeGoogleOAuth({ accounts: [sa] });
  const pool = await startFakePool({
    start: () => startFakeVertex({ oauth: google, grants: { [VERTEX_PROJECT]: [sa.clientEmail] } }),
    provider: (fakes) => ({ id: 'vertex', type: 'vertex', project: VERTEX_PROJECT, region: 'us-east5', accounts: poolAccounts(fakes, { serviceAccount: { env: 'SA' } }) }),
    config: { models: [{ name: 'gemini-2.5-flash', targets: [{ provider: 'vertex', model: 'gemini-2.5-flash' }] }], routing: { sticky: false } },
    credentials: { SA: sa.keyJson(google.tokenUri) },
    usual: defaultVertexReply,
    keyName,
    ...(gateway ? { gateway } : {}),
  });
  return {
    ...pool,
    async close() {
      await pool.close();
      await google.close();
    },
  };
}
