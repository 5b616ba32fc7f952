import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { browserFetch } from '../browser-fetch';
import { ADMIN_TOKEN, geminiClient, startHarness, type Harness } from './harness';
import { minuteClock } from '../minute-window';

const PAGE = 'https://chat.example.com';
const ELSEWHERE = 'https://evil.example';

let h: Harness;
/** The gateway's clock: the per-minute case moves it to the start of a minute. */
const clock = minuteClock();
beforeAll(async () => {
  h = await startHarness({
    now: clock.now,
    config: ({ upstream }) => ({
      providers: [{ id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', aliases: ['mini'], targets: [{ provider: 'primary', model: 'gpt-4o-mini-2024-07-18' }] }],
      cors: { allowOrigins: [PAGE, 'http://localhost:3000'], maxAgeSeconds: 600 },
    }),
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.health.clear();
});

/** The OpenAI client as a page at `origin` runs it: in a browser, which enforces CORS. */
function browserOpenAI(origin: string, apiKey = h.key) {
  const browser = browserFetch(origin);
  return { client: new OpenAI({ apiKey, baseURL: `${h.gw.url}/v1`, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browser.fetch }), log: browser.log };
}

function browserAnthropic(origin: string, apiKey = h.key) {
  const browser = browserFetch(origin);
  return { client: new Anthropic({ apiKey, baseURL: h.gw.url, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browser.fetch }), log: browser.log };
}

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];

describe('a browser’s preflight', () => {
  it('is answered 204 without a key, allowing the origin, the methods and the headers asked for, with no table read or write (no key, no rate window, no usage record)', async () => {
    // Prepare: every DynamoDB call the gateway makes goes through this client.
    const send = jest.spyOn(h.gw.table.client, 'send');

    // Act: what Chrome sends before the OpenAI SDK's POST.
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-lang,x-stainless-retry-count' },
    });

    // Assess
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'GET, HEAD, POST, DELETE',
      'access-control-allow-headers': 'authorization, content-type, x-stainless-lang, x-stainless-retry-count',
      'access-control-max-age': '600',
      vary: 'origin, access-control-request-headers, access-control-request-private-network',
    });
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    // The usage sink's batch too: drained, it has nothing to write.
    await h.gw.gateway.drain();
    expect(send).not.toHaveBeenCalled();
    expect(h.upstream.requests).toHaveLength(0);
    send.mockRestore();
  });

  it('allows nothing to an origin not listed', async () => {
    // Act
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: ELSEWHERE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });

    // Assess
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-headers')).toBeNull();
    expect(res.headers.get('vary')).toBe('origin, access-control-request-headers, access-control-request-private-network');
  });
});

describe('the OpenAI client in a browser', () => {
  it('gets a whole answer, and reads its request id and rate limits through the exposed headers', async () => {
    // Prepare
    const { key } = await h.createKey({ name: 'paced page', models: ['*'], limits: { requestsPerMinute: 50 } });
    const { client, log } = browserOpenAI(PAGE, key);
    h.upstream.reply({ kind: 'text', text: 'Hello from the gateway' });

    // Act
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();

    // Assess: the SDK's own preflight passed, and the page reads what the gateway sent.
    expect(data.choices[0]!.message.content).toBe('Hello from the gateway');
    expect(log.preflights).toHaveLength(1);
    expect(log.preflights[0]!.headers.get('access-control-allow-headers')).toContain('x-stainless-');
    expect(response.headers.get('x-request-id')).toEqual(expect.any(String));
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('49');
    expect(log.answers[0]!.headers.get('vary')).toBe('origin');
  });

  it('gets a stream, with the CORS headers on it', async () => {
    // Prepare
    const { client, log } = browserOpenAI(PAGE);
    h.upstream.reply({ kind: 'text', text: 'one two three' });

    // Act
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    expect(text).toBe('one two three');
    expect(log.answers[0]!.headers.get('content-type')).toContain('text/event-stream');
    expect(log.answers[0]!.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('may send the gateway’s documented request headers (x-session-id for sticky routing, x-aigw-end-user), which the preflight allows', async () => {
    // Prepare: a chat page naming its conversation and its user.
    const browser = browserFetch(PAGE);
    const client = new OpenAI({ apiKey: h.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browser.fetch, defaultHeaders: { 'x-session-id': 'conversation-1', 'x-aigw-end-user': 'user-7' } });
    h.upstream.reply({ kind: 'text', text: 'sticky hello' });

    // Act
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });

    // Assess
    expect(completion.choices[0]!.message.content).toBe('sticky hello');
    expect(browser.log.preflights[0]!.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('x-session-id'));
  });

  it('reads a 401 as the gateway’s AuthenticationError, not as a network failure', async () => {
    // Prepare
    const { client } = browserOpenAI(PAGE, 'sk-not-a-gateway-key');

    // Act
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('reads a 429 as a RateLimitError, with its retry-after', async () => {
    // Prepare: a key allowed one request a minute, spent.
    const { key } = await h.createKey({ name: 'one a minute', models: ['*'], limits: { requestsPerMinute: 1 } });
    const { client } = browserOpenAI(PAGE, key);
    // Both calls in one minute's window, or the second is let through.
    clock.startMinute();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });

    // Act
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is refused by the browser on a page whose origin is not listed, before its key leaves the preflight', async () => {
    // Prepare
    const { client, log } = browserOpenAI(ELSEWHERE);

    // Act
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);

    // Assess: the SDK reports the browser's refusal as a connection error; the call itself was never sent.
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(log.answers).toHaveLength(0);
    expect(h.upstream.requests).toHaveLength(0);
  });
});

describe('the Anthropic client in a browser (dangerouslyAllowBrowser)', () => {
  it('asks to send anthropic-dangerous-direct-browser-access, and gets a whole answer', async () => {
    // Prepare
    const { client, log } = browserAnthropic('http://localhost:3000');
    h.upstream.reply({ kind: 'text', text: 'Hi from Claude’s door' });

    // Act
    const message = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

    // Assess
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hi from Claude’s door' })]);
    expect(log.preflights[0]!.headers.get('access-control-allow-headers')).toContain('anthropic-dangerous-direct-browser-access');
    expect(log.answers[0]!.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('gets a stream', async () => {
    // Prepare
    const { client } = browserAnthropic(PAGE);
    h.upstream.reply({ kind: 'text', text: 'streamed to a page' });

    // Act
    const final = await client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();

    // Assess
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'streamed to a page' })]);
  });

  it('reads a 401 as Anthropic’s AuthenticationError', async () => {
    // Prepare
    const { client } = browserAnthropic(PAGE, 'sk-ant-not-ours');

    // Act
    const error = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
  });
});

describe('the Gemini client in a browser', () => {
  it('asks to send x-goog-api-key and x-goog-api-client, and gets its answer', async () => {
    // Prepare
    const browser = browserFetch(PAGE);
    const ai = geminiClient(h.gw, h.key, { fetch: browser.fetch });
    h.upstream.reply({ kind: 'text', text: 'Hello, Gemini page' });

    // Act
    const response = await ai.models.generateContent({ model: 'gpt-4o-mini', contents: 'hi' });

    // Assess
    expect(response.text).toBe('Hello, Gemini page');
    expect(browser.log.preflights[0]!.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('x-goog-api-key'));
    expect(browser.log.preflights[0]!.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('x-goog-api-client'));
  });
});

describe('the SDKs in Firefox, which sends the user-agent they set and so asks for it in the preflight', () => {
  it('serves the Anthropic client', async () => {
    // Prepare
    const browser = browserFetch(PAGE, fetch, 'firefox');
    const client = new Anthropic({ apiKey: h.key, baseURL: h.gw.url, maxRetries: 0, dangerouslyAllowBrowser: true, fetch: browser.fetch });
    h.upstream.reply({ kind: 'text', text: 'Hi, Firefox' });

    // Act
    const message = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

    // Assess
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hi, Firefox' })]);
    expect(browser.log.preflights[0]!.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('user-agent'));
  });

  it('serves the Gemini client', async () => {
    // Prepare
    const browser = browserFetch(PAGE, fetch, 'firefox');
    const ai = geminiClient(h.gw, h.key, { fetch: browser.fetch });
    h.upstream.reply({ kind: 'text', text: 'Hello, Firefox' });

    // Act
    const response = await ai.models.generateContent({ model: 'gpt-4o-mini', contents: 'hi' });

    // Assess
    expect(response.text).toBe('Hello, Firefox');
  });
});

describe('the Gemini client in a browser, with a timeout', () => {
  it('asks to send x-server-timeout, which @google/genai sends with every call once a timeout is set, and gets its answer', async () => {
    // Prepare
    const browser = browserFetch(PAGE);
    const ai = geminiClient(h.gw, h.key, { timeout: 30_000, fetch: browser.fetch });
    h.upstream.reply({ kind: 'text', text: 'Hello in time' });

    // Act
    const response = await ai.models.generateContent({ model: 'gpt-4o-mini', contents: 'hi' });

    // Assess
    expect(response.text).toBe('Hello in time');
    expect(browser.log.preflights[0]!.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('x-server-timeout'));
  });
});

describe('the admin API', () => {
  it('never answers a preflight, nor carries CORS headers, even from a listed origin', async () => {
    // Act
    const preflight = await fetch(`${h.gw.url}/admin/keys`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    const listing = await fetch(`${h.gw.url}/admin/keys`, { headers: { origin: PAGE, authorization: `Bearer ${ADMIN_TOKEN}` } });

    // Assess
    expect(preflight.status).not.toBe(204);
    for (const res of [preflight, listing]) {
      expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
    }
    expect(listing.status).toBe(200);
  });
});

describe('a gateway whose config has no cors', () => {
  it('adds no CORS headers anywhere, and leaves an OPTIONS to the gateway (405), as before', async () => {
    // Prepare
    const plain = await startHarness();
    try {
      // Act
      const preflight = await fetch(`${plain.gw.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'POST' } });
      const call = await fetch(`${plain.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { origin: PAGE, authorization: `Bearer ${plain.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
      });

      // Assess
      expect(preflight.status).toBe(405);
      expect(call.status).toBe(200);
      for (const res of [preflight, call]) expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
