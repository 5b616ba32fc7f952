import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { getEventListeners } from 'node:events';
import { Pool } from 'undici';
import { startHarness, eventually, UPSTREAM_KEY, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  // Failures in one case make accounts rest; each case starts from a healthy pool.
  h.health.clear();
});

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello' },
];

describe('non-streaming chat completions', () => {
  it('returns the upstream answer to the official client and records its usage', async () => {
    // Prepare
    h.upstream.reply({ kind: 'text', text: 'Hello there!', usage: { prompt: 12, completion: 3, cached: 4 } });

    // Act
    const completion = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages });

    // Assess
    expect(completion.choices[0]!.message.content).toBe('Hello there!');
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 3 });
    const sent = h.upstream.requests[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect((sent.body as { model: string }).model).toBe('gpt-4o-mini-2024-07-18');
    await eventually(async () => {
      const usage = (await h.usage()).find((u) => u.requestId && u.upstreamModel === 'gpt-4o-mini-2024-07-18' && u.inputTokens === 12);
      expect(usage).toMatchObject({ model: 'gpt-4o-mini', provider: 'primary', account: 'a', stream: false, status: 200, outcome: 'ok', outputTokens: 3, cacheReadTokens: 4, attempts: 1 });
      expect(usage!.latencyMs).toBeGreaterThan(0);
    });
  });

  it('passes fields it does not know to the upstream untouched', async () => {
    await h.openai().chat.completions.create({
      model: 'mini',
      messages,
      seed: 7,
      logit_bias: { '50256': -100 },
      // A field from a newer API version than the gateway knows.
      ...({ verbosity: 'low', metadata: { run: 'x' } } as object),
    });

    expect(h.upstream.requests[0]!.body).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', seed: 7, logit_bias: { '50256': -100 }, verbosity: 'low', metadata: { run: 'x' } });
  });

  it('accepts the key in x-api-key as well as a bearer token', async () => {
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': h.key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('streaming chat completions', () => {
  it('streams content to `for await` and hides the usage chunk the client did not ask for', async () => {
    h.upstream.reply({ kind: 'text', text: 'one two three', chunks: ['one', ' two', ' three'], usage: { prompt: 9, completion: 3 } });

    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(h.upstream.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    await eventually(async () => {
      expect((await h.usage()).filter((u) => u.stream === true && u.inputTokens === 9)).toEqual([
        expect.objectContaining({ outputTokens: 3, outcome: 'ok', status: 200 }),
      ]);
    });
  });

  it('sends a stream’s body on as the client’s bytes, with only the usage request added at its end', async () => {
    h.upstream.reply({ kind: 'text', text: 'one two', usage: { prompt: 9, completion: 2 } });
    // Spaced out as no serialiser of the gateway's would write it: what reaches the upstream shows whose bytes they are.
    // gpt-4o is its upstream's name too: nothing but the usage request has to change.
    const sent = `${JSON.stringify({ model: 'gpt-4o', messages, stream: true }, null, 2)}\n`;

    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' }, body: sent });
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(text).toContain('data: [DONE]');
    expect(h.upstream.requests[0]!.rawBody).toBe(`${sent.trimEnd().slice(0, -1)},"stream_options":{"include_usage":true}}`);
  });

  it('hides the usage chunk from the official client whose bytes went upstream with the usage request added, and records the usage', async () => {
    // Prepare: gpt-4o is its upstream's name too, so the client's bytes go on with the member added (not re-serialised).
    h.upstream.reply({ kind: 'text', text: 'one two', chunks: ['one', ' two'], usage: { prompt: 17, completion: 2 } });

    // Act
    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    // Assess
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(h.upstream.requests[0]!.rawBody).toBe(`${JSON.stringify({ model: 'gpt-4o', messages, stream: true }).slice(0, -1)},"stream_options":{"include_usage":true}}`);
    await eventually(async () => {
      expect((await h.usage()).filter((u) => u.stream === true && u.inputTokens === 17)).toEqual([expect.objectContaining({ model: 'gpt-4o', outputTokens: 2, outcome: 'ok', status: 200 })]);
    });
  });

  it('passes the usage chunk on when the client asked for it', async () => {
    h.upstream.reply({ kind: 'text', text: 'hi', usage: { prompt: 5, completion: 1 } });

    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } });
  });

  it('assembles a final completion with the client stream helper', async () => {
    h.upstream.reply({ kind: 'text', text: 'All assembled.', usage: { prompt: 4, completion: 2 } });

    const stream = h.openai().chat.completions.stream({ model: 'gpt-4o-mini', messages });
    const final = await stream.finalChatCompletion();

    expect(final.choices[0]!.message.content).toBe('All assembled.');
  });

  it('streams parallel tool calls whose arguments arrive in fragments', async () => {
    h.upstream.reply({
      kind: 'tool_calls',
      calls: [
        { id: 'call_weather', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}', argumentChunks: ['{"ci', 'ty":"Par', 'is","unit":"c"}'] },
        { id: 'call_time', name: 'get_time', arguments: '{"tz":"CET"}' },
      ],
      usage: { prompt: 30, completion: 20 },
    });
    const tools: OpenAI.ChatCompletionTool[] = ['get_weather', 'get_time'].map((name) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } }));

    const stream = h.openai().chat.completions.stream({ model: 'gpt-4o-mini', messages, tools });
    const final = await stream.finalChatCompletion();

    const calls = final.choices[0]!.message.tool_calls!;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls.map((c) => c.type === 'function' && [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['call_weather', 'get_weather', { city: 'Paris', unit: 'c' }],
      ['call_time', 'get_time', { tz: 'CET' }],
    ]);
    expect((h.upstream.requests[0]!.body as { tools: unknown[] }).tools).toHaveLength(2);
  });

  it('opens the stream with its first token (held until then, so an upstream error there fails over), and sends each token on before the upstream has finished', async () => {
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    h.upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [chunk('first'), chunk(' second'), 'data: [DONE]\n\n'], delayMs: 300 });

    const started = performance.now();
    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const opened = performance.now() - started;
    const arrivals: number[] = [];
    for await (const _ of stream) arrivals.push(performance.now() - started);

    expect(arrivals).toHaveLength(2);
    expect(opened).toBeGreaterThan(250);
    expect(arrivals[0]!).toBeLessThan(550);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThan(200);
  });

  it('ends a stream the upstream breaks off with an error the client raises, and records it', async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 2 });

    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'drop me' }], stream: true });
    const received: string[] = [];
    const consume = async () => {
      for await (const c of stream) received.push(c.choices[0]?.delta.content ?? '');
    };

    await expect(consume()).rejects.toThrow(/broke off the stream/);
    expect(received.length).toBeGreaterThan(0);
    await eventually(async () => {
      expect((await h.usage()).some((u) => u.outcome === 'interrupted' && u.errorCode === 'upstream_interrupted')).toBe(true);
    });
  });

  it('serves many requests on one kept-alive connection without piling listeners on its abort signal', async () => {
    h.upstream.reply({ kind: 'text', text: 'again', usage: { prompt: 3, completion: 1 } });
    // Every signal the gateway listens on, to count what is left on it afterwards.
    const signals = new Set<AbortSignal>();
    const listen = AbortSignal.prototype.addEventListener;
    AbortSignal.prototype.addEventListener = function (this: AbortSignal, ...args: Parameters<typeof listen>) {
      signals.add(this);
      return listen.apply(this, args);
    };
    const sockets = new Set<unknown>();
    const countSockets = (socket: unknown) => sockets.add(socket);
    h.gw.server.on('connection', countSockets);
    const pool = new Pool(h.gw.url, { connections: 1 });
    try {
      for (let i = 0; i < 30; i++) {
        const stream = i % 2 === 1;
        const res = await pool.request({
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...(stream ? { stream: true } : {}) }),
        });
        expect(res.statusCode).toBe(200);
        expect(await res.body.text()).toContain('again');
      }
    } finally {
      await pool.close();
      h.gw.server.off('connection', countSockets);
      AbortSignal.prototype.addEventListener = listen;
    }
    expect(sockets.size).toBe(1);
    expect(h.upstream.requests).toHaveLength(30);
    expect(signals.size).toBe(1);
    expect([...signals].map((signal) => getEventListeners(signal, 'abort').length)).toEqual([0]);
  });

  it('stops the upstream call and records an aborted request when the client goes away', async () => {
    h.upstream.reply({ kind: 'hang-after-headers' });
    const controller = new AbortController();
    const before = (await h.usage()).length;

    // The stream is held until its first event, which never comes: the client leaves while it waits for the headers.
    setTimeout(() => controller.abort(), 100);
    const consume = (async () => {
      const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
      for await (const _ of stream) {
        // nothing arrives
      }
    })();

    // The client left while it waited for the headers: its call rejects with the SDK's abort error.
    await consume.catch(() => undefined);
    await eventually(async () => {
      const rows = await h.usage();
      expect(rows.length).toBe(before + 1);
      expect(rows.some((u) => u.outcome === 'aborted' && u.stream === true)).toBe(true);
    });
  });
});

describe('errors reach the official client typed', () => {
  it('answers a missing field with 400 naming it', async () => {
    const err = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini' } as never)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'messages', type: 'invalid_request_error' });
  });

  it('answers an ill-typed field with 400 naming its path', async () => {
    const err = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 42 }] } as never)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('messages[0].content');
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key}` }, body: '{"model": "gpt-4o-mini",' });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
  });

  it('answers an unknown key with 401', async () => {
    const err = await h
      .openai({ apiKey: 'sk-gw-not-a-real-key' })
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('answers a request without a key with 401', async () => {
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', body: '{}' });

    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'missing_api_key' } });
  });

  it('answers a model the key may not use with 403', async () => {
    const err = await h
      .openai()
      .chat.completions.create({ model: 'claude-x', messages })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err).toMatchObject({ status: 403, code: 'model_not_allowed', param: 'model' });
  });

  it('answers an unknown model with 404', async () => {
    const err = await h
      .openai()
      .chat.completions.create({ model: 'gpt-9', messages })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('answers an unknown path with 404 and a wrong method with 405', async () => {
    const unknown = await fetch(`${h.gw.url}/v1/nothing-here`, { headers: { authorization: `Bearer ${h.key}` } });
    const wrongMethod = await fetch(`${h.gw.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${h.key}` } });

    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'unknown_url' } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('passes an upstream 429 on with its retry-after', async () => {
    h.upstream.reply({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });

    const err = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
  });

  it('passes an upstream 400 on in the same shape', async () => {
    h.upstream.reply({ kind: 'error', status: 400, body: { error: { message: "Invalid 'temperature'", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } });

    const err = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'temperature', code: 'invalid_value', message: expect.stringContaining("Invalid 'temperature'") });
  });

  it('reports the upstream refusing the gateway credentials as 502, not as the caller’s fault', async () => {
    h.upstream.reply({ kind: 'error', status: 401 });

    const err = await h
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
  });
});

describe('failover', () => {
  it('moves to the next target when the first answers 503, before anything reached the client', async () => {
    h.upstream.reply({ kind: 'error', status: 503 });
    h.backup.reply({ kind: 'text', text: 'from backup', usage: { prompt: 3, completion: 2 } });

    const completion = await h.openai().chat.completions.create({ model: 'gpt-4o', messages });

    expect(completion.choices[0]!.message.content).toBe('from backup');
    expect((h.backup.requests[0]!.body as { model: string }).model).toBe('gpt-4o-backup');
    await eventually(async () => {
      expect((await h.usage()).some((u) => u.provider === 'backup' && u.attempts === 2 && u.outcome === 'ok')).toBe(true);
    });
  });

  it('moves to the next target when the first has no such model (OpenAI\'s 404 model_not_found: the config\'s model, not the client\'s)', async () => {
    h.upstream.reply({ kind: 'error', status: 404, body: { error: { message: 'The model `gpt-4o` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' } } });
    h.backup.reply({ kind: 'text', text: 'from backup' });

    const completion = await h.openai().chat.completions.create({ model: 'gpt-4o', messages });

    expect(completion.choices[0]!.message.content).toBe('from backup');
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('lets a rate-limited account rest as long as it asked, so the next calls go straight to the next target', async () => {
    h.upstream.reply({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });
    h.backup.reply({ kind: 'text', text: 'from backup' });

    await h.openai().chat.completions.create({ model: 'gpt-4o', messages });
    const primaryCallsAfterFirst = h.upstream.requests.length;
    await h.openai().chat.completions.create({ model: 'gpt-4o', messages });
    await h.openai().chat.completions.create({ model: 'gpt-4o', messages });

    expect(primaryCallsAfterFirst).toBe(1);
    expect(h.upstream.requests).toHaveLength(1);
    expect(h.backup.requests).toHaveLength(3);
    await eventually(async () => {
      const attempts = (await h.usage()).slice(-3).map((u) => u.attempts);
      expect(attempts).toEqual([2, 1, 1]);
    });
  });

  it('still tries a resting account when every account rests', async () => {
    h.upstream.reply({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });
    await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => undefined);
    h.upstream.reply({ kind: 'text', text: 'back again' });

    const completion = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages });

    expect(completion.choices[0]!.message.content).toBe('back again');
    expect(h.upstream.requests).toHaveLength(2);
  });

  it('moves on when a stream’s first target is rate limited', async () => {
    h.upstream.reply({ kind: 'error', status: 429 });
    h.backup.reply({ kind: 'text', text: 'streamed from backup' });

    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';

    expect(text).toBe('streamed from backup');
  });
});

describe('GET /v1/models', () => {
  it('lists only the models the key may use, in OpenAI’s shape', async () => {
    const models = [];
    for await (const m of h.openai().models.list()) models.push(m.id);

    expect(models.sort()).toEqual(['gpt-4o', 'gpt-4o-mini', 'mini']);
  });

  it('retrieves one model the key may use, by name or alias, in OpenAI’s shape', async () => {
    const model = await h.openai().models.retrieve('gpt-4o-mini');
    const alias = await h.openai().models.retrieve('mini');

    expect(model).toEqual({ id: 'gpt-4o-mini', object: 'model', created: expect.any(Number), owned_by: 'primary' });
    expect(alias.id).toBe('mini');
  });

  it.each([
    ['a model the key may not use', 'claude-x'],
    ['a model that does not exist', 'gpt-9'],
    ['a name with a slash in it', 'org/gpt-4o'],
  ])('answers 404 for %s, the same answer either way', async (_name, id) => {
    const err = await h
      .openai()
      .models.retrieve(id)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ code: 'model_not_found', message: expect.stringContaining(id) });
  });

  it('retrieves a model in Anthropic’s shape for the Anthropic client', async () => {
    const model = await new Anthropic({ apiKey: h.key, baseURL: h.gw.url, maxRetries: 0 }).models.retrieve('gpt-4o');

    expect(model).toMatchObject({ type: 'model', id: 'gpt-4o', display_name: 'gpt-4o' });
  });
});

describe('errors in the caller’s shape on shared routes', () => {
  it('answers an Anthropic client’s bad key on /v1/models in Anthropic’s error shape', async () => {
    const res = await fetch(`${h.gw.url}/v1/models`, { headers: { 'x-api-key': 'sk-gw-wrong', 'anthropic-version': '2023-06-01' } });

    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'Incorrect API key provided.' } });
  });
});

describe('byte-for-byte passthrough', () => {
  it('sends the client’s bytes untouched when the upstream knows the model by the same name', async () => {
    const sent = '{ "model" : "gpt-4o",\n  "messages": [ {"role":"user","content":"caf\\u00e9"} ], "zeta": 1, "alpha": 2 }';
    h.upstream.reply({ kind: 'text', text: 'ok' });

    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' }, body: sent });

    expect(res.status).toBe(200);
    expect(h.upstream.requests[0]!.rawBody).toBe(sent);
  });
});
