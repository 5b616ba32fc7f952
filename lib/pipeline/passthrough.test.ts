import type { Attempt } from '../routing/attempts';
import type { ProviderRegistry } from '../providers/registry';
import { passthroughFor } from './passthrough';

const attempt = (type: string, model: string, extra: Record<string, unknown> = {}) => ({ provider: { id: 'p', type, ...extra }, account: { id: 'a', weight: 1 }, model }) as unknown as Attempt;
const registry = { bedrockCredentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) } as unknown as ProviderRegistry;

describe('passthroughFor', () => {
  it.each([
    ['openai', 'openai', 'gpt-4o', true],
    ['openai', 'openai-compatible', 'llama3', true],
    ['openai', 'azure-openai', 'my-deployment', true],
    ['openai', 'anthropic', 'claude-sonnet-4-5', false],
    ['openai', 'gemini', 'gemini-2.5-pro', false],
    ['openai', 'bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', false],
    ['anthropic', 'anthropic', 'claude-sonnet-4-5', true],
    ['anthropic', 'bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', true],
    ['anthropic', 'bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', true],
    ['anthropic', 'bedrock', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0', true],
    ['anthropic', 'bedrock', 'amazon.nova-pro-v1:0', false],
    ['anthropic', 'bedrock', 'meta.llama3-70b-instruct-v1:0', false],
    ['anthropic', 'openai', 'gpt-4o', false],
    ['anthropic', 'gemini', 'gemini-2.5-pro', false],
    ['gemini', 'gemini', 'gemini-2.5-pro', true],
    ['gemini', 'gemini', 'tunedModels/my-model', true],
    ['gemini', 'openai', 'gpt-4o', false],
    ['gemini', 'anthropic', 'claude-sonnet-4-5', false],
    ['gemini', 'azure-openai', 'my-deployment', false],
    ['gemini', 'bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', false],
    ['anthropic', 'vertex', 'claude-sonnet-4-5@20250929', true],
    ['anthropic', 'vertex', 'gemini-2.5-pro', false],
    ['gemini', 'vertex', 'gemini-2.5-pro', true],
    ['gemini', 'vertex', 'claude-sonnet-4-5@20250929', false],
    ['openai', 'vertex', 'claude-sonnet-4-5@20250929', false],
    ['openai', 'vertex', 'gemini-2.5-pro', false],
  ] as const)('a %s client to a %s target (%s) passes through: %s', (dialect, type, model, expected) => {
    expect(passthroughFor(dialect, attempt(type, model), registry) !== undefined).toBe(expected);
  });

  it.each([
    ['openai', {}, true],
    ['azure-openai', {}, true],
    ['openai-compatible', {}, false],
    ['openai-compatible', { responses: 'translate' }, false],
    ['openai-compatible', { responses: 'passthrough' }, true],
    ['anthropic', {}, false],
    ['gemini', {}, false],
    ['bedrock', {}, false],
    ['vertex', {}, false],
  ] as const)('a Responses client to a %s target %j passes through: %s', (type, extra, expected) => {
    expect(passthroughFor('openai-responses', attempt(type, 'm', extra), registry) !== undefined).toBe(expected);
  });
});
