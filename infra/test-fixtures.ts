import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatewayApp } from './gateway-app';

/** Skips esbuild: these tests are about the template, and bundling takes seconds per function. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export const IMPORTED_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/openai';

/** Two accounts the stack makes secrets for, one imported by ARN, one by name, one with no key. */
export const FIXTURE_CONFIG = {
  providers: [
    {
      id: 'openai',
      type: 'openai',
      accounts: [
        { id: 'main', apiKey: { env: 'OPENAI_API_KEY' } },
        { id: 'backup', apiKey: { file: 'keys.json', field: 'openai' } },
        { id: 'team', apiKey: { secret: IMPORTED_ARN } },
      ],
    },
    {
      id: 'vllm',
      type: 'openai-compatible',
      baseUrl: 'https://vllm.example.com/v1',
      accounts: [{ id: 'shared', apiKey: { secret: 'shared/vllm', field: 'token' } }, { id: 'open' }],
    },
  ],
  models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
};

/** Writes `config` as JSON into a fresh temporary directory and returns the file's path. */
export function writeConfig(config: unknown, name = 'gateway.config.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-infra-'));
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

/** The gateway app for `config`, isolated from this machine's env and working directory. */
export function fixtureApp(config: unknown = FIXTURE_CONFIG, context: Record<string, unknown> = {}) {
  return createGatewayApp({ context: { ...SKIP_BUNDLING, config: writeConfig(config), ...context }, env: {}, cwd: tmpdir() });
}

export const APP_PROFILE_ARN = 'arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3d4e5f6';

/**
 * Bedrock beside OpenAI: account `role` signs with the Lambda role (us-east-1, the provider's
 * Region), account `static` with an access key from env vars (eu-west-1). One model is a
 * foundation model, one a cross-Region profile, one an application inference profile, and one is
 * pinned to the static account, so it asks nothing of the role.
 */
export const BEDROCK_CONFIG = {
  providers: [
    { id: 'openai', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] },
    {
      id: 'bedrock',
      type: 'bedrock',
      region: 'us-east-1',
      accounts: [
        { id: 'role' },
        { id: 'static', region: 'eu-west-1', awsCredentials: { accessKeyId: { env: 'AWS_KEY_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } },
      ],
    },
  ],
  models: [
    { name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
    { name: 'nova-pro', targets: [{ provider: 'bedrock', model: 'amazon.nova-pro-v1:0', accounts: ['role'] }] },
    { name: 'claude-sonnet-4', targets: [{ provider: 'bedrock', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }] },
    { name: 'claude-app', targets: [{ provider: 'bedrock', model: APP_PROFILE_ARN }] },
    { name: 'llama-eu', targets: [{ provider: 'bedrock', model: 'meta.llama3-70b-instruct-v1:0', accounts: ['static'] }] },
  ],
};

export const POOL_ROLE_ARNS = ['arn:aws:iam::111111111111:role/aigw-bedrock', 'arn:aws:iam::222222222222:role/gateways/aigw-bedrock'] as const;
export const KEYED_ROLE_ARN = 'arn:aws:iam::333333333333:role/aigw-bedrock';

/**
 * Bedrock across AWS accounts: a pool whose accounts assume a role each with the Lambda role (one
 * the provider's default, one its own with an external id), a third pool account that assumes the
 * provider's role too, and an account that assumes its role with an access key of its own.
 */
export const CROSS_ACCOUNT_CONFIG = {
  providers: [
    {
      id: 'pool',
      type: 'bedrock',
      region: 'us-east-1',
      assumeRole: { roleArn: POOL_ROLE_ARNS[0] },
      accounts: [
        { id: 'pool-1' },
        { id: 'pool-2', region: 'us-west-2', assumeRole: { roleArn: POOL_ROLE_ARNS[1], externalId: 'aigw-tenant-2' } },
        { id: 'pool-3', region: 'eu-west-1' },
      ],
    },
    {
      id: 'keyed',
      type: 'bedrock',
      region: 'us-east-1',
      accounts: [{ id: 'user', awsCredentials: { accessKeyId: { env: 'AWS_KEY_ID' }, secretAccessKey: { env: 'AWS_SECRET' } }, assumeRole: { roleArn: KEYED_ROLE_ARN } }],
    },
  ],
  models: [{ name: 'claude-sonnet-4', targets: [{ provider: 'pool', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }, { provider: 'keyed', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }] }],
};

/**
 * Bedrock rerank: Cohere's model on the role-signed account, Amazon's pinned to an account with
 * its own access key (nothing of the role), and a chat model beside them.
 */
export const BEDROCK_RERANK_CONFIG = {
  providers: [
    {
      id: 'bedrock',
      type: 'bedrock',
      region: 'us-west-2',
      accounts: [{ id: 'role' }, { id: 'static', awsCredentials: { accessKeyId: { env: 'AWS_KEY_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }],
    },
  ],
  models: [
    { name: 'rerank-v3.5', price: { perRequest: 0.002 }, targets: [{ provider: 'bedrock', model: 'cohere.rerank-v3-5:0', accounts: ['role'] }] },
    { name: 'amazon-rerank', price: { perRequest: 0.001 }, targets: [{ provider: 'bedrock', model: 'amazon.rerank-v1:0', accounts: ['static'] }] },
    { name: 'nova-pro', targets: [{ provider: 'bedrock', model: 'amazon.nova-pro-v1:0', accounts: ['role'] }] },
  ],
};
