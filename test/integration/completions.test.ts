import OpenAI from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startHarness, eventually, spentSince, UPSTREAM_KEY, type Harness } from './harness';
import { minuteClock } from '../minute-window';

/**
 * `POST /v1/completions` (legacy text completions) through the gateway with the official openai
 * client, as code-completion clients send fill-in-the-middle (`prompt` + `suffix`) to
 * self-hosted coder models: passthrough to OpenAI-dialect upstreams, streams, failover,
 * refusals, limits and usage.
 */
const PRICE = { input: 0.2, output: 0.6 };
const AZURE_KEY = 'azure-upstream-key';

let h: Harness;
/** The gateway's clock: the per-minute case moves it to the start of a minute. */
const clock = minuteClock();
let azure: FakeAzureOpenAI;
let anthropic: FakeAnthropic;
let coder: { id: string; key: string };
let client: OpenAI;

beforeAll(async () => {
  azure = await startFakeAzureOpenAI({ apiKey: AZURE_KEY });
  anthropic = await startFakeAnthropic();
  h = await startHarness({
    now: clock.now,
    config: ({ upstream, backup }) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'vllm', type: 'openai-compatible', baseUrl: backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'az', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2024-10-21', accounts: [{ id: 'z', apiKey: { env: 'AZURE_KEY' } }] },
      ],
      models: [
        { name: 'gpt-3.5-turbo-instruct', price: PRICE, targets: [{ provider: 'primary', model: 'gpt-3.5-turbo-instruct' }] },
        { name: 'coder', price: PRICE, targets: [{ provider: 'primary', model: 'qwen2.5-coder-7b' }, { provider: 'vllm', model: 'Qwen/Qwen2.5-Coder-7B' }] },
        { name: 'coder-claude', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] },
        { name: 'coder-azure', targets: [{ provider: 'az', model: 'instruct-deploy' }] },
        { name: 'secret-coder', targets: [{ provider: 'primary', model: 'secret' }] },
      ],
    }),
    credentials: { AZURE_KEY },
  });
  coder = await h.createKey({ name: 'autocomplete', models: ['gpt-3.5-*', 'coder*'] });
  client = h.openai({ apiKey: coder.key });
});
afterAll(async () => {
  await h.close();
  await azure.close();
  await anthropic.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  azure.reset();
  h.health.clear();
});


const FIM = { prompt: 'def add(a, b):\n    ', suffix: '\n\nprint(add(1, 2))', max_tokens: 64, temperature: 0.2, stop: ['\n\n'] };

describe('text completions through the official openai client', () => {
  it('completes a fill-in-the-middle request, the body going upstream byte for byte (suffix and all)', async () => {
    // Act
    const res = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', ...FIM });

    // Assess
    expect(res).toMatchObject({ object: 'text_completion', model: 'gpt-3.5-turbo-instruct', choices: [{ text: `Echo: ${FIM.prompt}`, index: 0, finish_reason: 'stop' }] });
    expect(res.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    const sent = h.upstream.requests[0]!;
    expect(sent.path).toBe('/v1/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(sent.rawBody).toBe(JSON.stringify({ model: 'gpt-3.5-turbo-instruct', ...FIM }));
  });

  it('streams the completion chunk by chunk; usage asked of the upstream but kept from a client that did not ask', async () => {
    // Prepare
    h.upstream.reply({ kind: 'text', text: 'return a + b', chunks: ['return', ' a', ' +', ' b'], usage: { prompt: 12, completion: 4 } });

    // Act
    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', ...FIM, stream: true });
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    // Assess
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('return a + b');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(h.upstream.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, suffix: FIM.suffix });
    // The upstream knows the model by the client's name: the client's bytes go on, the usage request added at their end.
    expect(h.upstream.requests[0]!.rawBody).toBe(`${JSON.stringify({ model: 'gpt-3.5-turbo-instruct', ...FIM, stream: true }).slice(0, -1)},"stream_options":{"include_usage":true}}`);
    await eventually(async () => {
      const record = (await h.usage(coder.id)).find((u) => u.inputTokens === 12);
      expect(record).toMatchObject({ surface: 'openai-completions', model: 'gpt-3.5-turbo-instruct', stream: true, outcome: 'ok', outputTokens: 4, costMicros: Math.ceil(12 * PRICE.input + 4 * PRICE.output) });
      expect(record?.ttftMs).toEqual(expect.any(Number));
    });
  });

  it('passes the usage chunk on to a client that asked for it', async () => {
    h.upstream.reply({ kind: 'text', text: 'x', usage: { prompt: 5, completion: 1 } });

    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'a', stream: true, stream_options: { include_usage: true } });
    const usage: unknown[] = [];
    for await (const chunk of stream) if (chunk.usage) usage.push(chunk.usage);

    expect(usage).toEqual([{ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 }]);
  });

  it('ends a stream the upstream breaks off with an error the client raises', async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 2 });

    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'cut me off', stream: true });
    const error = await (async () => {
      for await (const _chunk of stream);
    })().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('broke off');
    await eventually(async () => {
      expect((await h.usage(coder.id)).find((u) => u.outcome === 'interrupted')).toMatchObject({ surface: 'openai-completions', errorCode: 'upstream_interrupted' });
    });
  });
});

describe('text completions failover and refusals', () => {
  it('fails over to an openai-compatible server (vLLM) on a 503, the model swapped for its own name', async () => {
    h.upstream.reply({ kind: 'error', status: 503 });

    const res = await client.completions.create({ model: 'coder', ...FIM });

    expect(res.choices[0]?.text).toBe(`Echo: ${FIM.prompt}`);
    expect(h.backup.requests[0]).toMatchObject({ path: '/v1/completions', body: { model: 'Qwen/Qwen2.5-Coder-7B', suffix: FIM.suffix } });
    await eventually(async () => {
      expect((await h.usage(coder.id)).find((u) => u.model === 'coder')).toMatchObject({ provider: 'vllm', attempts: 2, status: 200 });
    });
  });

  it('refuses a model served only by a provider without text completions with a 400 naming its type', async () => {
    const error = await client.completions.create({ model: 'coder-claude', prompt: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'model', message: expect.stringContaining('provider type anthropic') });
    expect(anthropic.requests).toHaveLength(0);
  });

  it('refuses a body without a prompt with a 400 naming prompt, before any upstream', async () => {
    const error = await client.completions.create({ model: 'gpt-3.5-turbo-instruct' } as unknown as OpenAI.CompletionCreateParamsNonStreaming).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'prompt' });
    expect(h.upstream.requests).toHaveLength(0);
  });

  it.each([
    { name: 'a model the key may not use (403)', model: 'secret-coder', apiKey: undefined, type: OpenAI.PermissionDeniedError, status: 403 },
    { name: 'an unknown model (404)', model: 'no-such-coder', apiKey: undefined, type: OpenAI.NotFoundError, status: 404 },
    { name: 'an unknown key (401)', model: 'coder', apiKey: 'sk-gw-not-a-key', type: OpenAI.AuthenticationError, status: 401 },
  ])('refuses $name with the client’s typed error', async ({ model, apiKey, type, status }) => {
    const error = await h
      .openai({ apiKey: apiKey ?? coder.key })
      .completions.create({ model, prompt: 'x' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status });
  });
});

describe('text completions on Azure OpenAI', () => {
  it('addresses the deployment, and a stream loses Azure’s prompt-filter chunk but none of its text', async () => {
    const stream = await client.completions.create({ model: 'coder-azure', prompt: 'one two three', stream: true });
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('Echo: one two three');
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    const sent = azure.requests[0]!;
    expect(`${sent.path}${sent.search}`).toBe('/openai/deployments/instruct-deploy/completions?api-version=2024-10-21');
    expect(sent.headers['api-key']).toBe(AZURE_KEY);
    expect(sent.body).not.toHaveProperty('model');
  });
});

describe('text completions and key limits', () => {
  it('refuses a call whose worst case (max_tokens of output) does not fit in the budget, before any upstream', async () => {
    const budget = await h.createKey({ name: 'tiny-budget', models: ['coder'], limits: { usdPerDay: 0.0001 } });

    // 1 000 tokens of output at $0.6 per million is $0.0006: over a $0.0001 day.
    const error = await h.openai({ apiKey: budget.key }).completions.create({ model: 'coder', prompt: 'x', max_tokens: 1000 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('settles a budgeted call at its cost, and counts it in the key’s minute', async () => {
    const limited = await h.createKey({ name: 'limited-coder', models: ['coder'], limits: { usdPerDay: 1, requestsPerMinute: 1 } });
    const limitedClient = h.openai({ apiKey: limited.key });
    h.upstream.reply({ kind: 'text', text: 'a b', usage: { prompt: 10, completion: 2 } });
    // Both calls in one minute's window, or the second is let through.
    clock.startMinute();
    const started = clock.now();

    await limitedClient.completions.create({ model: 'coder', prompt: 'x', max_tokens: 16, stream: true }).then(async (s) => {
      for await (const _chunk of s);
    });
    const second = await limitedClient.completions.create({ model: 'coder', prompt: 'y' }).catch((e: unknown) => e);

    expect(second).toBeInstanceOf(OpenAI.RateLimitError);
    await eventually(async () => {
      await h.gw.gateway.drain();
      const spent = await spentSince(h.gw, limited.id, started, clock.now());
      expect(spent).toBe(Math.ceil(10 * PRICE.input + 2 * PRICE.output));
    });
  });
});
