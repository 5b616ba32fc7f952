import type { ApiKeyRecord } from '../access/api-key';
import { callerOf } from '../access/caller';
import type { TeamRecord } from '../access/team';
import { parseConfig } from '../config/load';
import { createProviderRegistry } from '../providers/registry';
import { Catalog } from '../routing/catalog';
import { silentLogger } from '../observe/logger';
import { createUpstreamClient } from '../upstream/http';
import { LocalCredentials } from '../credentials/local';
import { errorFromOpenAIUpstream } from '../providers/openai/errors';
import { conversationIdOf, conversationModel, givesNothingToMiss, keepsConversations, makesNoConversations } from './conversation-create';

const key = (models: string[], fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({ id: 'key_1', hash: 'h', name: 'k', prefix: 'sk-gw-abc', models, status: 'active', createdAt: '2026-01-01T00:00:00.000Z', ...fields });
const team = (models: string[]): TeamRecord => ({ id: 'team_1', name: 'platform', createdAt: '2026-01-01T00:00:00.000Z', models });

// Claude first in config order: a key's first model need not keep conversations.
const config = parseConfig({
  providers: [
    { id: 'ant', type: 'anthropic', accounts: [{ id: 'a', apiKey: { env: 'ANT' } }] },
    { id: 'oai', type: 'openai', accounts: [{ id: 'one', apiKey: { env: 'UP' } }, { id: 'two', apiKey: { env: 'UP' } }] },
    { id: 'az', type: 'azure-openai', baseUrl: 'https://east.openai.azure.com', accounts: [{ id: 'e', apiKey: { env: 'AZ' } }] },
    { id: 'vllm', type: 'openai-compatible', baseUrl: 'http://vllm:8000/v1', accounts: [{ id: 'v' }] },
    { id: 'vllm-store', type: 'openai-compatible', baseUrl: 'http://vllm:8001/v1', responses: 'passthrough', accounts: [{ id: 'v' }] },
  ],
  models: [
    { name: 'claude-sonnet-4-6', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
    { name: 'llama', targets: [{ provider: 'vllm', model: 'llama' }] },
    { name: 'gpt-4o-mini', aliases: ['mini'], targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
    { name: 'gpt-4.1', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }, { provider: 'az', model: 'gpt-41-deploy' }] },
    { name: 'qwen', targets: [{ provider: 'vllm-store', model: 'qwen' }] },
    { name: 'gpt-*', targets: [{ provider: 'oai', model: 'gpt-*' }] },
  ],
});
const catalog = new Catalog(config);
const registry = createProviderRegistry(new LocalCredentials({}), createUpstreamClient(), silentLogger);
const keeps = (target: Parameters<typeof keepsConversations>[0]) => keepsConversations(target, { providers: registry });

describe('conversationModel', () => {
  it.each<[string, string | undefined, string[], string[] | undefined, string]>([
    ["the key's first model that keeps conversations, in config order", undefined, ['*'], undefined, 'gpt-4o-mini'],
    ['the first the key may use', undefined, ['claude-*', 'gpt-4.1'], undefined, 'gpt-4.1'],
    ['one the key may use by its alias only', undefined, ['mini', 'claude-*'], undefined, 'gpt-4o-mini'],
    ["the first its team allows too", undefined, ['*'], ['qwen', 'claude-*'], 'qwen'],
    ['the named one', 'gpt-4.1', ['*'], undefined, 'gpt-4.1'],
    ['the named alias, as its model', 'mini', ['mini'], undefined, 'gpt-4o-mini'],
    ["a name a pattern serves", 'gpt-5', ['*'], undefined, 'gpt-5'],
    ['an OpenAI-compatible server configured for Responses passthrough', 'qwen', ['*'], undefined, 'qwen'],
  ])('picks %s', (_case, named, keyModels, teamModels, expected) => {
    const caller = callerOf(key(keyModels, teamModels ? { teamId: 'team_1' } : {}), teamModels ? team(teamModels) : undefined);

    expect(conversationModel(named, caller, catalog, keeps).name).toBe(expected);
  });

  it.each<[string, string | undefined, string[], string[] | undefined, { status: number; code: string }]>([
    ['a model that does not exist', 'gpt4', ['*'], undefined, { status: 404, code: 'model_not_found' }],
    ['a model the key may not use', 'gpt-4.1', ['gpt-4o-mini'], undefined, { status: 403, code: 'model_not_allowed' }],
    ["a model the key's team may not use", 'gpt-4.1', ['*'], ['gpt-4o-mini'], { status: 403, code: 'model_not_allowed' }],
    ['a model served only by translation', 'claude-sonnet-4-6', ['*'], undefined, { status: 400, code: 'model_keeps_no_conversations' }],
    ["an OpenAI-compatible server's Chat Completions", 'llama', ['*'], undefined, { status: 400, code: 'model_keeps_no_conversations' }],
    ['no model named, and none the key may use keeps conversations', undefined, ['claude-*', 'llama'], undefined, { status: 400, code: 'no_conversation_model' }],
  ])('refuses %s', (_case, named, keyModels, teamModels, expected) => {
    const caller = callerOf(key(keyModels, teamModels ? { teamId: 'team_1' } : {}), teamModels ? team(teamModels) : undefined);

    expect(() => conversationModel(named, caller, catalog, keeps)).toThrow(expect.objectContaining(expected));
  });
});

describe('keepsConversations', () => {
  it.each([
    ['claude-sonnet-4-6', [false]],
    ['llama', [false]],
    ['gpt-4o-mini', [true]],
    ['gpt-4.1', [false, true]],
    ['qwen', [true]],
  ])("says which of %s's targets keep conversations", (model, expected) => {
    expect(catalog.find(model)!.targets.map(keeps)).toEqual(expected);
  });
});

describe('conversationIdOf', () => {
  it.each([
    ['{"id":"conv_1","object":"conversation","created_at":1,"metadata":{}}', 'conv_1'],
    ['{"object":"conversation"}', undefined],
    ['{"id":""}', undefined],
    ['{"id":7}', undefined],
    ['null', undefined],
    ['not json', undefined],
  ])('reads %s', (text, expected) => {
    expect(conversationIdOf(Buffer.from(text))).toBe(expected);
  });
});

describe('givesNothingToMiss', () => {
  it.each([
    ['an empty create', '{}', '', true],
    ['metadata only', '{"metadata":{"topic":"travel"}}', '', true],
    ['no items', '{"items":[]}', '', true],
    ['null items', '{"items":null}', '', true],
    ['items (one may reference what is missing)', '{"items":[{"type":"message","role":"user","content":"hi"}]}', '', false],
    ['an item reference', '{"items":[{"type":"item_reference","id":"msg_1"}]}', '', false],
    ['a query of its own', '{}', 'api-version=2020-01-01', false],
    ['items that are not a list', '{"items":"x"}', '', false],
    ['a body that is no object', '[]', '', false],
    ['a body that is not JSON', 'not json', '', false],
  ])('reads %s as %s', (_case, body, query, expected) => {
    expect(givesNothingToMiss(Buffer.from(body), new URLSearchParams(query))).toBe(expected);
  });
});

describe('makesNoConversations', () => {
  const read = makesNoConversations(errorFromOpenAIUpstream);

  it.each<[string, number, string, { status: number; code: string | undefined }]>([
    ["Azure's 404 of a resource without conversations: the next account is asked", 404, '{"error":{"code":"404","message":"Resource not found"}}', { status: 502, code: 'upstream_failed_precondition' }],
    ['a 404 that is not JSON (a server without the route)', 404, '<html>Not Found</html>', { status: 502, code: 'upstream_failed_precondition' }],
    ["OpenAI's unknown-URL 404 (a server without the route, in OpenAI's words: no param)", 404, '{"error":{"message":"Invalid URL (POST /v1/conversations)","type":"invalid_request_error","param":null,"code":null}}', { status: 502, code: 'upstream_failed_precondition' }],
    ["OpenAI's 404 for an item the body names (a reasoning item stored nowhere): the client's, as it came, every account would say so", 404, '{"error":{"message":"Item with id \'rs_1\' not found. Items are not persisted when `store` is set to false.","type":"invalid_request_error","param":"items","code":null}}', { status: 404, code: undefined }],
    ['the same without a param: the client\'s too', 404, '{"error":{"message":"Item with id \'rs_1\' not found.","type":"invalid_request_error","param":null,"code":null}}', { status: 404, code: undefined }],
    ["OpenAI's 400 for a bad body: the client's, as it came", 400, '{"error":{"message":"Invalid \'items\'","type":"invalid_request_error","param":"items","code":"invalid_type"}}', { status: 400, code: 'invalid_type' }],
    ['a 429: a rate limit as any call reads it', 429, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', { status: 429, code: 'rate_limit_exceeded' }],
    ['a 500: the account failing', 500, '{"error":{"message":"boom","type":"server_error"}}', { status: 500, code: undefined }],
  ])('reads %s', (_, status, text, expected) => {
    // Act
    const error = read(status, {}, text, 'az');

    // Assess
    expect({ status: error.status, code: error.code }).toEqual(expected);
  });

  it("keeps the account's own words for the log, not the client", () => {
    const error = read(404, {}, '{"error":{"code":"404","message":"Resource not found"}}', 'az');

    expect([error.message, error.detail]).toEqual(['The upstream provider "az" does not make conversations for this account (404).', 'Resource not found']);
  });
});
