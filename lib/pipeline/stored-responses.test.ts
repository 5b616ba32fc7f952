import type { UpstreamRequest } from '../upstream/http';
import { collectionUrl, storedObjectOperations, storedObjectRequest, unknownObject, unknownResponse, type StoredObjectOperation } from './stored-responses';

const response = (id: string) => ({ kind: 'response' as const, id });
const conversation = (id: string) => ({ kind: 'conversation' as const, id });

describe('storedObjectOperations', () => {
  it.each<[string, ReturnType<typeof storedObjectOperations>]>([
    ['/v1/responses/resp_1', { GET: { ref: response('resp_1'), action: 'retrieve' }, DELETE: { ref: response('resp_1'), action: 'delete' } }],
    ['/responses/resp_1', { GET: { ref: response('resp_1'), action: 'retrieve' }, DELETE: { ref: response('resp_1'), action: 'delete' } }],
    ['/v1/responses/resp_1/input_items', { GET: { ref: response('resp_1'), action: 'input_items' } }],
    ['/v1/responses/resp_1/cancel', { POST: { ref: response('resp_1'), action: 'cancel' } }],
    ['/v1/responses/resp%201', { GET: { ref: response('resp 1'), action: 'retrieve' }, DELETE: { ref: response('resp 1'), action: 'delete' } }],
    ['/v1/responses', undefined],
    ['/v1/responses/resp_1/output_items', undefined],
    ['/v1/responses/resp_1/input_items/extra', undefined],
    ['/v1/responses/resp_1/items', undefined],
    ['/v1/responses/resp_1/items/msg_1', undefined],
    ['/v1/responses/%E0%A4%A', undefined],
    // A URL resolves these (escaped too): a home kept for such an id (a lenient upstream took it as a conversation's) would send the call to the endpoint's parent.
    ['/v1/responses/..', undefined],
    ['/v1/responses/%2E%2e', undefined],
    ['/v1/responses/./input_items', undefined],
    ['/v1/responses/%2e/cancel', undefined],
    ['/v1/responses/...', { GET: { ref: response('...'), action: 'retrieve' }, DELETE: { ref: response('...'), action: 'delete' } }],
    ['/v1/conversations/conv_1', { GET: { ref: conversation('conv_1'), action: 'retrieve' }, POST: { ref: conversation('conv_1'), action: 'update' }, DELETE: { ref: conversation('conv_1'), action: 'delete' } }],
    ['/conversations/conv_1', { GET: { ref: conversation('conv_1'), action: 'retrieve' }, POST: { ref: conversation('conv_1'), action: 'update' }, DELETE: { ref: conversation('conv_1'), action: 'delete' } }],
    ['/v1/conversations/conv_1/items', { GET: { ref: conversation('conv_1'), action: 'items' }, POST: { ref: conversation('conv_1'), action: 'add_items' } }],
    ['/v1/conversations/conv_1/items/msg_1', { GET: { ref: conversation('conv_1'), action: 'item', itemId: 'msg_1' }, DELETE: { ref: conversation('conv_1'), action: 'delete_item', itemId: 'msg_1' } }],
    ['/v1/conversations/conv_1/items/msg%2F1', { GET: { ref: conversation('conv_1'), action: 'item', itemId: 'msg/1' }, DELETE: { ref: conversation('conv_1'), action: 'delete_item', itemId: 'msg/1' } }],
    ['/v1/conversations', undefined],
    ['/v1/conversations/conv_1/input_items', undefined],
    ['/v1/conversations/conv_1/cancel', undefined],
    ['/v1/conversations/conv_1/items/msg_1/extra', undefined],
    ['/v1/conversations/conv_1/cancel/msg_1', undefined],
    ['/v1/conversations/conv_1/items/..', undefined],
    ['/v1/conversations/conv_1/items/%2e', undefined],
    ['/v1/conversations/%2e%2e/items', undefined],
    ['/v1/conversations/conv_1/items/%E0%A4%A', undefined],
  ])('reads %s', (path, expected) => {
    expect(storedObjectOperations(path)).toEqual(expected);
  });
});

describe('collectionUrl', () => {
  it.each<[string, 'response' | 'conversation', string]>([
    ['https://api.openai.com/v1/responses', 'response', 'https://api.openai.com/v1/responses'],
    ['https://api.openai.com/v1/responses', 'conversation', 'https://api.openai.com/v1/conversations'],
    ['https://east.openai.azure.com/openai/v1/responses?api-version=preview', 'conversation', 'https://east.openai.azure.com/openai/v1/conversations?api-version=preview'],
    ['http://vllm:8000/v1/responses/', 'conversation', 'http://vllm:8000/v1/conversations'],
  ])('finds the %s endpoint of a %s', (from, kind, expected) => {
    expect(collectionUrl(from, kind).toString()).toBe(expected);
  });
});

describe('storedObjectRequest', () => {
  const create: UpstreamRequest = {
    url: 'https://api.openai.com/v1/responses',
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer sk-up', 'openai-organization': 'org-1' },
    body: '{"model":""}',
    headersTimeoutMs: 1,
    idleTimeoutMs: 2,
  };
  const azure: UpstreamRequest = { ...create, url: 'https://east.openai.azure.com/openai/v1/responses?api-version=preview', headers: { 'api-key': 'az' } };
  it.each<[string, UpstreamRequest, StoredObjectOperation, string, Pick<UpstreamRequest, 'url' | 'method'> & { accept: string }]>([
    ['a retrieve, with the include[] query', create, { ref: response('resp_1'), action: 'retrieve' }, 'include%5B%5D=message.output_text.logprobs', { url: 'https://api.openai.com/v1/responses/resp_1?include%5B%5D=message.output_text.logprobs', method: 'GET', accept: 'application/json' }],
    ['a streamed retrieve', create, { ref: response('resp_1'), action: 'retrieve' }, 'stream=true&starting_after=3', { url: 'https://api.openai.com/v1/responses/resp_1?stream=true&starting_after=3', method: 'GET', accept: 'text/event-stream' }],
    ['a delete', create, { ref: response('resp_1'), action: 'delete' }, '', { url: 'https://api.openai.com/v1/responses/resp_1', method: 'DELETE', accept: 'application/json' }],
    ['input items', create, { ref: response('resp_1'), action: 'input_items' }, 'order=asc&limit=5', { url: 'https://api.openai.com/v1/responses/resp_1/input_items?order=asc&limit=5', method: 'GET', accept: 'application/json' }],
    ['a cancel', create, { ref: response('resp_1'), action: 'cancel' }, '', { url: 'https://api.openai.com/v1/responses/resp_1/cancel', method: 'POST', accept: 'application/json' }],
    ["Azure's, keeping its api-version", azure, { ref: response('resp_1'), action: 'retrieve' }, 'include%5B%5D=x', { url: 'https://east.openai.azure.com/openai/v1/responses/resp_1?api-version=preview&include%5B%5D=x', method: 'GET', accept: 'application/json' }],
    ['an id that needs escaping', create, { ref: response('resp/../x'), action: 'retrieve' }, '', { url: 'https://api.openai.com/v1/responses/resp%2F..%2Fx', method: 'GET', accept: 'application/json' }],
    ["a conversation's retrieve", create, { ref: conversation('conv_1'), action: 'retrieve' }, '', { url: 'https://api.openai.com/v1/conversations/conv_1', method: 'GET', accept: 'application/json' }],
    ["a conversation's update", create, { ref: conversation('conv_1'), action: 'update' }, '', { url: 'https://api.openai.com/v1/conversations/conv_1', method: 'POST', accept: 'application/json' }],
    ["a conversation's delete", create, { ref: conversation('conv_1'), action: 'delete' }, '', { url: 'https://api.openai.com/v1/conversations/conv_1', method: 'DELETE', accept: 'application/json' }],
    ["a conversation's items, with the list's query", create, { ref: conversation('conv_1'), action: 'items' }, 'after=msg_2&limit=2&order=asc', { url: 'https://api.openai.com/v1/conversations/conv_1/items?after=msg_2&limit=2&order=asc', method: 'GET', accept: 'application/json' }],
    ['items added to a conversation', create, { ref: conversation('conv_1'), action: 'add_items' }, 'include%5B%5D=x', { url: 'https://api.openai.com/v1/conversations/conv_1/items?include%5B%5D=x', method: 'POST', accept: 'application/json' }],
    ["a conversation's item", create, { ref: conversation('conv_1'), action: 'item', itemId: 'msg/1' }, '', { url: 'https://api.openai.com/v1/conversations/conv_1/items/msg%2F1', method: 'GET', accept: 'application/json' }],
    ["a conversation's item deleted", azure, { ref: conversation('conv_1'), action: 'delete_item', itemId: 'msg_1' }, '', { url: 'https://east.openai.azure.com/openai/v1/conversations/conv_1/items/msg_1?api-version=preview', method: 'DELETE', accept: 'application/json' }],
  ])('builds %s at the account', (_name, from, operation, query, expected) => {
    const req = storedObjectRequest(from, operation, query);

    expect({ url: req.url, method: req.method, accept: req.headers.accept }).toEqual(expected);
    expect(req.body).toBeUndefined();
    expect(req.headers['content-type']).toBeUndefined();
  });

  it("keeps the account's auth and headers, and the timeouts", () => {
    const req = storedObjectRequest(create, { ref: response('resp_1'), action: 'retrieve' }, '');

    expect(req).toMatchObject({ headers: { authorization: 'Bearer sk-up', 'openai-organization': 'org-1' }, headersTimeoutMs: 1, idleTimeoutMs: 2 });
  });

  it('sends a body given as JSON, with the account auth', () => {
    const body = Buffer.from('{"metadata":{"topic":"a"}}');

    const req = storedObjectRequest(create, { ref: conversation('conv_1'), action: 'update' }, '', body);

    expect(req).toMatchObject({ method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-up', accept: 'application/json' } });
  });
});

describe('unknownObject', () => {
  it.each([
    [response('resp_1'), "Response with id 'resp_1' not found."],
    [conversation('conv_1'), "Conversation with id 'conv_1' not found."],
  ])("is OpenAI's 404 for a %o it does not hold, with no code or param", (ref, message) => {
    expect(unknownObject(ref, 'why')).toMatchObject({ status: 404, message, code: undefined, param: undefined, detail: 'why' });
  });

  it('is the same 404 for a response as unknownResponse', () => {
    expect(unknownObject(response('resp_1'))).toEqual(unknownResponse('resp_1'));
  });
});
