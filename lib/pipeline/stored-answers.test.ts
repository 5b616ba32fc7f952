// The error undici fails a body with when the upstream's socket closes under it (UND_ERR_SOCKET).
import undiciErrors = require('undici/lib/core/errors');
import { GuardrailsSchema } from '../guardrails/config';
import { Guardrails } from '../guardrails/scan';
import { silentLogger } from '../observe/logger';
import type { UpstreamResponse } from '../upstream/http';
import { newContext } from './context';
import type { ProxyDeps } from './deps';
import { passthroughFor } from './passthrough';
import { relayedStoredStream, storedAnswerPaths, writtenByModel } from './stored-answers';
import type { StoredObjectOperation } from './stored-responses';

describe('writtenByModel', () => {
  it.each([
    [{ type: 'message', role: 'assistant', content: [] }, true],
    [{ role: 'assistant', content: 'hi' }, true],
    [{ type: 'reasoning', summary: [] }, true],
    [{ type: 'function_call', arguments: '{}' }, true],
    [{ type: 'web_search_call' }, true],
    // A kind the list does not know is screened: it may be the model's.
    [{ type: 'some_new_call' }, true],
    [{ type: 'message', role: 'user', content: [] }, false],
    [{ type: 'message', role: 'system', content: [] }, false],
    [{ type: 'message', role: 'developer', content: [] }, false],
    [{ role: 'user', content: 'hi' }, false],
    [{ type: 'function_call_output', output: 'file' }, false],
    [{ type: 'computer_call_output' }, false],
    [{ type: 'mcp_approval_response' }, false],
    [{ type: 'item_reference', id: 'msg_1' }, false],
    [null, false],
    ['text', false],
    [[], false],
  ])('says whether %j is what a model wrote: %s', (item, expected) => {
    expect(writtenByModel(item)).toBe(expected);
  });
});

describe('storedAnswerPaths', () => {
  const conversation = (action: StoredObjectOperation['action']): StoredObjectOperation => ({ ref: { kind: 'conversation', id: 'conv_1' }, action, ...(action === 'item' || action === 'delete_item' ? { itemId: 'msg_1' } : {}) });
  const response = (action: StoredObjectOperation['action']): StoredObjectOperation => ({ ref: { kind: 'response', id: 'resp_1' }, action });
  const list = Buffer.from(JSON.stringify({ object: 'list', data: [{ type: 'message', role: 'user', content: [{ text: 'q' }] }, { type: 'message', role: 'assistant', content: [{ text: 'a' }] }, { type: 'reasoning', encrypted_content: 'x', summary: [{ text: 's' }] }] }));
  const assistant = Buffer.from(JSON.stringify({ type: 'message', role: 'assistant', content: [{ text: 'a' }] }));
  const user = Buffer.from(JSON.stringify({ type: 'message', role: 'user', content: [{ text: 'q' }] }));

  it.each([
    ['a stored response: its output', response('retrieve'), list, 'output[0].content[0].text', true],
    ['a stored response: not what it echoes of the request', response('retrieve'), list, 'instructions', false],
    ['a cancelled response: its output', response('cancel'), list, 'output[1].arguments', true],
    ["a conversation's items: an assistant's message", conversation('items'), list, 'data[1].content[0].text', true],
    ["a conversation's items: a reasoning summary", conversation('items'), list, 'data[2].summary[0].text', true],
    ["a conversation's items: not encrypted reasoning", conversation('items'), list, 'data[2].encrypted_content', false],
    ["a conversation's items: not a user's message", conversation('items'), list, 'data[0].content[0].text', false],
    ["a conversation's items: not the list's own fields", conversation('items'), list, 'first_id', false],
    ["a conversation's items: not an item past the list", conversation('items'), list, 'data[7].content[0].text', false],
    ["a response's input items, as a conversation's", response('input_items'), list, 'data[1].content[0].text', true],
    ["an assistant's item", conversation('item'), assistant, 'content[0].text', true],
    ["a user's item", conversation('item'), user, 'content[0].text', false],
  ])('%s', (_case, operation, body, path, expected) => {
    expect(storedAnswerPaths(operation, body)?.(path)).toBe(expected);
  });

  it.each([conversation('retrieve'), conversation('update'), conversation('delete'), conversation('delete_item'), conversation('add_items'), response('delete')])('reads nothing of an answer that holds no model words: %j', (operation) => {
    expect(storedAnswerPaths(operation, list)).toBeUndefined();
  });

  it('reads a body that is not JSON as holding no items', () => {
    expect(storedAnswerPaths(conversation('items'), Buffer.from('not json'))?.('data[0].content[0].text')).toBe(false);
  });
});

describe('relayedStoredStream', () => {
  const sse = (type: string, n: number, data: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...data })}\n\n`;
  const response = { id: 'resp_1', object: 'response', status: 'completed', output: [] };
  const created = sse('response.created', 0, { response: { ...response, status: 'in_progress' } });
  const delta = sse('response.output_text.delta', 1, { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' });
  const completed = sse('response.completed', 2, { response });

  /** An account's answer whose body yields `chunks`, then throws `breaks` when given. */
  function upstream(chunks: string[], breaks?: Error): UpstreamResponse {
    async function* body(): AsyncGenerator<Buffer> {
      for (const chunk of chunks) yield Buffer.from(chunk);
      if (breaks) throw breaks;
    }
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Object.assign(body(), { text: async () => '', bytes: async () => Buffer.alloc(0), dump: async () => {} }) };
  }
  const deps = { logger: silentLogger } as unknown as ProxyDeps;
  // An OpenAI account's Responses reader: the one a stored response's account is read with (the registry is not asked for it).
  const RESPONSES_READER = passthroughFor('openai-responses', { provider: { id: 'oai', type: 'openai' }, account: { id: 'a' }, model: '' } as never, {} as never)!;

  it.each<[string, string[], Error | undefined, { outcome: string; errorCode?: string; tail: string | undefined }]>([
    ['a whole replay: every event as it came, booked ok', [created, delta, completed], undefined, { outcome: 'ok', tail: undefined }],
    ['a replay the account ends before response.completed: an error event after what came', [created, delta], undefined, { outcome: 'interrupted', errorCode: 'upstream_interrupted', tail: 'event: error' }],
    ['a replay the account breaks off: an error event numbered after its last', [created, delta], new undiciErrors.SocketError('other side closed'), { outcome: 'interrupted', errorCode: 'upstream_interrupted', tail: '"sequence_number":2' }],
    ['a replay of a response that failed (`response.failed`): relayed as it came, booked as the account\'s error', [created, delta, sse('response.failed', 2, { response: { ...response, status: 'failed', error: { code: 'server_error', message: 'The model failed.' } } })], undefined, { outcome: 'upstream_error', errorCode: 'server_error', tail: undefined }],
  ])('relays %s, closing the books once', async (_, chunks, breaks, expected) => {
    // Prepare
    const ctx = { ...newContext('r1', 'openai-responses', new Date()), stream: true };
    let finished = 0;

    // Act
    const res = relayedStoredStream(upstream(chunks, breaks), RESPONSES_READER, ctx, deps, undefined, () => finished++);
    const out: string[] = [];
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) out.push(Buffer.from(chunk).toString());

    // Assess
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(out.join('').startsWith(chunks.join(''))).toBe(true);
    const tail = out.join('').slice(chunks.join('').length);
    if (expected.tail === undefined) expect(tail).toBe('');
    else expect(tail).toContain(expected.tail);
    expect({ outcome: ctx.outcome, errorCode: ctx.errorCode }).toEqual({ outcome: expected.outcome, errorCode: expected.errorCode });
    expect(ctx.usage).toBeUndefined();
    expect(finished).toBe(1);
  });

  it('ends a replay the account ends before response.completed with response.failed and the cut, naming the provider by its config id', async () => {
    // Prepare
    const ctx = { ...newContext('r5', 'openai-responses', new Date()), stream: true, provider: 'oai-east' };

    // Act
    const res = relayedStoredStream(upstream([created, delta]), RESPONSES_READER, ctx, deps, undefined, () => {});
    let text = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();

    // Assess
    const [failed, told] = text
      .slice((created + delta).length)
      .split('\n\n')
      .filter((event) => event.includes('data: '))
      .map((event) => JSON.parse(event.slice(event.indexOf('data: ') + 6)) as Record<string, unknown>);
    expect(failed).toMatchObject({ type: 'response.failed', sequence_number: 2, response: { id: 'resp_1', status: 'failed', output: [], error: { code: 'upstream_interrupted' } } });
    expect(told).toMatchObject({ type: 'error', sequence_number: 3, code: 'upstream_interrupted', message: 'The upstream provider "oai-east" ended the stream before it was complete.' });
    expect({ outcome: ctx.outcome, errorCode: ctx.errorCode }).toEqual({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it("relays the account's own error event once, in the gateway's words, and books the account's error", async () => {
    // Prepare
    const ctx = { ...newContext('r4', 'openai-responses', new Date()), stream: true };
    const error = sse('error', 2, { code: 'server_error', message: 'The server had an error.', param: null });

    // Act
    const res = relayedStoredStream(upstream([created, delta, error]), RESPONSES_READER, ctx, deps, undefined, () => {});
    const out: string[] = [];
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) out.push(Buffer.from(chunk).toString());

    // Assess
    const tail = out.join('').slice((created + delta).length);
    expect(tail.match(/event: error/g)).toHaveLength(1);
    expect(JSON.parse(tail.split('data: ')[1]!)).toMatchObject({ type: 'error', sequence_number: 2, code: 'server_error' });
    expect({ outcome: ctx.outcome, errorCode: ctx.errorCode }).toEqual({ outcome: 'upstream_error', errorCode: 'server_error' });
  });

  it.each([
    ['as it came', false],
    ['through the rules on answers', true],
  ])('stops reading the account when the client stops reading a stream relayed %s', async (_, marked) => {
    // Prepare
    const ctx = { ...newContext('r3', 'openai-responses', new Date()), stream: true, ...(marked ? { screensAnswer: true as const } : {}) };
    const rules = Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'secrets', action: 'redact' }] }), 'response')!;
    const screening = { answerGuardrails: { rules, window: 512 }, logger: silentLogger } as unknown as ProxyDeps;
    let upstreamLeft = false;
    async function* body(): AsyncGenerator<Buffer> {
      try {
        for (const chunk of [created, delta, delta, delta, completed]) yield Buffer.from(chunk);
      } finally {
        upstreamLeft = true;
      }
    }
    const res: UpstreamResponse = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Object.assign(body(), { text: async () => '', bytes: async () => Buffer.alloc(0), dump: async () => {} }) };
    const stream = (relayedStoredStream(res, RESPONSES_READER, ctx, marked ? screening : deps, undefined, () => {}).body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();

    // Act
    await stream.next();
    await stream.return?.();

    // Assess
    expect([upstreamLeft, ctx.outcome]).toEqual([true, 'aborted']);
  });

  it('books a client that stops reading as aborted, and closes the books', async () => {
    // Prepare
    const ctx = { ...newContext('r2', 'openai-responses', new Date()), stream: true };
    let finished = 0;
    const res = relayedStoredStream(upstream([created, delta, completed]), RESPONSES_READER, ctx, deps, undefined, () => finished++);

    // Act
    const stream = (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await stream.next();
    await stream.return?.();

    // Assess
    expect([ctx.outcome, finished]).toEqual(['aborted', 1]);
  });
});
