import OpenAI, { AzureOpenAI } from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from './azure-openai';
import { embeddingVector } from './openai-wire';

const KEY = 'azure-key-0123456789';
const messages = [{ role: 'user' as const, content: 'hello there' }];

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The `data:` payloads of an SSE body. */
function dataOf(sse: string): unknown[] {
  return sse
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.slice('data: '.length))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

describe('fake Azure OpenAI', () => {
  let fake: FakeAzureOpenAI;
  let azure: AzureOpenAI;
  beforeAll(async () => {
    fake = await startFakeAzureOpenAI({ apiKey: KEY, deployments: { gpt4o: 'gpt-4o-2024-11-20' } });
    azure = new AzureOpenAI({ endpoint: fake.url, apiKey: KEY, apiVersion: '2024-10-21', deployment: 'gpt4o', maxRetries: 0, timeout: 5_000 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('answers the official Azure client on the deployments path, taking the key from api-key', async () => {
    // Act
    const completion = await azure.chat.completions.create({ model: 'ignored', messages });

    // Assess
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-2024-11-20', choices: [{ message: { content: 'Echo: hello there' }, finish_reason: 'stop' }] });
    expect(completion).toHaveProperty('prompt_filter_results');
    expect(fake.requests[0]).toMatchObject({ path: '/openai/deployments/gpt4o/chat/completions', search: '?api-version=2024-10-21' });
    expect(fake.requests[0]!.headers['api-key']).toBe(KEY);
  });

  it('embeds through the official Azure client on the deployments path (base64, as the client asks)', async () => {
    // Act
    const res = await azure.embeddings.create({ model: 'ignored', input: ['a', 'b'] });

    // Assess
    expect(res.data.map((d) => Array.from(d.embedding))).toEqual([embeddingVector('a'), embeddingVector('b')]);
    expect(res.model).toBe('gpt-4o-2024-11-20');
    expect(fake.requests[0]).toMatchObject({ path: '/openai/deployments/gpt4o/embeddings', search: '?api-version=2024-10-21' });
  });

  it('streams with the prompt filter chunk first and annotation chunks without a delta, one after the finish', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'one two three four', usage: { prompt: 7, completion: 4 } });

    // Act
    const res = await post(`${fake.url}/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21`, { 'api-key': KEY }, { messages, stream: true, stream_options: { include_usage: true } });

    // Assess
    const chunks = dataOf(res.text) as { id: string; choices: { delta?: { content?: string }; finish_reason: string | null }[]; usage?: unknown }[];
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(chunks[0]).toMatchObject({ id: '', choices: [], prompt_filter_results: [{ prompt_index: 0 }] });
    expect(chunks.at(-1)).toBe('[DONE]');
    const finishAt = chunks.findIndex((c) => c.choices?.[0]?.finish_reason === 'stop');
    expect(chunks[finishAt + 1]).toMatchObject({ id: '', choices: [{ finish_reason: null }] });
    expect(chunks[finishAt + 1]!.choices[0]).not.toHaveProperty('delta');
    expect(chunks[finishAt + 2]).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 4 } });
    expect(chunks.flatMap((c) => c.choices?.map((ch) => ch.delta?.content ?? '') ?? []).join('')).toBe('one two three four');
  });

  it('reads a stream through the official client despite the extra chunks', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'filtered words', finishReason: 'content_filter' });

    // Act
    const stream = await azure.chat.completions.create({ model: 'ignored', messages, stream: true });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }

    // Assess
    expect(text).toBe('filtered words');
    expect(finish).toBe('content_filter');
  });

  it('serves the v1 path with the deployment as model, also with the key as a Bearer token', async () => {
    // Prepare
    const client = new OpenAI({ baseURL: `${fake.url}/openai/v1`, apiKey: KEY, maxRetries: 0 });

    // Act
    const completion = await client.chat.completions.create({ model: 'gpt4o', messages });

    // Assess
    expect(completion.model).toBe('gpt-4o-2024-11-20');
    expect(fake.requests[0]).toMatchObject({ path: '/openai/v1/chat/completions', search: '' });
  });

  it.each([
    { name: 'a deployments call without api-version', path: '/openai/deployments/gpt4o/chat/completions', key: KEY, status: 404, body: { error: { code: '404', message: 'Resource not found' } } },
    { name: 'an unknown deployment', path: '/openai/deployments/nope/chat/completions?api-version=2024-10-21', key: KEY, status: 404, body: { error: { code: 'DeploymentNotFound' } } },
    { name: 'a wrong key', path: '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21', key: 'wrong', status: 401, body: { error: { code: '401', message: expect.stringMatching(/^Access denied due to invalid subscription key/) } } },
  ])('answers $name with Azure’s error', async ({ path, key, status, body }) => {
    // Act
    const res = await post(`${fake.url}${path}`, { 'api-key': key }, { messages });

    // Assess
    expect(res.status).toBe(status);
    expect(JSON.parse(res.text)).toMatchObject(body);
  });

  it('answers a filtered prompt with a 400 carrying code content_filter', async () => {
    // Prepare
    fake.reply({ kind: 'prompt_filtered' });

    // Act
    const res = await post(`${fake.url}/openai/v1/chat/completions`, { 'api-key': KEY }, { model: 'gpt4o', messages });

    // Assess
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'content_filter', param: 'prompt', status: 400, innererror: { code: 'ResponsibleAIPolicyViolation' } } });
  });

  it('answers a 429 with retry-after in seconds and milliseconds', async () => {
    // Prepare
    fake.reply({ kind: 'error', status: 429 });

    // Act
    const res = await post(`${fake.url}/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21`, { 'api-key': KEY }, { messages });

    // Assess
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('6');
    expect(res.headers.get('retry-after-ms')).toBe('6000');
    expect(JSON.parse(res.text).error.message).toMatch(/API version 2024-10-21 .* Please retry after 6 seconds/);
  });

  it('lets the deployments path go without api-version when told to', async () => {
    // Prepare
    const lenient = await startFakeAzureOpenAI({ apiVersionRequired: false });

    // Act
    const res = await post(`${lenient.url}/openai/deployments/any/chat/completions`, {}, { messages });
    await lenient.close();

    // Assess
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).model).toBe('any');
  });

  it('keeps conversations on the v1 path as OpenAI does, for the openai client with the key as api-key', async () => {
    // Prepare
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${fake.url}/openai/v1`, defaultHeaders: { 'api-key': KEY }, maxRetries: 0 });

    // Act
    const made = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Hi' }], metadata: { topic: 'a' } });
    const read = await client.conversations.retrieve(made.id);
    await client.conversations.items.create(made.id, { items: [{ type: 'message', role: 'assistant', content: 'Hello' }] });
    const items = await client.conversations.items.list(made.id, { order: 'asc' });
    const missing = await client.conversations.retrieve('conv_nope').then(() => undefined, (e: unknown) => e);

    // Assess
    expect(read).toMatchObject({ id: made.id, object: 'conversation', metadata: { topic: 'a' } });
    expect(items.data.map((item) => item.type === 'message' && item.role)).toEqual(['user', 'assistant']);
    expect(missing).toMatchObject({ status: 404, message: "404 Conversation with id 'conv_nope' not found." });
    expect(fake.conversations.ids).toEqual([made.id]);
  });

  it('answers conversations with the resource 404 when told it serves none', async () => {
    // Prepare
    const without = await startFakeAzureOpenAI({ apiKey: KEY, conversations: false });

    // Act
    const res = await post(`${without.url}/openai/v1/conversations`, { 'api-key': KEY }, {});
    await without.close();

    // Assess
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });
});
