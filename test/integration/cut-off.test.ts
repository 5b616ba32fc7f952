import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { charTokens } from '../../lib/surfaces/anthropic-messages';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import type { GatewayLogger } from '../../lib/observe/logger';
import { eventually, openAIClient, startHarness, spentSince, type Harness } from './harness';

/**
 * Streams cut off before the upstream's last usage count (the upstream breaks off, the client
 * leaves) are recorded and charged what they used up to the cut: the prompt as counted (or
 * estimated), the output estimated from the text relayed; a budget settles to that, not to
 * nothing and not to the call's whole worst case.
 */
const PRICE = { input: 1, output: 2 };
/** Before any call: spend is read from this day on (`spentSince`). */
const STARTED_AT = Date.now();

let h: Harness;
let claude: FakeAnthropic;
let slowClaude: FakeAnthropic;
let gemini: FakeGemini;
let slowOpenAI: FakeOpenAI;
let budgeted: { id: string; key: string };
/** A key without any limit: no budget is reserved for its calls, yet their records must be as fair. */
let open: { id: string; key: string };

/** The gateway's WARN lines, as its logger wrote them. */
const warned: { message: string; fields: Record<string, unknown> }[] = [];
const ignore = () => undefined;
const logger = { debug: ignore, info: ignore, error: ignore, warn: (message: string, fields: Record<string, unknown> = {}) => void warned.push({ message, fields }) } as unknown as GatewayLogger;

beforeAll(async () => {
  claude = await startFakeAnthropic();
  slowClaude = await startFakeAnthropic({ chunkDelayMs: 30 });
  gemini = await startFakeGemini();
  slowOpenAI = await startFakeOpenAI({ chunkDelayMs: 30 });
  h = await startHarness({
    logger,
    config: ({ upstream }) => ({
      providers: [
        { id: 'oai', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: claude.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'slow', type: 'anthropic', baseUrl: slowClaude.url, accounts: [{ id: 's', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'g', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'slow-oai', type: 'openai', baseUrl: slowOpenAI.url, accounts: [{ id: 'o', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      ],
      models: [
        { name: 'gpt-priced', price: PRICE, targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
        { name: 'claude-priced', price: PRICE, targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] },
        { name: 'claude-slow', price: PRICE, targets: [{ provider: 'slow', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini-priced', price: PRICE, targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }] },
        { name: 'gpt-slow', price: PRICE, targets: [{ provider: 'slow-oai', model: 'gpt-4o-mini' }] },
      ],
    }),
  });
  budgeted = await h.createKey({ name: 'budgeted', models: ['*'], limits: { usdPerDay: 10 } });
  open = await h.createKey({ name: 'open', models: ['*'] });
});
afterAll(async () => {
  await h.close();
  await claude.close();
  await slowClaude.close();
  await gemini.close();
  await slowOpenAI.close();
});
beforeEach(() => {
  h.upstream.reset();
  claude.reset();
  slowClaude.reset();
  gemini.reset();
  slowOpenAI.reset();
  warned.length = 0;
});

const PROMPT = 'Tell me about the sea, in many words of some length each please';

async function spentSinceStart(keyId: string): Promise<number> {
  await h.gw.gateway.drain();
  return spentSince(h.gw, keyId, STARTED_AT);
}

/** The record of the key's one call with this outcome on this surface, once written. */
async function recordOf(outcome: string, model: string, surface = 'anthropic', keyId = budgeted.id) {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    found = (await h.usage(keyId)).find((u) => u.outcome === outcome && u.model === model && u.surface === surface);
    expect(found).toBeDefined();
  });
  return found!;
}

const anthropicClient = () => new Anthropic({ apiKey: budgeted.key, baseURL: h.gw.url, maxRetries: 0 });
const openai = (key: string) => openAIClient(h.gw, key);

/**
 * A stream read as a client reads it: the text of its pieces, until it ends or breaks (the error
 * it broke with, if any), or, when `leave`, until the client leaves it (aborts) past three words.
 */
async function readUntilCut<T>(open: (signal: AbortSignal) => Promise<AsyncIterable<T>>, textOf: (piece: T) => string, leave = false): Promise<{ received: string; error: unknown }> {
  const controller = new AbortController();
  let received = '';
  const error = await (async () => {
    for await (const piece of await open(controller.signal)) {
      received += textOf(piece);
      if (leave && received.split(' ').length > 3) controller.abort();
    }
  })().catch((e: unknown) => e);
  return { received, error };
}

const chatText = (chunk: OpenAI.ChatCompletionChunk) => chunk.choices[0]?.delta.content ?? '';
const responsesText = (event: OpenAI.Responses.ResponseStreamEvent) => (event.type === 'response.output_text.delta' ? event.delta : '');

/** The text a Gemini SSE stream of the gateway carried, read to its end. */
async function geminiStreamText(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${h.gw.url}/v1beta/models/gemini-priced:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return [...text.matchAll(/^data: (.*)$/gm)]
    .map((m) => JSON.parse(m[1]!) as { candidates?: { content?: { parts?: { text?: string }[] } }[] })
    .flatMap((event) => event.candidates?.[0]?.content?.parts ?? [])
    .map((part) => part.text ?? '')
    .join('');
}

describe('a stream cut off before its last usage count', () => {
  it('Anthropic passthrough, broken off upstream: the prompt as message_start counted it, the output from the text relayed, charged so', async () => {
    // Prepare: message_start, content_block_start, then two text deltas; then the connection drops.
    claude.reply({ kind: 'drop', afterEvents: 4 });
    const spentBefore = await spentSinceStart(budgeted.id);

    // Act
    let received = '';
    const error = await (async () => {
      const stream = anthropicClient().messages.stream({ model: 'claude-priced', max_tokens: 1000, messages: [{ role: 'user', content: PROMPT }] });
      stream.on('text', (text) => (received += text));
      await stream.finalMessage();
    })().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'claude-priced');
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
    expect(record.inputTokens).toBeGreaterThan(1);
    expect(record.costMicros).toBe(Math.ceil((record.inputTokens as number) * PRICE.input + (record.outputTokens as number) * PRICE.output));
    expect((await spentSinceStart(budgeted.id)) - spentBefore).toBe(record.costMicros);
  });

  it('OpenAI passthrough, broken off upstream (no usage chunk came): the prompt estimated, the output from the text relayed, charged so', async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 3 });
    const spentBefore = await spentSinceStart(budgeted.id);

    const { received, error } = await readUntilCut((signal) => openai(budgeted.key).chat.completions.create({ model: 'gpt-priced', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: PROMPT }] }, { signal }), chatText);

    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'gpt-priced', 'openai');
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
    expect(record.inputTokens).toBeGreaterThan(0);
    // Settled to its estimated cost, far below the 1 000 output tokens it held.
    expect((await spentSinceStart(budgeted.id)) - spentBefore).toBe(record.costMicros);
    expect(record.costMicros).toBeLessThan(1000 * PRICE.output);
  });

  it('Responses passthrough, broken off upstream (no final event came): the prompt estimated, the output from the deltas relayed', async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 7 });
    const spentBefore = await spentSinceStart(budgeted.id);

    const { received } = await readUntilCut((signal) => openai(budgeted.key).responses.create({ model: 'gpt-priced', max_output_tokens: 1000, stream: true, input: PROMPT }, { signal }), responsesText);

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'gpt-priced', 'openai-responses');
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
    expect(record.inputTokens).toBeGreaterThan(0);
    expect((await spentSinceStart(budgeted.id)) - spentBefore).toBe(record.costMicros);
  });

  it('Gemini passthrough, broken off upstream: the prompt as counted so far, the output from the text relayed', async () => {
    gemini.reply({ kind: 'drop', afterEvents: 2 });
    const spentBefore = await spentSinceStart(budgeted.id);

    const received = await geminiStreamText(budgeted.key, { contents: [{ role: 'user', parts: [{ text: PROMPT }] }], generationConfig: { maxOutputTokens: 1000 } });

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'gemini-priced', 'gemini');
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
    expect(record.inputTokens).toBeGreaterThan(0);
    expect((await spentSinceStart(budgeted.id)) - spentBefore).toBe(record.costMicros);
  });

  it('translated (OpenAI client, Anthropic upstream), broken off: the output the encoder relayed', async () => {
    claude.reply({ kind: 'drop', afterEvents: 4 });

    const { received } = await readUntilCut((signal) => openai(budgeted.key).chat.completions.create({ model: 'claude-priced', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: PROMPT }] }, { signal }), chatText);

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'claude-priced', 'openai');
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
    expect(record.inputTokens).toBeGreaterThan(1);
    // Logged as a passed-through break is: the provider by its config id, the socket's words (as `logBrokeOff` logs any break).
    const interrupted = warned.filter((l) => l.message === 'stream interrupted');
    expect(interrupted).toEqual([{ message: 'stream interrupted', fields: expect.objectContaining({ requestId: record.requestId, provider: 'claude', code: 'upstream_interrupted', error: 'other side closed', detail: 'other side closed' }) }]);
  });

  it('translated (OpenAI client, Gemini upstream), broken off: charged as a cut and logged at WARN as a passed-through break is', async () => {
    gemini.reply({ kind: 'drop', afterEvents: 2 });

    const { received, error } = await readUntilCut((signal) => openai(budgeted.key).chat.completions.create({ model: 'gemini-priced', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: PROMPT }] }, { signal }), chatText);

    expect(error).toBeInstanceOf(OpenAI.APIError);
    const record = await recordOf('interrupted', 'gemini-priced', 'openai');
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length), errorCode: 'upstream_interrupted' });
    const interrupted = warned.filter((l) => l.message === 'stream interrupted');
    expect(interrupted).toEqual([{ message: 'stream interrupted', fields: expect.objectContaining({ requestId: record.requestId, provider: 'gem', code: 'upstream_interrupted', error: 'other side closed', detail: 'other side closed' }) }]);
  });

  it('left by the client mid-stream: at least the output it received, and the budget settled to the record’s cost', async () => {
    const spentBefore = await spentSinceStart(budgeted.id);
    const controller = new AbortController();

    let received = '';
    await (async () => {
      const stream = anthropicClient().messages.stream({ model: 'claude-slow', max_tokens: 1000, messages: [{ role: 'user', content: PROMPT }] }, { signal: controller.signal });
      stream.on('text', (text) => {
        received += text;
        if (received.split(' ').length > 3) controller.abort();
      });
      await stream.finalMessage();
    })().catch(() => undefined);

    const record = await recordOf('aborted', 'claude-slow');
    expect(record.estimated).toBe(true);
    expect(record.outputTokens).toBeGreaterThanOrEqual(charTokens(received.length));
    expect((await spentSinceStart(budgeted.id)) - spentBefore).toBe(record.costMicros);
  });

  it('a stream that ends well keeps the provider’s own counts, unmarked', async () => {
    claude.reply({ kind: 'text', text: 'All well here', usage: { input: 40, output: 3 } });

    await anthropicClient().messages.create({ model: 'claude-priced', max_tokens: 100, stream: true, messages: [{ role: 'user', content: PROMPT }] }).then(async (s) => {
      for await (const _event of s);
    });

    const record = await recordOf('ok', 'claude-priced');
    expect(record).toMatchObject({ inputTokens: 40, outputTokens: 3 });
    expect(record).not.toHaveProperty('estimated');
  });
});

describe('a stream cut off, on a key without limits (no budget held for the call)', () => {
  /** Enough words that the slow upstream is still writing when the client leaves. */
  const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

  it('Chat Completions passthrough, left by the client after some deltas: the output estimated from the text relayed, marked estimated', async () => {
    // Prepare
    slowOpenAI.reply({ kind: 'text', text: LONG, usage: { prompt: 20, completion: 60 } });

    // Act
    const { received } = await readUntilCut(
      (signal) => openai(open.key).chat.completions.create({ model: 'gpt-slow', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: PROMPT }] }, { signal }),
      chatText,
      true,
    );

    // Assess
    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('aborted', 'gpt-slow', 'openai', open.id);
    expect(record.estimated).toBe(true);
    expect(record.outputTokens).toBeGreaterThanOrEqual(charTokens(received.length));
    expect(record.inputTokens).toBeGreaterThan(0);
  });

  it('Chat Completions passthrough, broken off upstream: the output from the text relayed, as for a key with a budget', async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 3 });

    const { received } = await readUntilCut((signal) => openai(open.key).chat.completions.create({ model: 'gpt-priced', stream: true, messages: [{ role: 'user', content: PROMPT }] }, { signal }), chatText);

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'gpt-priced', 'openai', open.id);
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
  });

  it('Responses passthrough, left by the client after some deltas: the output estimated from the deltas relayed', async () => {
    slowOpenAI.reply({ kind: 'text', text: LONG, usage: { prompt: 20, completion: 60 } });

    const { received } = await readUntilCut((signal) => openai(open.key).responses.create({ model: 'gpt-slow', stream: true, input: PROMPT }, { signal }), responsesText, true);

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('aborted', 'gpt-slow', 'openai-responses', open.id);
    expect(record.estimated).toBe(true);
    expect(record.outputTokens).toBeGreaterThanOrEqual(charTokens(received.length));
  });

  it('Gemini passthrough, broken off upstream: the output from the text relayed', async () => {
    gemini.reply({ kind: 'drop', afterEvents: 2 });

    const received = await geminiStreamText(open.key, { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] });

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('interrupted', 'gemini-priced', 'gemini', open.id);
    expect(record).toMatchObject({ estimated: true, outputTokens: charTokens(received.length) });
  });

  it('translated (OpenAI client, Anthropic upstream), left by the client after some deltas: the output the encoder relayed', async () => {
    const { received } = await readUntilCut(
      (signal) => openai(open.key).chat.completions.create({ model: 'claude-slow', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: PROMPT }] }, { signal }),
      chatText,
      true,
    );

    expect(received.length).toBeGreaterThan(0);
    const record = await recordOf('aborted', 'claude-slow', 'openai', open.id);
    expect(record.estimated).toBe(true);
    expect(record.outputTokens).toBeGreaterThanOrEqual(charTokens(received.length));
    // A client that left is no cut of the upstream's: no WARN line, translated or passed through.
    expect(warned.filter((l) => l.message === 'stream interrupted')).toEqual([]);
  });
});
