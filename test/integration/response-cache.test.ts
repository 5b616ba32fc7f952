import Anthropic from '@anthropic-ai/sdk';
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeGemini } from '../fakes/gemini';
import type { FakeOpenAI } from '../fakes/openai';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { startInstances, type Instances } from './instances';
import { usageSince } from './usage-since';
import { geminiClient } from './harness';

/**
 * The response cache end to end: the official clients against two gateway instances on one
 * dynalite, fake upstreams counting what reaches them.
 */
const PRICE = { input: 1, output: 4 };
const MAX_BYTES = 4096;
const TTL_SECONDS = 60;

let fakes: FakeTrio;
let openaiUp: FakeOpenAI;
let anthropicUp: FakeAnthropic;
let geminiUp: FakeGemini;
let instances: Instances;
let a: LocalGateway;
let b: LocalGateway;
/** The gateways' clock: moved by the TTL test. */
let clock = Date.now();
/** Where the clock started: usage is read from its day on, as the TTL test may move it past midnight UTC. */
const STARTED_AT = clock;

beforeAll(async () => {
  fakes = await startFakeTrio();
  ({ openai: openaiUp, anthropic: anthropicUp, gemini: geminiUp } = fakes);
  const openai = [{ provider: 'up', model: 'gpt-4o-mini' }];
  const config = parseConfig({
    providers: fakes.providers,
    models: [
      { name: 'gpt-4o-mini', price: PRICE, targets: openai, cache: { ttlSeconds: TTL_SECONDS } },
      { name: 'gpt-team', price: PRICE, targets: openai, cache: { share: 'team' } },
      { name: 'gpt-all', price: PRICE, targets: openai, cache: { share: 'all' } },
      { name: 'gpt-plain', price: PRICE, targets: openai },
      { name: 'text-embedding-3-small', price: PRICE, targets: [{ provider: 'up', model: 'text-embedding-3-small' }], cache: {} },
      { name: 'claude-sonnet-4-6', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }], cache: {} },
      { name: 'gemini-2.5-flash', price: PRICE, targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }], cache: {} },
    ],
    responseCache: { maxBytes: MAX_BYTES },
  });
  instances = await startInstances({ config, count: 2, tableName: 'cache', credentials: fakes.credentials, now: () => clock });
  [a, b] = instances.gateways as [LocalGateway, LocalGateway];
});
afterAll(async () => {
  await instances.close();
  await fakes.close();
});
beforeEach(() => {
  fakes.reset();
});

const client = (key: string, gw: LocalGateway = a, headers: Record<string, string> = {}) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers });
/** A prompt no other test sends, so that each test starts with nothing cached. */
const fresh = (what: string) => [{ role: 'user' as const, content: `${what} ${randomBytes(4).toString('hex')}` }];
/** Waits for both instances' writes after the answer: the cache's put joins them. */
const settled = () => instances.drain();
const usageOf = async (gw: LocalGateway, keyId: string): Promise<StoredUsage[]> => usageSince(gw.table, keyId, STARTED_AT, clock);

describe('the response cache, through the official clients', () => {
  it('answers the same request again from the cache: the same content and id, x-aigw-cache hit with its age, the upstream not called', async () => {
    const { key } = await instances.createKey({ name: 'evals' });
    const messages = fresh('Classify: great product');

    const first = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0 }).withResponse();
    await settled();
    const second = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0 }).withResponse();

    expect(first.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.response.headers.get('age')).toMatch(/^\d+$/);
    expect(second.data).toEqual(first.data);
    expect(openaiUp.requests).toHaveLength(1);
  });

  it('replays a stream as the same chunks, read with for await', async () => {
    const { key } = await instances.createKey({ name: 'streamer' });
    const messages = fresh('Tell me a short story');
    const read = async () => {
      const { data: stream, response } = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } }).withResponse();
      const chunks: unknown[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return { chunks, cache: response.headers.get('x-aigw-cache') };
    };

    const first = await read();
    await settled();
    const second = await read();

    expect(first.cache).toBe('miss');
    expect(second.cache).toBe('hit');
    expect(second.chunks).toEqual(first.chunks);
    expect(second.chunks.length).toBeGreaterThan(2);
    expect(openaiUp.requests).toHaveLength(1);
  });

  it('serves each client the stream it asked for: the usage chunk only to one that asked (stream_options), from an entry of its own', async () => {
    const { key } = await instances.createKey({ name: 'usage-or-not' });
    const messages = fresh('Name three rivers');
    const read = async (includeUsage: boolean) => {
      const { data: stream, response } = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) }).withResponse();
      let text = '';
      const usages: unknown[] = [];
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usages.push(chunk.usage);
      }
      await settled();
      return { text, usages, cache: response.headers.get('x-aigw-cache') };
    };

    // Each way stored once, then each served its own.
    const asked = await read(true);
    const notAsked = await read(false);
    const askedAgain = await read(true);
    const notAskedAgain = await read(false);

    expect([asked.cache, notAsked.cache, askedAgain.cache, notAskedAgain.cache]).toEqual(['miss', 'miss', 'hit', 'hit']);
    expect(asked.usages).toHaveLength(1);
    expect(askedAgain.usages).toEqual(asked.usages);
    expect(notAsked.usages).toEqual([]);
    expect(notAskedAgain.usages).toEqual([]);
    expect(new Set([asked.text, notAsked.text, askedAgain.text, notAskedAgain.text]).size).toBe(1);
    expect(openaiUp.requests).toHaveLength(2);
  });

  it('serves a Responses stream with or without OpenAI\'s obfuscation padding as the client asked', async () => {
    const { key } = await instances.createKey({ name: 'padding' });
    const input = `Name a sea ${randomBytes(4).toString('hex')}`;
    const read = async (padded: boolean) => {
      const res = await fetch(`${a.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', input, stream: true, ...(padded ? {} : { stream_options: { include_obfuscation: false } }) }) });
      const text = await res.text();
      await settled();
      return { cache: res.headers.get('x-aigw-cache'), text };
    };

    const unpadded = await read(false);
    const padded = await read(true);
    const unpaddedAgain = await read(false);

    expect([unpadded.cache, padded.cache, unpaddedAgain.cache]).toEqual(['miss', 'miss', 'hit']);
    expect(unpaddedAgain.text).toBe(unpadded.text);
    expect(openaiUp.requests).toHaveLength(2);
  });

  it('keeps a stream and a whole answer apart', async () => {
    const { key } = await instances.createKey({ name: 'both' });
    const messages = fresh('Hello');

    await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await settled();
    const stream = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).withResponse();
    for await (const _chunk of stream.data);

    expect(stream.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(openaiUp.requests).toHaveLength(2);
  });

  it('hits with the body\'s keys in another order, and misses with another temperature or other messages', async () => {
    const { key } = await instances.createKey({ name: 'order' });
    const [message] = fresh('Order');
    const post = (text: string) => fetch(`${a.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: text });

    await post(`{"model":"gpt-4o-mini","temperature":0,"messages":[{"role":"user","content":${JSON.stringify(message!.content)}}]}`);
    await settled();
    const reordered = await post(`{"messages":[{"content":${JSON.stringify(message!.content)},"role":"user"}],"temperature":0,"model":"gpt-4o-mini"}`);
    const warmer = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [message!], temperature: 0.7 }).withResponse();
    const other = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages: fresh('Order'), temperature: 0 }).withResponse();

    expect(reordered.headers.get('x-aigw-cache')).toBe('hit');
    expect(warmer.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(other.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(openaiUp.requests).toHaveLength(3);
  });

  it('skips the read on cache-control: no-cache and stores the new answer; no-store neither reads nor stores', async () => {
    const { key } = await instances.createKey({ name: 'control' });
    const messages = fresh('Control');
    const ask = (headers: Record<string, string>) => client(key, a, headers).chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();

    openaiUp.reply({ kind: 'text', text: 'first' });
    await ask({});
    await settled();
    openaiUp.reply({ kind: 'text', text: 'second' });
    const noCache = await ask({ 'cache-control': 'no-cache' });
    await settled();
    const after = await ask({});
    openaiUp.reply({ kind: 'text', text: 'third' });
    const noStore = await ask({ 'cache-control': 'no-store' });
    await settled();
    const last = await ask({});

    expect(noCache.response.headers.get('x-aigw-cache')).toBe('bypass');
    expect(noCache.data.choices[0]!.message.content).toBe('second');
    expect(after.data.choices[0]!.message.content).toBe('second');
    expect(noStore.response.headers.get('x-aigw-cache')).toBe('bypass');
    expect(noStore.data.choices[0]!.message.content).toBe('third');
    expect(last.data.choices[0]!.message.content).toBe('second');
    expect(openaiUp.requests).toHaveLength(3);
  });

  it('shares an answer by key, by team, or with everyone, as the model says', async () => {
    const red = await instances.createTeam({ name: `red-${randomBytes(3).toString('hex')}` });
    const blue = await instances.createTeam({ name: `blue-${randomBytes(3).toString('hex')}` });
    const [red1, red2, blue1] = await Promise.all([instances.createKey({ name: 'r1', teamId: red.id }), instances.createKey({ name: 'r2', teamId: red.id }), instances.createKey({ name: 'b1', teamId: blue.id })]);
    const cacheOf = async (key: string, model: string, messages: OpenAI.ChatCompletionMessageParam[]) => {
      const { response } = await client(key).chat.completions.create({ model, messages }).withResponse();
      await settled();
      return response.headers.get('x-aigw-cache');
    };
    const byKey = fresh('key'), byTeam = fresh('team'), byAll = fresh('all');

    const seen = {
      key: [await cacheOf(red1.key, 'gpt-4o-mini', byKey), await cacheOf(red2.key, 'gpt-4o-mini', byKey), await cacheOf(red1.key, 'gpt-4o-mini', byKey)],
      team: [await cacheOf(red1.key, 'gpt-team', byTeam), await cacheOf(red2.key, 'gpt-team', byTeam), await cacheOf(blue1.key, 'gpt-team', byTeam)],
      all: [await cacheOf(red1.key, 'gpt-all', byAll), await cacheOf(blue1.key, 'gpt-all', byAll)],
    };

    expect(seen).toEqual({ key: ['miss', 'miss', 'hit'], team: ['miss', 'hit', 'miss'], all: ['miss', 'hit'] });
  });

  it('stores neither an upstream error nor a stream the upstream cut off', async () => {
    const { key } = await instances.createKey({ name: 'faults' });
    const messages = fresh('Faults');

    openaiUp.reply({ kind: 'error', status: 500 });
    await expect(client(key).chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toThrow();
    openaiUp.reply({ kind: 'drop', afterChunks: 2 });
    const cut = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await expect((async () => {
      for await (const _chunk of cut);
    })()).rejects.toThrow();
    await settled();
    openaiUp.reset();
    const whole = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    const stream = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).withResponse();
    for await (const _chunk of stream.data);

    expect(whole.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(stream.response.headers.get('x-aigw-cache')).toBe('miss');
  });

  it('serves an entry until its TTL has passed, then goes upstream again', async () => {
    const { key } = await instances.createKey({ name: 'ttl' });
    const messages = fresh('TTL');
    const ask = async () => (await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse()).response.headers.get('x-aigw-cache');

    const first = await ask();
    await settled();
    clock += (TTL_SECONDS - 1) * 1000;
    const within = await ask();
    clock += 2000;
    const past = await ask();

    expect([first, within, past]).toEqual(['miss', 'hit', 'miss']);
  });

  it('serves an answer larger than responseCache.maxBytes and does not store it', async () => {
    const { key } = await instances.createKey({ name: 'large' });
    const messages = fresh('Large');
    const text = randomBytes(MAX_BYTES * 2).toString('base64');
    openaiUp.reply({ kind: 'text', text });

    const first = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await settled();
    const second = await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();

    expect(first.choices[0]!.message.content).toBe(text);
    expect(second.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(openaiUp.requests).toHaveLength(2);
  });

  it('leaves a usage record of a hit with the stored tokens, no cost and what it saved, and of a miss with its cost', async () => {
    const { key, id } = await instances.createKey({ name: 'books' });
    const messages = fresh('Books');

    await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await settled();
    await client(key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await settled();
    // Both made at the same (fixed) clock time: told apart by what the cache did, not by order.
    const records = await usageOf(a, id);
    const miss = records.find((r) => r.cache === 'miss');
    const hit = records.find((r) => r.cache === 'hit');

    expect(miss).toMatchObject({ cache: 'miss', outcome: 'ok', attempts: 1, provider: 'up' });
    expect(miss!.costMicros).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cache: 'hit', outcome: 'ok', status: 200, attempts: 0, costMicros: 0, savedMicros: miss!.costMicros, inputTokens: miss!.inputTokens, outputTokens: miss!.outputTokens });
    expect(hit!.provider).toBeUndefined();
    expect(typeof hit!.latencyMs).toBe('number');
  });

  it('serves on one instance what the other stored (one table)', async () => {
    const { key } = await instances.createKey({ name: 'shared' });
    const messages = fresh('Shared');

    const viaA = await client(key, a).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await settled();
    const viaB = await client(key, b).chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();

    expect(viaB.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(viaB.data).toEqual(viaA);
    expect(openaiUp.requests).toHaveLength(1);
  });

  it('caches embeddings, and leaves models without cache alone (no header, every call upstream)', async () => {
    const { key } = await instances.createKey({ name: 'embed' });
    const input = fresh('vectors')[0]!.content;

    const first = await client(key).embeddings.create({ model: 'text-embedding-3-small', input });
    await settled();
    const second = await client(key).embeddings.create({ model: 'text-embedding-3-small', input }).withResponse();
    const plain = await client(key).chat.completions.create({ model: 'gpt-plain', messages: [{ role: 'user', content: input }] }).withResponse();
    await settled();
    const plainAgain = await client(key).chat.completions.create({ model: 'gpt-plain', messages: [{ role: 'user', content: input }] }).withResponse();

    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.data).toEqual(first);
    expect(plain.response.headers.get('x-aigw-cache')).toBeNull();
    expect(plainAgain.response.headers.get('x-aigw-cache')).toBeNull();
    expect(openaiUp.requests).toHaveLength(3);
  });
});

describe('the response cache, through the Anthropic client', () => {
  const anthropic = (key: string) => new Anthropic({ apiKey: key, baseURL: a.url, maxRetries: 0 });

  it('answers the same message again from the cache, whole and streamed, with the same events', async () => {
    const { key } = await instances.createKey({ name: 'claude' });
    const messages = fresh('Summarise');
    const stream = async () => {
      const events: unknown[] = [];
      for await (const event of await anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages, stream: true })) events.push(event);
      return events;
    };

    const first = await anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages });
    await settled();
    const second = await anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages }).withResponse();
    const firstStream = await stream();
    await settled();
    const secondStream = await stream();

    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.data).toEqual(first);
    expect(secondStream).toEqual(firstStream);
    expect(anthropicUp.requests).toHaveLength(2);
  });
});

describe('the response cache on Responses, completions and Gemini', () => {
  it('answers the same Responses call again, and never one that continues a stored conversation', async () => {
    const { key } = await instances.createKey({ name: 'responses' });
    const input = fresh('Responses')[0]!.content;

    const first = await client(key).responses.create({ model: 'gpt-4o-mini', input });
    await settled();
    const second = await client(key).responses.create({ model: 'gpt-4o-mini', input }).withResponse();
    // The fake keeps the responses it made: the continuation is its answer, not the cache's.
    const continued = await client(key).responses.create({ model: 'gpt-4o-mini', input, previous_response_id: first.id }).withResponse();

    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.data.output_text).toBe(first.output_text);
    expect(second.data.id).toBe(first.id);
    expect(continued.response.headers.get('x-aigw-cache')).toBe('bypass');
    expect(continued.data.output_text).toMatch(/\(turn 2\)$/);
    expect(openaiUp.requests).toHaveLength(2);
    expect(openaiUp.requests[1]!.body).toMatchObject({ previous_response_id: first.id });
  });

  it('answers the same legacy completion again', async () => {
    const { key } = await instances.createKey({ name: 'completions' });
    const prompt = fresh('def fib(n):')[0]!.content;

    const first = await client(key).completions.create({ model: 'gpt-4o-mini', prompt, max_tokens: 20 });
    await settled();
    const second = await client(key).completions.create({ model: 'gpt-4o-mini', prompt, max_tokens: 20 }).withResponse();

    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.data).toEqual(first);
    expect(openaiUp.requests).toHaveLength(1);
  });

  it('answers the same Gemini generateContent and generateContentStream again, the stream chunk for chunk', async () => {
    const { key } = await instances.createKey({ name: 'gemini' });
    const ai = geminiClient(a, key);
    const contents = fresh('Count to four')[0]!.content;
    const stream = async () => {
      const texts: (string | undefined)[] = [];
      for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents })) texts.push(chunk.text);
      return texts;
    };

    const first = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents });
    await settled();
    const second = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents });
    const firstStream = await stream();
    await settled();
    const secondStream = await stream();

    expect(second.text).toBe(first.text);
    expect(secondStream).toEqual(firstStream);
    expect(secondStream.length).toBeGreaterThan(1);
    expect(geminiUp.requests).toHaveLength(2);
  });
});
