import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { embeddingVector, startFakeOpenAI, type FakeOpenAI } from './openai';
import { rankDocuments, rerankScore, rerankTokens } from './rerank-wire';

const API_KEY = 'sk-test-0123456789abcdefghij';
const USER = [{ role: 'user' as const, content: 'hello world' }];
const call = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });

describe('fake OpenAI upstream', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: API_KEY });
    client = new OpenAI({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0, timeout: 5_000 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  describe('parameters a model refuses, as OpenAI refuses them', () => {
    const refusal = (call: Promise<unknown>) => call.then(() => undefined, (err: unknown) => err as InstanceType<typeof OpenAI.BadRequestError>);

    it.each<[string, Record<string, unknown>, string, string]>([
      ['o3', { max_tokens: 10 }, 'max_tokens', "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."],
      ['ft:o4-mini-2025-04-16:acme::abc123', { max_tokens: 10 }, 'max_tokens', "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."],
      ['o4-mini', { temperature: 0.2 }, 'temperature', "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported."],
      ['gpt-5-mini', { presence_penalty: 0.5 }, 'presence_penalty', "Unsupported value: 'presence_penalty' does not support 0.5 with this model. Only the default (0) value is supported."],
      ['gpt-5.1', { temperature: 0.2, reasoning_effort: 'high' }, 'temperature', "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported."],
      ['o3', { logprobs: true }, 'logprobs', "Unsupported parameter: 'logprobs' is not supported with this model."],
      ['o4-mini-2025-04-16', { stop: ['\nObservation:'] }, 'stop', "Unsupported parameter: 'stop' is not supported with this model."],
      ['gpt-5', { stop: 'END' }, 'stop', "Unsupported parameter: 'stop' is not supported with this model."],
      ['gpt-4o', { reasoning_effort: 'low' }, 'reasoning_effort', "Unsupported parameter: 'reasoning_effort' is not supported with this model."],
    ])('answers %s a chat body with %j with the real 400 naming %s', async (model, params, param, message) => {
      const err = await refusal(client.chat.completions.create({ model, messages: USER, ...params }));

      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err!.param).toBe(param);
      expect(err!.error).toMatchObject({ message, type: 'invalid_request_error', param });
    });

    it.each<[string, Record<string, unknown>]>([
      ['o3', { max_completion_tokens: 10, temperature: 1, top_p: 1, frequency_penalty: 0, logprobs: false }],
      ['gpt-5.1', { temperature: 0.2, top_p: 0.5 }],
      ['gpt-5.1-2025-11-13', { temperature: 0.2 }],
      ['o3-mini', { stop: ['END'], max_completion_tokens: 10 }],
      ['o1', { stop: 'END' }],
      ['gpt-5-chat-latest', { temperature: 0.2, max_tokens: 10 }],
      ['gpt-4o', { temperature: 0.2, max_tokens: 10, logprobs: true }],
    ])('answers %s a chat body with %j, which it takes', async (model, params) => {
      const answer = await client.chat.completions.create({ model, messages: USER, ...params });

      expect(answer.choices[0]!.message.content).toContain('hello world');
    });

    it.each(['tool', 'assistant'])("refuses an image_url part in a %s message, as OpenAI does, and takes it in a user message", async (role) => {
      const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } };
      const history = role === 'tool' ? [{ role: 'assistant', content: null, tool_calls: [call('c1')] }, { role: 'tool', tool_call_id: 'c1', content: [image] }] : [{ role: 'assistant', content: [image] }];
      const messages = [...USER, ...history, { role: 'user', content: [{ type: 'text', text: 'and this?' }, image] }];

      const err = await refusal(client.chat.completions.create({ model: 'gpt-4o', messages } as unknown as Parameters<typeof client.chat.completions.create>[0]));
      const taken = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'what?' }, image] }] } as unknown as Parameters<typeof client.chat.completions.create>[0]);

      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err!.error).toMatchObject({ message: `Invalid 'messages[${history.length}]'. Image URLs are only allowed for messages with role 'user', but this message with role '${role}' contains an image URL.`, type: 'invalid_request_error' });
      expect(taken).toHaveProperty('choices');
    });

    it('refuses temperature on a reasoning model’s Responses body, and reasoning on a chat model’s', async () => {
      const hot = await refusal(client.responses.create({ model: 'o3', input: 'hi', temperature: 0.5 }));
      const effort = await refusal(client.responses.create({ model: 'gpt-4.1', input: 'hi', reasoning: { effort: 'low' } }));

      expect(hot!.param).toBe('temperature');
      expect(effort!.param).toBe('reasoning.effort');
    });

    it('refuses the encrypted reasoning Codex includes on a chat model’s Responses body, as OpenAI does, and gives it on a reasoning model', async () => {
      const refused = await refusal(client.responses.create({ model: 'gpt-4o', input: 'hi', store: false, include: ['reasoning.encrypted_content'] }));
      const taken = await client.responses.create({ model: 'o4-mini', input: 'hi', store: false, include: ['reasoning.encrypted_content'] });

      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused!.error).toEqual({ message: 'Encrypted content is not supported with this model.', type: 'invalid_request_error', param: 'include', code: null });
      expect(taken.output_text).toBeTruthy();
    });
  });

  describe('the Responses API', () => {
    it('answers a response the official client reads, echoing the request and its usage', async () => {
      fake.reply({ kind: 'text', text: 'Hi there', usage: { prompt: 5, completion: 2, cached: 1 } });

      const response = await client.responses.create({ model: 'gpt-4.1', instructions: 'Be kind.', input: 'hello' });

      expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4.1', instructions: 'Be kind.', output_text: 'Hi there', usage: { input_tokens: 5, input_tokens_details: { cached_tokens: 1 }, output_tokens: 2, total_tokens: 7 } });
      expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    });

    it("streams events the official client's stream helper assembles, numbered from 0", async () => {
      fake.reply({ kind: 'tool_calls', text: 'Let me check.', calls: [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }] });

      const stream = client.responses.stream({ model: 'gpt-4.1', input: 'hello' });
      const numbers: number[] = [];
      for await (const event of stream) numbers.push(event.sequence_number);
      const response = await stream.finalResponse();

      expect(numbers).toEqual(numbers.map((_, i) => i));
      expect(response.output_text).toBe('Let me check.');
      expect(response.output[1]).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}', status: 'completed' });
    });

    it('marks an answer cut by the token limit incomplete, and ends a failed stream with response.failed', async () => {
      fake.reply({ kind: 'text', text: 'Once upon', finishReason: 'length' });
      const cut = await client.responses.create({ model: 'gpt-4.1', input: 'story' });
      fake.reply({ kind: 'stream-failure', afterEvents: 2 });
      const types: string[] = [];
      for await (const event of await client.responses.create({ model: 'gpt-4.1', input: 'story', stream: true })) types.push(event.type);

      expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
      expect(types).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.failed']);
    });

    it('refuses an unknown previous_response_id as the real API does', async () => {
      await expect(client.responses.create({ model: 'gpt-4.1', input: 'x', previous_response_id: 'resp_nope' })).rejects.toMatchObject({
        status: 400,
        code: 'previous_response_not_found',
        param: 'previous_response_id',
        error: { message: "Previous response with id 'resp_nope' not found.", type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' },
      });
    });

    it('continues the responses it stored, streamed or not, and says how long the chain is', async () => {
      const first = await client.responses.create({ model: 'gpt-4.1', input: 'Hi' });
      const second = await client.responses.create({ model: 'gpt-4.1', input: 'More', previous_response_id: first.id });
      let third = '';
      for await (const event of await client.responses.create({ model: 'gpt-4.1', input: 'Again', previous_response_id: second.id, stream: true })) if (event.type === 'response.output_text.delta') third += event.delta;

      expect([first.output_text, second.output_text, third]).toEqual(['Echo: Hi', 'Echo: More (turn 2)', 'Echo: Again (turn 3)']);
      expect(second.previous_response_id).toBe(first.id);
      expect(fake.stored.size).toBe(3);
    });

    it('streams a stored response again as the events of its stream, numbered from 0, from after starting_after when asked', async () => {
      fake.reply({ kind: 'tool_calls', text: 'Let me check.', calls: [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }] });
      const made = await client.responses.create({ model: 'gpt-4.1', input: 'hello' });

      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of await client.responses.retrieve(made.id, { stream: true })) events.push(event);
      const later: number[] = [];
      for await (const event of await client.responses.retrieve(made.id, { stream: true, starting_after: 5 })) later.push(event.sequence_number);

      const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
      const args = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
      const last = events.at(-1)!;
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
      expect([text, args]).toEqual(['Let me check.', '{"a":1}']);
      expect(last.type).toBe('response.completed');
      // The client's own `output_text` aside, the response as it was made.
      const { output_text: _added, ...answered } = JSON.parse(JSON.stringify(made)) as Record<string, unknown>;
      expect(last.type === 'response.completed' && last.response).toEqual(answered);
      expect(later).toEqual(events.slice(6).map((e) => e.sequence_number));
    });

    it('stores nothing with store: false, so such a response cannot be continued', async () => {
      const unstored = await client.responses.create({ model: 'gpt-4.1', input: 'Hi', store: false });

      await expect(client.responses.create({ model: 'gpt-4.1', input: 'More', previous_response_id: unstored.id })).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
      expect(fake.stored.size).toBe(0);
    });

    it("does not hold another account's responses", async () => {
      const other = await startFakeOpenAI({ apiKey: API_KEY });
      try {
        const made = await new OpenAI({ apiKey: API_KEY, baseURL: other.url, maxRetries: 0, timeout: 5_000 }).responses.create({ model: 'gpt-4.1', input: 'Hi' });

        await expect(client.responses.create({ model: 'gpt-4.1', input: 'More', previous_response_id: made.id })).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
      } finally {
        await other.close();
      }
    });
  });

  describe('the Conversations API', () => {
    const message = (text: string) => ({ type: 'message' as const, role: 'user' as const, content: text });
    const texts = (items: readonly OpenAI.Conversations.ConversationItem[]) => items.map((item) => (item.type === 'message' ? item.content.map((c) => ('text' in c ? c.text : '')).join('') : item.type));

    it('makes, reads, updates and deletes a conversation, in the shapes of the official client', async () => {
      const made = await client.conversations.create({ metadata: { topic: 'plans' }, items: [message('Hello')] });
      const read = await client.conversations.retrieve(made.id);
      const updated = await client.conversations.update(made.id, { metadata: { topic: 'changed' } });
      const deleted = await client.conversations.delete(made.id);

      expect(made).toMatchObject({ id: expect.stringMatching(/^conv_[0-9a-f]{48}$/), object: 'conversation', created_at: expect.any(Number), metadata: { topic: 'plans' } });
      expect(read).toEqual(made);
      expect(updated.metadata).toEqual({ topic: 'changed' });
      expect(deleted).toEqual({ id: made.id, object: 'conversation.deleted', deleted: true });
      expect(fake.conversations.has(made.id)).toBe(false);
      await expect(client.conversations.retrieve(made.id)).rejects.toMatchObject({ status: 404, error: { message: `Conversation with id '${made.id}' not found.`, type: 'invalid_request_error', param: null, code: null } });
    });

    it('keeps items: added, listed by page in either order, read and deleted one by one', async () => {
      const made = await client.conversations.create({ items: [message('one')] });
      const added = await client.conversations.items.create(made.id, { items: [message('two'), message('three')] });
      const newestFirst = [];
      for await (const item of client.conversations.items.list(made.id, { limit: 2 })) newestFirst.push(item);
      const page = await client.conversations.items.list(made.id, { order: 'asc', limit: 2 });
      const second = await client.conversations.items.retrieve(added.data[0]!.id!, { conversation_id: made.id });
      const after = await client.conversations.items.delete(added.data[0]!.id!, { conversation_id: made.id });
      const left = await client.conversations.items.list(made.id, { order: 'asc' });

      expect([added.object, texts(added.data)]).toEqual(['list', ['two', 'three']]);
      expect(texts(newestFirst)).toEqual(['three', 'two', 'one']);
      expect([texts(page.data), page.has_more]).toEqual([['one', 'two'], true]);
      expect(texts([second])).toEqual(['two']);
      expect(after).toMatchObject({ id: made.id, object: 'conversation' });
      expect(texts(left.data)).toEqual(['one', 'three']);
      await expect(client.conversations.items.retrieve(added.data[0]!.id!, { conversation_id: made.id })).rejects.toMatchObject({ status: 404, message: `404 Item with id '${added.data[0]!.id!}' not found.` });
    });

    it("keeps a Responses call's input and output in the conversation it names", async () => {
      const made = await client.conversations.create();
      await client.responses.create({ model: 'gpt-4.1', input: 'Hi', conversation: made.id });

      const items = await client.conversations.items.list(made.id, { order: 'asc' });

      expect(texts(items.data)).toEqual(['Hi', 'Echo: Hi']);
      expect(fake.conversations.get(made.id)).toEqual({ calls: 1 });
    });

    it.each([
      ['an update without metadata', (id: string) => client.conversations.update(id, {} as OpenAI.Conversations.ConversationUpdateParams), { status: 400, code: 'missing_required_parameter', param: 'metadata' }],
      ['items added without items', (id: string) => client.conversations.items.create(id, {} as OpenAI.Conversations.ItemCreateParams), { status: 400, code: 'missing_required_parameter', param: 'items' }],
      ['more than 20 items at once', (id: string) => client.conversations.items.create(id, { items: Array.from({ length: 21 }, (_, i) => message(String(i))) }), { status: 400, code: 'array_above_max_length', param: 'items' }],
    ])('refuses %s as the real API does', async (_case, act, expected) => {
      const made = await client.conversations.create();

      await expect(act(made.id)).rejects.toMatchObject(expected);
    });

    it("answers a conversation's routes with the test's own-answer reply, as an account failing would", async () => {
      const made = await client.conversations.create();
      fake.reply({ kind: 'error', status: 503 });

      const outcomes = await Promise.all([client.conversations.create().catch((e: unknown) => e), client.conversations.items.list(made.id).catch((e: unknown) => e)]);

      expect(outcomes).toMatchObject([{ status: 503 }, { status: 503 }]);
      expect(fake.conversations.size).toBe(1);
    });

    it("does not hold another account's conversations", async () => {
      const other = await startFakeOpenAI({ apiKey: API_KEY });
      try {
        const made = await new OpenAI({ apiKey: API_KEY, baseURL: other.url, maxRetries: 0, timeout: 5_000 }).conversations.create();

        await expect(client.conversations.items.list(made.id)).rejects.toMatchObject({ status: 404, message: `404 Conversation with id '${made.id}' not found.` });
      } finally {
        await other.close();
      }
    });
  });

  describe('embeddings', () => {
    it('answers float and base64 with the same deterministic vectors, which the official client decodes', async () => {
      // Act
      const [b64, floats] = await Promise.all([
        client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] }),
        client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'], encoding_format: 'float', dimensions: 4 }),
      ]);

      // Assess
      expect(b64.data.map((d) => Array.from(d.embedding))).toEqual([embeddingVector('one'), embeddingVector('two')]);
      expect(floats.data.map((d) => d.embedding)).toEqual([embeddingVector('one', 4), embeddingVector('two', 4)]);
      expect(floats).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 2, total_tokens: 2 } });
      expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    });

    it('refuses a wrong key and an empty input as the real API does', async () => {
      const wrongKey = new OpenAI({ apiKey: 'sk-wrong-0000000000000000', baseURL: fake.url, maxRetries: 0 });

      await expect(wrongKey.embeddings.create({ model: 'm', input: 'x' })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      await expect(client.embeddings.create({ model: 'm', input: '' })).rejects.toMatchObject({ status: 400 });
    });
  });

  describe('rerank', () => {
    const rerank = (url: string, body: unknown, key = API_KEY) =>
      fetch(`${url}/rerank`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const documents = ['Berlin is the capital of Germany.', { text: 'Paris is the capital of France.' }];

    it('answers as Jina and vLLM do: scores best first, each document, and the tokens used', async () => {
      // Act
      const res = await rerank(fake.url, { model: 'jina-reranker-v2', query: 'capital of France', documents, top_n: 1 });

      // Assess
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        model: 'jina-reranker-v2',
        usage: { total_tokens: rerankTokens('capital of France', ['Berlin is the capital of Germany.', 'Paris is the capital of France.']), prompt_tokens: expect.any(Number) },
        results: [{ index: 1, document: { text: 'Paris is the capital of France.' }, relevance_score: rerankScore('capital of France', 'Paris is the capital of France.') }],
      });
    });

    it('answers as Cohere v2 does when told to: search units billed, no usage, no documents', async () => {
      const cohere = await startFakeOpenAI({ apiKey: API_KEY, rerank: 'cohere' });
      try {
        const res = await rerank(cohere.url, { model: 'rerank-v3.5', query: 'capital of France', documents: ['a', 'b'] });

        expect(await res.json()).toEqual({ id: expect.any(String), results: rankDocuments('capital of France', ['a', 'b']), meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } });
      } finally {
        await cohere.close();
      }
    });

    it('refuses a wrong key and a body without documents', async () => {
      expect((await rerank(fake.url, { model: 'm', query: 'q', documents: ['a'] }, 'sk-wrong')).status).toBe(401);
      expect((await rerank(fake.url, { model: 'm', query: 'q', documents: [] })).status).toBe(400);
    });
  });

  describe('through the official openai client', () => {
    it('answers a non-stream create with an echo of the last user message', async () => {
      // Act
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER });

      // Assess
      expect(completion).toMatchObject({
        object: 'chat.completion',
        model: 'gpt-4o-mini',
        service_tier: 'default',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Echo: hello world', refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { completion_tokens: 3, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
      });
      expect(completion.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
      expect(completion.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
      expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + 3);
    });

    it('records what the client sent, unknown fields included', async () => {
      // Prepare
      const params = { model: 'gpt-4o', messages: USER, max_tokens: 5, x_custom: { a: 1 } };

      // Act
      await client.chat.completions.create(params);

      // Assess
      const [sent] = fake.requests;
      expect(sent).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'gpt-4o', max_tokens: 5, x_custom: { a: 1 } } });
      expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(sent?.receivedAt).toBeGreaterThan(0);
    });

    it('streams text deltas that for-await assembles, with one id for every chunk', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'Hello there, friend', chunks: ['Hel', 'lo there', ', friend'] });

      // Act
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER, stream: true });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      // Assess
      expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
        { role: 'assistant', content: '', refusal: null },
        { content: 'Hel' },
        { content: 'lo there' },
        { content: ', friend' },
        {},
      ]);
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && !('usage' in c))).toBe(true);
    });

    it('sends usage: null on every chunk and then a usage chunk when include_usage is set', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'Hi', usage: { prompt: 11, completion: 1, cached: 4, reasoning: 0 } });

      // Act
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: USER,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      // Assess
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 1, total_tokens: 12, prompt_tokens_details: { cached_tokens: 4 } });
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
      expect(chunks.at(-2)?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    });

    it('gives chat.completions.stream() a final completion with content and usage', async () => {
      // Act
      const runner = client.chat.completions.stream({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'stream me' }],
        stream_options: { include_usage: true },
      });
      const final = await runner.finalChatCompletion();

      // Assess
      expect(final.choices[0]?.message.content).toBe('Echo: stream me');
      expect(final.choices[0]?.finish_reason).toBe('stop');
      expect(final.usage?.completion_tokens).toBe(3);
      expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });

    it('streams parallel tool calls that the client assembles into whole arguments', async () => {
      // Prepare
      fake.reply({
        kind: 'tool_calls',
        calls: [
          { id: 'call_weather', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
          { name: 'get_time', arguments: '{"tz":"Europe/Paris"}', argumentChunks: ['{"tz":', '"Europe/', 'Paris"}'] },
        ],
      });

      // Act
      const final = await client.chat.completions
        .stream({ model: 'gpt-4o-mini', messages: USER, tools: [fn('get_weather'), fn('get_time')] })
        .finalChatCompletion();

      // Assess
      const [choice] = final.choices;
      expect(choice?.finish_reason).toBe('tool_calls');
      expect(choice?.message.content).toBeNull();
      expect(choice?.message.tool_calls).toEqual([
        { id: 'call_weather', type: 'function', function: expect.objectContaining({ name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' }) },
        { id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/), type: 'function', function: expect.objectContaining({ name: 'get_time', arguments: '{"tz":"Europe/Paris"}' }) },
      ]);
    });

    it('answers tool calls without streaming as one message with content null', async () => {
      // Prepare
      fake.reply({ kind: 'tool_calls', calls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }] });

      // Act
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER, tools: [fn('get_weather')] });

      // Assess
      expect(completion.choices[0]).toMatchObject({
        finish_reason: 'tool_calls',
        message: { content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      });
    });

    it.each([
      [400, OpenAI.BadRequestError, 'context_length_exceeded'],
      [403, OpenAI.PermissionDeniedError, 'unsupported_country_region_territory'],
      [404, OpenAI.NotFoundError, 'model_not_found'],
      [429, OpenAI.RateLimitError, 'rate_limit_exceeded'],
      [500, OpenAI.InternalServerError, null],
      [503, OpenAI.InternalServerError, null],
    ])('raises the typed error for a %i with the real body', async (status, ErrorClass, code) => {
      // Prepare
      fake.reply({ kind: 'error', status });

      // Act
      const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toMatchObject({ status, code });
    });

    it('sends retry-after with a 429 and lets a test override the body', async () => {
      // Prepare
      fake.reply({ kind: 'error', status: 429, body: { error: { message: 'quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } }, headers: { 'retry-after': '7' } });

      // Act
      const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
      expect(error).toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
    });

    it('rejects another API key with the real 401 invalid_api_key', async () => {
      // Prepare
      const stranger = new OpenAI({ apiKey: 'sk-stranger-key-123456789', baseURL: fake.url, maxRetries: 0 });

      // Act
      const error = await stranger.chat.completions.create({ model: 'gpt-4o-mini', messages: USER }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error', param: null });
      expect((error as Error).message).toContain('Incorrect API key provided: sk-stran*************6789.');
    });

    it('raises an APIError when a stream carries an error event', async () => {
      // Prepare
      fake.reply({
        kind: 'raw',
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: ['data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n', 'data: {"error":{"message":"boom","type":"server_error","code":null}}\n\n'],
      });

      // Act
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER, stream: true });
      const consume = async (): Promise<void> => {
        for await (const chunk of stream) void chunk;
      };

      // Assess
      await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    });

    it('ends a stream with an in-band error chunk and no [DONE], which the client raises', async () => {
      // Prepare
      fake.reply({ kind: 'stream-error', afterChunks: 2, error: { message: 'Provider disconnected', type: 'server_error', code: 500 } });

      // Act
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER, stream: true });
      const seen: string[] = [];
      const thrown = await (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);

      // Assess
      expect(seen).toEqual(['', 'Echo:']);
      expect(thrown).toBeInstanceOf(OpenAI.APIError);
      expect((thrown as Error).message).toContain('Provider disconnected');
    });

    it('breaks the client stream when the connection drops mid-stream', async () => {
      // Prepare
      fake.reply({ kind: 'drop', afterChunks: 2 });

      // Act
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER, stream: true });
      const seen: string[] = [];
      const consume = async (): Promise<void> => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      };

      // Assess
      await expect(consume()).rejects.toThrow();
      expect(seen).toEqual(['', 'Echo:']);
    });

    it('lists models in the real list shape', async () => {
      // Act
      const models = await client.models.list();

      // Assess
      expect(models.data[0]).toEqual({ id: 'gpt-4o-mini', object: 'model', created: expect.any(Number), owned_by: 'system' });
    });
  });

  describe('on the wire', () => {
    it('frames a stream exactly as data: …\\n\\n events ending with data: [DONE]', async () => {
      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER, stream: true, stream_options: { include_usage: true } });
      const text = await res.text();

      // Assess
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(text).toMatch(/^(data: \{[^\n]+\}\n\n)+data: \[DONE\]\n\n$/);
      const events = text.split('\n\n').filter((e) => e !== '' && e !== 'data: [DONE]');
      const chunks = events.map((e) => JSON.parse(e.slice('data: '.length)) as Record<string, unknown>);
      expect(chunks.every((c) => typeof c['obfuscation'] === 'string' && c['usage'] !== undefined)).toBe(true);
      expect(Object.keys(chunks[0] ?? {})).toEqual(['id', 'object', 'created', 'model', 'service_tier', 'system_fingerprint', 'choices', 'usage', 'obfuscation']);
    });

    it('leaves out obfuscation when include_obfuscation is false', async () => {
      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER, stream: true, stream_options: { include_obfuscation: false } });

      // Assess
      expect(await res.text()).not.toContain('obfuscation');
    });

    it('writes each stream event separately, chunkDelayMs apart', async () => {
      // Prepare
      const slow = await startFakeOpenAI({ chunkDelayMs: 30 });
      slow.reply({ kind: 'text', text: 'one two three' });

      // Act
      const arrivals = await new Promise<{ at: number; data: string }[]>((resolve, reject) => {
        const req = httpRequest(`${slow.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          const seen: { at: number; data: string }[] = [];
          res.setEncoding('utf8');
          res.on('data', (data: string) => seen.push({ at: Date.now(), data }));
          res.on('end', () => resolve(seen));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'gpt-4o-mini', messages: USER, stream: true }));
      });
      await slow.close();

      // Assess: role, 3 words, finish, [DONE].
      expect(arrivals.map((a) => a.data.split('\n\n').length - 1)).toEqual([1, 1, 1, 1, 1, 1]);
      expect((arrivals.at(-1)?.at ?? 0) - (arrivals[0]?.at ?? 0)).toBeGreaterThanOrEqual(5 * 25);
    });

    it('answers an unknown path with the real 404 body, pretty-printed with 4 spaces', async () => {
      // Act
      const res = await fetch(`${fake.url}/foo`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });

      // Assess
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(
        '{\n    "error": {\n        "message": "Invalid URL (POST /v1/foo)",\n        "type": "invalid_request_error",\n        "param": null,\n        "code": null\n    }\n}\n',
      );
    });

    it('sends a 429 with retry-after and the real rate-limit body by default', async () => {
      // Prepare
      fake.reply({ kind: 'error', status: 429 });

      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER });

      // Assess
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
      expect(await res.json()).toEqual({
        error: { message: expect.stringContaining('Rate limit reached for gpt-4o-mini'), type: 'requests', param: null, code: 'rate_limit_exceeded' },
      });
    });

    it('answers 500 naming the cause when a responder throws', async () => {
      // Prepare
      fake.reply(() => {
        throw new Error('bad fixture');
      });

      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER });

      // Assess
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { message: 'fake-openai failed: bad fixture' } });
    });

    it.each([
      {
        name: 'a tool call left unanswered before the next user message',
        messages: [...USER, { role: 'assistant', tool_calls: [call('call_a'), call('call_b')] }, { role: 'tool', tool_call_id: 'call_b', content: 'x' }, ...USER],
        param: 'messages.[3].role',
        message: /did not have response messages: call_a$/,
      },
      {
        name: 'a tool message after a user message',
        messages: [...USER, { role: 'assistant', tool_calls: [call('call_a')] }, ...USER, { role: 'tool', tool_call_id: 'call_a', content: 'x' }],
        param: 'messages.[2].role',
        message: /did not have response messages: call_a$/,
      },
      { name: 'a tool message answering no call', messages: [...USER, { role: 'tool', tool_call_id: 'call_a', content: 'x' }], param: 'messages.[1].role', message: /must be a response to a preceeding message/ },
    ])('refuses $name with a 400, like the real API', async ({ messages, param, message }) => {
      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages });

      // Assess
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param, type: 'invalid_request_error', message: expect.stringMatching(message) } });
    });

    it('takes tool messages in any order right after their calls', async () => {
      // Act
      const messages = [...USER, { role: 'assistant', tool_calls: [call('call_a'), call('call_b')] }, { role: 'tool', tool_call_id: 'call_b', content: 'x' }, { role: 'tool', tool_call_id: 'call_a', content: 'y' }, ...USER];
      const res = await post(fake, { model: 'gpt-4o-mini', messages });

      // Assess
      expect(res.status).toBe(200);
    });

    it('refuses stream_options without stream with a 400, like the real API', async () => {
      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER, stream_options: { include_usage: true } });

      // Assess
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param: 'stream_options', type: 'invalid_request_error' } });
    });

    it('sends the SSE headers and then nothing for hang-after-headers', async () => {
      // Prepare
      fake.reply({ kind: 'hang-after-headers' });

      // Act
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER, stream: true }, AbortSignal.timeout(300));
      const body = res.text().catch((e: unknown) => e);

      // Assess
      expect(res.status).toBe(200);
      expect(await body).toMatchObject({ name: 'TimeoutError' });
    });

    it('ends hanging requests when closed', async () => {
      // Prepare
      const hanging = await startFakeOpenAI();
      hanging.reply({ kind: 'hang' });
      const pending = post(hanging, { model: 'gpt-4o-mini', messages: USER }).catch((e: unknown) => e);
      await until(() => hanging.requests.length === 1);

      // Act
      await hanging.close();

      // Assess
      expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' }); // undici's TypeError, from another realm than jest's
    });

    it('forgets requests and replies on reset', async () => {
      // Prepare
      fake.reply({ kind: 'error', status: 500 });
      await post(fake, { model: 'gpt-4o-mini', messages: USER });

      // Act
      fake.reset();
      const res = await post(fake, { model: 'gpt-4o-mini', messages: USER });

      // Assess
      expect(res.status).toBe(200);
      expect(fake.requests).toHaveLength(1);
    });
  });
});

function fn(name: string): OpenAI.ChatCompletionTool {
  return { type: 'function', function: { name, parameters: { type: 'object', properties: {} } } };
}

function post(fake: FakeOpenAI, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${fake.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}
