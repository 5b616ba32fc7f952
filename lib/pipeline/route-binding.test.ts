import { ANTHROPIC_MESSAGES, GEMINI, OPENAI_CHAT, OPENAI_RESPONSES, type SurfaceBinding } from './bindings';
import { answeringBinding, routeBinding } from './route-binding';

describe('routeBinding', () => {
  it.each<[string, SurfaceBinding | undefined]>([
    ['/v1/chat/completions', OPENAI_CHAT],
    ['/chat/completions', OPENAI_CHAT],
    ['/v1/chat/completions/', OPENAI_CHAT],
    ['/v2/rerank', OPENAI_CHAT],
    ['/rerank', OPENAI_CHAT],
    ['/v1/responses', OPENAI_RESPONSES],
    ['/v1/conversations/conv_1/items/msg_1', OPENAI_RESPONSES],
    ['/responses/resp_1/input_items', OPENAI_RESPONSES],
    ['/v1/messages', ANTHROPIC_MESSAGES],
    ['/messages/count_tokens', ANTHROPIC_MESSAGES],
    ['/v1beta/models', GEMINI],
    ['/v1beta/models/gemini-2.5-flash', GEMINI],
    ['/v1/models/gemini-2.5-flash:streamGenerateContent', GEMINI],
    ['/v1/models/gemini-2.5-flash:generateContent/', GEMINI],
    ['/v1/models', undefined],
    ['/models', undefined],
    ['/v1/models/ft:gpt-4o-mini:acme', undefined],
    ['/', undefined],
    ['/health', undefined],
    ['/v1/unknown', undefined],
    ['/v1/messagesx', undefined],
    ['/constructor', undefined],
  ])('finds the API of %s', (path, expected) => {
    expect(routeBinding(path)).toBe(expected);
  });
});

describe('answeringBinding', () => {
  it.each<[string, string, Record<string, string>, string, SurfaceBinding]>([
    ["a route's API over the caller's anthropic-version", '/v1/chat/completions', { 'anthropic-version': '2023-06-01' }, '', OPENAI_CHAT],
    ["a route's API over Gemini's key in the query", '/v1/embeddings', {}, 'key=k', OPENAI_CHAT],
    ["the caller's marks on a shared route", '/v1/models', { 'anthropic-version': '2023-06-01' }, '', ANTHROPIC_MESSAGES],
    ["the caller's marks where no route is", '/v1beta/unknown', {}, '', GEMINI],
    ['OpenAI for a caller that says nothing', '/v1/files', {}, '', OPENAI_CHAT],
  ])('takes %s', (_case, path, headers, query, expected) => {
    expect(answeringBinding({ path, headers, query: new URLSearchParams(query) })).toBe(expected);
  });
});
