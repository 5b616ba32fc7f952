import { ApiError, GoogleGenAI } from '@google/genai';
import { geminiEmbedding, googleCompactJson, startFakeGemini, type FakeGemini } from './gemini';

const API_KEY = 'AIzaSyFake-0123456789abcdefghijklmnop';
const MODEL = 'gemini-2.5-flash';
const HELLO = { contents: [{ role: 'user', parts: [{ text: 'hello world' }] }] };

describe('fake Gemini upstream', () => {
  let fake: FakeGemini;
  let client: GoogleGenAI;

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: API_KEY });
    client = new GoogleGenAI({
      apiKey: API_KEY,
      // Without a fetch of its own the SDK dispatches through the undici global dispatcher it
      // finds on globalThis, which jest's sandboxed globalThis does not have.
      httpOptions: { baseUrl: fake.url, retryOptions: { attempts: 1 }, timeout: 5_000, fetch: (input, init) => fetch(input, init) },
    });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const post = (method: string, body: unknown, init: { key?: string | null; query?: string } = {}) =>
    fetch(`${fake.url}/v1beta/models/${MODEL}:${method}${init.query ?? ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(init.key === null ? {} : { 'x-goog-api-key': init.key ?? API_KEY }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  describe('batchEmbedContents', () => {
    const EMBEDDER = 'gemini-embedding-001';
    const embed = (body: unknown) =>
      fetch(`${fake.url}/v1beta/models/${EMBEDDER}:batchEmbedContents`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': API_KEY }, body: JSON.stringify(body) });
    const request = (text: string, extra: Record<string, unknown> = {}) => ({ model: `models/${EMBEDDER}`, content: { parts: [{ text }] }, ...extra });

    it('embeds through the official client (embedContent), one vector per text in order', async () => {
      // Act
      const response = await client.models.embedContent({ model: EMBEDDER, contents: ['first', 'second'], config: { outputDimensionality: 8 } });

      // Assess
      expect(response.embeddings?.map((e) => e.values)).toEqual([geminiEmbedding(EMBEDDER, 'first', 8), geminiEmbedding(EMBEDDER, 'second', 8)]);
      expect(fake.requests[0]?.path).toBe(`/v1beta/models/${EMBEDDER}:batchEmbedContents`);
    });

    it("answers in Google's shape with the model's own size and no token count", async () => {
      const res = await embed({ requests: [request('a')] });

      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ embeddings: [{ values: geminiEmbedding(EMBEDDER, 'a') }] });
      expect(geminiEmbedding(EMBEDDER, 'a')).toHaveLength(3072);
    });

    it.each([
      { name: 'more than 100 requests', body: { requests: Array.from({ length: 101 }, () => request('x')) }, message: /at most 100 requests/ },
      { name: 'a request naming another model', body: { requests: [{ ...request('x'), model: 'models/text-embedding-004' }] }, message: /Model names should be the same/ },
      { name: 'an empty text', body: { requests: [request('')] }, message: /parts must not be empty/ },
    ])('refuses $name with a 400 INVALID_ARGUMENT', async ({ body, message }) => {
      const res = await embed(body);

      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringMatching(message) } });
    });

    it("answers a test's error reply in Google's error shape", async () => {
      fake.reply({ kind: 'error', status: 503 });

      const res = await embed({ requests: [request('x')] });

      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { status: 'UNAVAILABLE' } });
    });
  });

  describe('through the official @google/genai client', () => {
    it('answers generateContent with an echo, usage and the model version', async () => {
      // Act
      const response = await client.models.generateContent({ model: MODEL, contents: 'hello world' });

      // Assess
      expect(response.text).toBe('Echo: hello world');
      expect(response.candidates?.[0]).toMatchObject({ content: { role: 'model' }, finishReason: 'STOP', index: 0 });
      expect(response.modelVersion).toBe(MODEL);
      expect(response.responseId).toMatch(/^[A-Za-z0-9]{22}$/);
      expect(response.usageMetadata).toMatchObject({ candidatesTokenCount: 3 });
      expect(fake.requests[0]?.headers['x-goog-api-key']).toBe(API_KEY);
    });

    it('streams text chunks that the client assembles, with running usage', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'Hello there, friend', chunks: ['Hel', 'lo there', ', friend'], usage: { prompt: 5, candidates: 6 } });

      // Act
      const stream = await client.models.generateContentStream({ model: MODEL, contents: 'hi' });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);

      // Assess
      expect(chunks.map((c) => c.text)).toEqual(['Hel', 'lo there', ', friend']);
      expect(chunks.map((c) => c.usageMetadata?.candidatesTokenCount)).toEqual([2, 4, 6]);
      expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
      expect(fake.requests[0]?.search).toBe('?alt=sse');
    });

    it('returns function calls with their thought signature', async () => {
      // Prepare
      fake.reply({ kind: 'function_calls', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'c2lnbmF0dXJl' }] });

      // Act
      const response = await client.models.generateContent({ model: MODEL, contents: 'weather?' });

      // Assess
      expect(response.functionCalls).toEqual([{ name: 'weather', args: { city: 'Oslo' } }]);
      expect(response.candidates?.[0]?.content?.parts?.[0]?.thoughtSignature).toBe('c2lnbmF0dXJl');
    });

    it('raises an ApiError with status 429 and the RetryInfo detail', async () => {
      // Prepare
      fake.reply({ kind: 'error', status: 429, retryDelay: '31s' });

      // Act
      const failure = await client.models.generateContent({ model: MODEL, contents: 'x' }).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).status).toBe(429);
      expect((failure as ApiError).message).toContain('"retryDelay":"31s"');
    });
  });

  describe('over plain HTTP', () => {
    it('frames SSE events as Google does: compact JSON, \\r\\n\\r\\n, no [DONE]', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'a b', usage: { prompt: 3, candidates: 2 } });

      // Act
      const res = await post('streamGenerateContent', HELLO, { query: '?alt=sse' });
      const text = await res.text();

      // Assess
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const events = text.split('\r\n\r\n');
      expect(events.at(-1)).toBe('');
      expect(events.slice(0, -1).every((e) => e.startsWith('data: {"candidates": [{"content": {"parts": [{"text": '))).toBe(true);
      expect(text).not.toContain('[DONE]');
      const last = JSON.parse((events.at(-2) as string).slice('data: '.length));
      expect(last).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 }, modelVersion: MODEL });
    });

    it('answers streamGenerateContent without alt=sse with one JSON array', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'one two three' });

      // Act
      const res = await post('streamGenerateContent', HELLO);
      const body = (await res.json()) as { candidates: { content: { parts: { text: string }[] } }[] }[];

      // Assess
      expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
      expect(body.map((e) => e.candidates[0]?.content.parts[0]?.text)).toEqual(['one', ' two', ' three']);
    });

    it.each([
      { name: 'all in one event', callsApart: false, expected: [['a', 'b']] },
      { name: 'each in its own event with callsApart', callsApart: true, expected: [['a'], ['b']] },
    ])('streams parallel function calls $name', async ({ callsApart, expected }) => {
      // Prepare
      fake.reply({ kind: 'function_calls', calls: [{ name: 'a' }, { name: 'b' }], callsApart });

      // Act
      const res = await post('streamGenerateContent', HELLO);
      const body = (await res.json()) as { candidates: { content: { parts: { functionCall?: { name: string } }[] } }[] }[];

      // Assess
      expect(body.map((e) => e.candidates[0]?.content.parts.map((p) => p.functionCall?.name))).toEqual(expected);
    });

    it('merges thoughts and text into one candidate for generateContent', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'The answer.', thoughts: 'Thinking it over', usage: { prompt: 4, candidates: 2, thoughts: 9 } });

      // Act
      const body = await (await post('generateContent', HELLO)).json();

      // Assess
      expect(body).toMatchObject({
        candidates: [{ content: { parts: [{ text: 'Thinking it over', thought: true }, { text: 'The answer.' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, thoughtsTokenCount: 9, totalTokenCount: 15 },
      });
    });

    it('answers a blocked prompt with promptFeedback and no candidates', async () => {
      // Prepare
      fake.reply({ kind: 'blocked', reason: 'SAFETY' });

      // Act
      const body = await (await post('generateContent', HELLO)).json();

      // Assess
      expect(body).toMatchObject({ promptFeedback: { blockReason: 'SAFETY' } });
      expect(body).not.toHaveProperty('candidates');
    });

    it.each([
      { name: 'a wrong key with 400 API_KEY_INVALID', key: 'AIza-wrong', status: 400, reason: 'API_KEY_INVALID', googleStatus: 'INVALID_ARGUMENT' },
      { name: 'a missing key with 403 PERMISSION_DENIED', key: null, status: 403, reason: undefined, googleStatus: 'PERMISSION_DENIED' },
    ])('rejects $name', async ({ key, status, reason, googleStatus }) => {
      // Act
      const res = await post('generateContent', HELLO, { key });
      const body = (await res.json()) as { error: { code: number; status: string; details?: { reason?: string }[] } };

      // Assess
      expect(res.status).toBe(status);
      expect(body.error).toMatchObject({ code: status, status: googleStatus });
      expect(body.error.details?.[0]?.reason).toBe(reason);
    });

    it('accepts the key as a ?key= query parameter too', async () => {
      // Act
      const res = await post('generateContent', HELLO, { key: null, query: `?key=${API_KEY}` });

      // Assess
      expect(res.status).toBe(200);
    });

    it.each([
      { model: 'gemini-3-pro-preview', level: 'MEDIUM', status: 400 },
      { model: 'gemini-3-pro-preview', level: 'MINIMAL', status: 400 },
      { model: 'gemini-3-pro-preview', level: 'LOW', status: 200 },
      { model: 'gemini-3-pro-preview', level: 'HIGH', status: 200 },
      { model: 'gemini-3-flash-preview', level: 'MEDIUM', status: 200 },
      { model: 'gemini-3.1-pro-preview', level: 'MINIMAL', status: 400 },
      { model: 'gemini-3.1-pro-preview', level: 'MEDIUM', status: 200 },
    ])('answers thinkingLevel $level for $model with $status (Gemini 3 Pro thinks at LOW or HIGH)', async ({ model, level, status }) => {
      // Act
      const res = await fetch(`${fake.url}/v1beta/models/${model}:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': API_KEY },
        body: JSON.stringify({ ...HELLO, generationConfig: { thinkingConfig: { thinkingLevel: level } } }),
      });

      // Assess
      expect(res.status).toBe(status);
    });

    it('sends a 429 whose retry delay is only in the body', async () => {
      // Prepare
      fake.reply({ kind: 'error', status: 429 });

      // Act
      const res = await post('generateContent', HELLO);
      const body = (await res.json()) as { error: { details: { '@type': string; retryDelay?: string }[] } };

      // Assess
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(body.error.details.find((d) => d['@type'].endsWith('RetryInfo'))?.retryDelay).toBe('17s');
    });

    it.each([
      { name: 'an empty contents', body: { contents: [] }, message: 'contents is not specified' },
      { name: 'an empty text part', body: { contents: [{ role: 'user', parts: [{ text: '' }] }] }, message: 'empty text parameter' },
      { name: 'a role other than user or model', body: { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, message: 'valid role' },
      {
        name: 'additionalProperties in a function schema',
        body: { ...HELLO, tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING' } }, additionalProperties: false } }] }] },
        message: 'Unknown name "additionalProperties"',
      },
      {
        name: 'an object without properties as parameters',
        body: { ...HELLO, tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: {} } }] }] },
        message: 'should be non-empty for OBJECT type',
      },
      { name: 'a body that is not JSON', body: '{nope', message: 'Invalid JSON payload' },
      {
        name: 'fewer function responses than the calls before them',
        body: {
          contents: [
            HELLO.contents[0],
            { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }, { functionCall: { name: 'g', args: {} } }] },
            { role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] },
          ],
        },
        message: 'number of function response parts is equal to the number of function call parts',
      },
    ])('refuses $name with Google\'s 400', async ({ body, message }) => {
      // Act
      const res = await post('generateContent', body);
      const error = ((await res.json()) as { error: { code: number; status: string; message: string } }).error;

      // Assess
      expect(res.status).toBe(400);
      expect(error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
      expect(error.message).toContain(message);
    });

    it('answers an unknown path with Google\'s HTML 404 page', async () => {
      // Act
      const res = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{}' });

      // Assess
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('text/html');
    });

    it.each([
      ['SSE', '?alt=sse'],
      ['the JSON array', ''],
    ])('ends %s with Google’s error object after the given number of events', async (_case, query) => {
      // Prepare
      const error = { code: 429, message: 'Quota exceeded.', status: 'RESOURCE_EXHAUSTED' };
      fake.reply({ kind: 'stream-error', afterEvents: 1, error });

      // Act
      const text = await (await post('streamGenerateContent', HELLO, { query })).text();

      // Assess
      const elements = query ? text.split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as unknown) : (JSON.parse(text) as unknown[]);
      expect(elements).toHaveLength(2);
      expect(elements[1]).toEqual({ error });
    });

    it('drops the connection after the given number of stream events', async () => {
      // Prepare
      fake.reply({ kind: 'drop', afterEvents: 1 });

      // Act
      const res = await post('streamGenerateContent', HELLO, { query: '?alt=sse' });
      const read = res.text();

      // Assess
      await expect(read).rejects.toThrow();
    });

    it('hangs without answering until the client gives up', async () => {
      // Prepare
      fake.reply({ kind: 'hang' });

      // Act
      const attempt = fetch(`${fake.url}/v1beta/models/${MODEL}:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': API_KEY },
        body: JSON.stringify(HELLO),
        signal: AbortSignal.timeout(100),
      });

      // Assess
      await expect(attempt).rejects.toThrow();
    });

    it('sends raw pieces exactly as given', async () => {
      // Prepare
      fake.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: ['data: {"a"', ': 1}\r\n\r\n'] });

      // Act
      const text = await (await post('streamGenerateContent', HELLO, { query: '?alt=sse' })).text();

      // Assess
      expect(text).toBe('data: {"a": 1}\r\n\r\n');
    });

    it('records the request with its path, query and parsed body', async () => {
      // Act
      await post('streamGenerateContent', HELLO, { query: '?alt=sse' });

      // Assess
      expect(fake.requests[0]).toMatchObject({ method: 'POST', path: `/v1beta/models/${MODEL}:streamGenerateContent`, search: '?alt=sse', body: HELLO });
    });
  });

  it('writes compact JSON with ": " after keys, as Google streams it', () => {
    expect(googleCompactJson({ a: [1, { b: 'x' }], c: null, d: undefined })).toBe('{"a": [1,{"b": "x"}],"c": null}');
  });
});
