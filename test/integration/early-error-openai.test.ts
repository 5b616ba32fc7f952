import OpenAI from 'openai';
import { AccountHealth } from '../../lib/routing/health';
import { startOpenAIPool, type OpenAIPool } from './pool-rig';

/**
 * An OpenAI-dialect upstream that fails in-band before its answer (a 200 whose first chunk is
 * `data: {"error":…}`, as vLLM and OpenRouter fail; the Responses API's `response.failed` in the
 * read that brought `response.created`), through a pool of two OpenAI accounts, with the official
 * `openai` client: a failed attempt like the HTTP error it stands for. An error after the first
 * chunk is relayed in-band as before.
 */
let pool: OpenAIPool;
const health = new AccountHealth();

beforeAll(async () => {
  pool = await startOpenAIPool({
    config: { models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }], routing: { sticky: false } },
    gateway: { health },
    key: { name: 'early-error-openai' },
  });
});
afterAll(() => pool.close());
beforeEach(() => {
  pool.one.reset();
  pool.two.reset();
  health.clear();
});

const chat = { model: 'chat', stream: true as const, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const OVERLOADED = { object: 'error', message: 'The server is overloaded, retry later.', type: 'ServiceUnavailableError', code: 503 };

describe('a Chat Completions stream whose first chunk is an error', () => {
  it('fails over: the other account answers, the first rests, the record shows two attempts', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterChunks: 0, error: OVERLOADED });

    // Act
    const { data: stream, response } = await pool.client.chat.completions.create(chat).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(first.fake(first.other()).requests).toHaveLength(1);
    expect(health.isCooling(`pool/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it('on the last account: a real 503 the SDK retries, in OpenAI\'s shape', async () => {
    // Prepare
    pool.one.reply({ kind: 'stream-error', afterChunks: 0, error: OVERLOADED });
    pool.two.reply({ kind: 'stream-error', afterChunks: 0, error: OVERLOADED });
    const retrying = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 1 });

    // Act
    const err = (await retrying.chat.completions.create(chat).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess: retried once by the SDK, so each account was asked twice.
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.error).toMatchObject({ message: 'The server is overloaded, retry later.' });
    expect([pool.one.requests.length, pool.two.requests.length]).toEqual([2, 2]);
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 503, outcome: 'upstream_error' });
  });

  it('on the last account, a rate limit: a 429 RateLimitError', async () => {
    // Prepare
    const limited = { message: 'Rate limit reached for gpt-4o-mini on tokens per min (TPM).', type: 'tokens', code: 'rate_limit_exceeded' };
    pool.one.reply({ kind: 'stream-error', afterChunks: 0, error: limited, oneWrite: true });
    pool.two.reply({ kind: 'stream-error', afterChunks: 0, error: limited, oneWrite: true });

    // Act
    const err = (await pool.client.chat.completions.create(chat).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect([health.isCooling('pool/one'), health.isCooling('pool/two')]).toEqual([true, true]);
  });

  it('an error after the first chunk is relayed in-band: no failover, no rest', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterChunks: 1, error: OVERLOADED, oneWrite: true });

    // Act
    const { data: stream, response } = await pool.client.chat.completions.create(chat).withResponse();
    let chunks = 0;
    const err = await (async () => {
      for await (const _ of stream) chunks++;
    })().catch((e: unknown) => e);

    // Assess
    expect(chunks).toBe(1);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(first.fake(first.other()).requests).toHaveLength(0);
    expect(health.isCooling(`pool/${first.first()}`)).toBe(false);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.first(), attempts: 1 });
  });
});

describe('a Responses stream that fails before its first output item', () => {
  const responses = { model: 'chat', stream: true as const, input: 'Say hi.' };

  it('response.failed in the read that brought response.created fails over: one clean stream from the other account', async () => {
    // Prepare
    const first = pool.firstCallGets({ kind: 'stream-error', afterChunks: 0, error: { code: 'server_error', message: 'The server had an error processing your request.' }, oneWrite: true });

    // Act
    const { data: stream, response } = await pool.client.responses.create(responses).withResponse();
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }

    // Assess
    expect(text).toBe('Echo: Say hi.');
    expect(types.filter((t) => t === 'response.created')).toHaveLength(1);
    expect(types).not.toContain('response.failed');
    expect(types.at(-1)).toBe('response.completed');
    expect(health.isCooling(`pool/${first.first()}`)).toBe(true);
    expect(await pool.recordOf(response.headers.get('x-request-id'))).toMatchObject({ account: first.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it.each([
    ['with its number', { code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-4o-mini in organization org-uOtiSEwvUnroadaOnJJquBEC on requests per min (RPM).', param: null, sequence_number: 1 }],
    ['without a number', { code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-4o-mini in organization org-uOtiSEwvUnroadaOnJJquBEC on requests per min (RPM).' }],
  ])('an `event: error` with flat fields and no "error" text after response.created (%s): a 429 in OpenAI\'s shape on the last account, without the organisation', async (_case, said) => {
    // Prepare
    const created = { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } };
    const body = `event: response.created\ndata: ${JSON.stringify(created)}\n\nevent: error\ndata: ${JSON.stringify(said)}\n\n`;
    const failure = { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body } as const;
    pool.one.reply(failure);
    pool.two.reply(failure);

    // Act
    const err = (await pool.client.responses.create(responses).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess: both accounts asked, both rest, and the client told a real rate limit in the gateway's words.
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-4o-mini in organization the provider account on requests per min (RPM).' });
    expect([pool.one.requests.length, pool.two.requests.length]).toEqual([1, 1]);
    expect([health.isCooling('pool/one'), health.isCooling('pool/two')]).toEqual([true, true]);
    expect(await pool.recordOf(err.headers?.get('x-request-id'))).toMatchObject({ attempts: 2, status: 429, outcome: 'upstream_error' });
  });

  it('on the last account: a real 500 in OpenAI\'s shape', async () => {
    // Prepare
    const failure = { kind: 'stream-error', afterChunks: 0, error: { code: 'server_error', message: 'The server had an error processing your request.' }, oneWrite: true } as const;
    pool.one.reply(failure);
    pool.two.reply(failure);

    // Act
    const err = (await pool.client.responses.create(responses).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(500);
    expect(err.error).toMatchObject({ code: 'server_error', message: 'The server had an error processing your request.' });
  });
});
