import type { UpstreamRequest } from '../upstream/http';
import { storedResponseOperations, storedResponseRequest, unknownResponse, type StoredResponseOperation } from './stored-responses';

describe('storedResponseOperations', () => {
  it.each<[string, ReturnType<typeof storedResponseOperations>]>([
    ['/v1/responses/resp_1', { GET: { id: 'resp_1', action: 'retrieve' }, DELETE: { id: 'resp_1', action: 'delete' } }],
    ['/responses/resp_1', { GET: { id: 'resp_1', action: 'retrieve' }, DELETE: { id: 'resp_1', action: 'delete' } }],
    ['/v1/responses/resp_1/input_items', { GET: { id: 'resp_1', action: 'input_items' } }],
    ['/v1/responses/resp_1/cancel', { POST: { id: 'resp_1', action: 'cancel' } }],
    ['/v1/responses/resp%201', { GET: { id: 'resp 1', action: 'retrieve' }, DELETE: { id: 'resp 1', action: 'delete' } }],
    ['/v1/responses', undefined],
    ['/v1/responses/resp_1/output_items', undefined],
    ['/v1/responses/resp_1/input_items/extra', undefined],
    ['/v1/responses/%E0%A4%A', undefined],
    // A URL resolves these (escaped too): a home kept for such an id (a lenient upstream took it as a conversation's) would send the call to the endpoint's parent.
    ['/v1/responses/..', undefined],
    ['/v1/responses/%2E%2e', undefined],
    ['/v1/responses/./input_items', undefined],
    ['/v1/responses/%2e/cancel', undefined],
    ['/v1/responses/...', { GET: { id: '...', action: 'retrieve' }, DELETE: { id: '...', action: 'delete' } }],
  ])('reads %s', (path, expected) => {
    expect(storedResponseOperations(path)).toEqual(expected);
  });
});

describe('storedResponseRequest', () => {
  const create: UpstreamRequest = {
    url: 'https://api.openai.com/v1/responses',
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer sk-up', 'openai-organization': 'org-1' },
    body: '{"model":""}',
    headersTimeoutMs: 1,
    idleTimeoutMs: 2,
  };
  const azure: UpstreamRequest = { ...create, url: 'https://east.openai.azure.com/openai/v1/responses?api-version=preview', headers: { 'api-key': 'az' } };
  it.each<[string, UpstreamRequest, StoredResponseOperation, string, Pick<UpstreamRequest, 'url' | 'method'> & { accept: string }]>([
    ['a retrieve, with the include[] query', create, { id: 'resp_1', action: 'retrieve' }, 'include%5B%5D=message.output_text.logprobs', { url: 'https://api.openai.com/v1/responses/resp_1?include%5B%5D=message.output_text.logprobs', method: 'GET', accept: 'application/json' }],
    ['a streamed retrieve', create, { id: 'resp_1', action: 'retrieve' }, 'stream=true&starting_after=3', { url: 'https://api.openai.com/v1/responses/resp_1?stream=true&starting_after=3', method: 'GET', accept: 'text/event-stream' }],
    ['a delete', create, { id: 'resp_1', action: 'delete' }, '', { url: 'https://api.openai.com/v1/responses/resp_1', method: 'DELETE', accept: 'application/json' }],
    ['input items', create, { id: 'resp_1', action: 'input_items' }, 'order=asc&limit=5', { url: 'https://api.openai.com/v1/responses/resp_1/input_items?order=asc&limit=5', method: 'GET', accept: 'application/json' }],
    ['a cancel', create, { id: 'resp_1', action: 'cancel' }, '', { url: 'https://api.openai.com/v1/responses/resp_1/cancel', method: 'POST', accept: 'application/json' }],
    ["Azure's, keeping its api-version", azure, { id: 'resp_1', action: 'retrieve' }, 'include%5B%5D=x', { url: 'https://east.openai.azure.com/openai/v1/responses/resp_1?api-version=preview&include%5B%5D=x', method: 'GET', accept: 'application/json' }],
    ['an id that needs escaping', create, { id: 'resp/../x', action: 'retrieve' }, '', { url: 'https://api.openai.com/v1/responses/resp%2F..%2Fx', method: 'GET', accept: 'application/json' }],
  ])('builds %s under the account Responses endpoint', (_name, from, operation, query, expected) => {
    const req = storedResponseRequest(from, operation, query);

    expect({ url: req.url, method: req.method, accept: req.headers.accept }).toEqual(expected);
    expect(req.body).toBeUndefined();
    expect(req.headers['content-type']).toBeUndefined();
  });

  it("keeps the account's auth and headers, and the timeouts", () => {
    const req = storedResponseRequest(create, { id: 'resp_1', action: 'retrieve' }, '');

    expect(req).toMatchObject({ headers: { authorization: 'Bearer sk-up', 'openai-organization': 'org-1' }, headersTimeoutMs: 1, idleTimeoutMs: 2 });
  });
});

describe('unknownResponse', () => {
  it("is OpenAI's 404 for a response it does not hold, with no code or param", () => {
    expect(unknownResponse('resp_1', 'why')).toMatchObject({ status: 404, message: "Response with id 'resp_1' not found.", code: undefined, param: undefined, detail: 'why' });
  });
});
