/**
 * Gemini's other stream through the gateway: `streamGenerateContent` without `alt=sse`, one JSON
 * array written an element at a time (what Vertex AI's REST documentation and hand-written clients
 * call). @google/genai only asks for SSE, so the client here is plain `fetch`, reading the body as
 * it comes. Passed through to a Gemini upstream (asked the same way), translated for Anthropic and
 * OpenAI ones; usage records, an upstream that breaks off, and a client that leaves.
 */
import type { GeminiReply } from '../fakes/gemini';
import { eventually } from './harness';
import { MODELS, PRICE, startGeminiStack, type GeminiStack, type TargetName } from './gemini/stack';

let s: GeminiStack;
beforeAll(async () => {
  s = await startGeminiStack();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const USAGE = { input: 11, output: 7 };
const BODY = { contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] };

function scriptText(target: TargetName, text: string): void {
  if (target === 'gemini') s.gemini.reply({ kind: 'text', text, usage: { prompt: USAGE.input, candidates: USAGE.output } });
  else if (target === 'anthropic') s.anthropic.reply({ kind: 'text', text, usage: { input: USAGE.input, output: USAGE.output } });
  else s.openai.reply({ kind: 'text', text, usage: { prompt: USAGE.input, completion: USAGE.output } });
}

const streamArray = (model: string, query = '', init: RequestInit = {}) =>
  fetch(`${s.gw.url}/v1beta/models/${model}:streamGenerateContent${query}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key }, body: JSON.stringify(BODY), ...init });

/** The body read chunk by chunk, with the time each chunk arrived (ms after the headers). */
async function readChunks(res: Response): Promise<{ text: string; at: number }[]> {
  const start = performance.now();
  const decoder = new TextDecoder();
  const chunks: { text: string; at: number }[] = [];
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push({ text: decoder.decode(chunk, { stream: true }), at: performance.now() - start });
  return chunks;
}

type Element = { candidates?: { content?: { parts?: { text?: string }[] }; finishReason?: string }[]; usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number }; error?: { code: number; status: string; message: string } };
const textOf = (elements: Element[]) => elements.map((e) => e.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('') ?? '').join('');

/** The record of a call to `model` with `outcome`, once written (a client that left is noticed a moment after). */
async function recordOf(outcome: string, model: string) {
  let found: Awaited<ReturnType<GeminiStack['usage']>>[number] | undefined;
  await eventually(async () => {
    found = (await s.usage()).find((u) => u.outcome === outcome && u.model === model);
    expect(found).toBeDefined();
  });
  return found!;
}

async function latestRecord() {
  const records = await s.usage();
  return records.sort((a, b) => String(a.SK).localeCompare(String(b.SK))).at(-1);
}

describe.each(['gemini', 'anthropic', 'openai'] as const)('streamGenerateContent without alt=sse, to a %s target', (target) => {
  const model = MODELS[target].name;

  it.each(['', '?alt=json'])('answers one JSON array (query %j) of GenerateContentResponses, as application/json, and records the tokens', async (query) => {
    // Prepare
    scriptText(target, 'Hello from the upstream');

    // Act
    const res = await streamArray(model, query);
    const text = (await readChunks(res)).map((c) => c.text).join('');

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(text.startsWith('[')).toBe(true);
    expect(text).toMatch(/\n,\r\n/);
    const elements = JSON.parse(text) as Element[];
    expect(elements.length).toBeGreaterThan(1);
    expect(textOf(elements)).toBe('Hello from the upstream');
    expect(elements.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(elements.at(-1)?.usageMetadata).toMatchObject({ promptTokenCount: USAGE.input, candidatesTokenCount: USAGE.output });
    const record = await latestRecord();
    expect(record).toMatchObject({ surface: 'gemini', model, status: 200, outcome: 'ok', stream: true, inputTokens: USAGE.input, outputTokens: USAGE.output });
    expect(record?.costMicros).toBe(USAGE.input * PRICE.input + USAGE.output * PRICE.output);
  });
});

describe('the JSON-array stream, passed through to Gemini', () => {
  it('asks the upstream for the array too and relays its bytes unchanged', async () => {
    // Prepare
    scriptText('gemini', 'one two three');

    // Act
    const text = (await readChunks(await streamArray(MODELS.gemini.name))).map((c) => c.text).join('');

    // Assess
    const sent = s.gemini.requests.at(-1)!;
    expect(sent.path).toBe(`/v1beta/models/${MODELS.gemini.upstream}:streamGenerateContent`);
    expect(sent.search ?? '').not.toContain('alt=sse');
    // Google's own framing (the fake's pretty-printed elements) reached the client as written.
    expect(text).toMatch(/^\[\{\n {2}"candidates"/);
    expect(textOf(JSON.parse(text) as Element[])).toBe('one two three');
  });

  it('sends each element on as it comes, not once the array is whole', async () => {
    // Prepare: the upstream writes an element every 400 ms.
    const element = (t: string, extra = {}) => JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0, ...extra }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } }, null, 2);
    s.gemini.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: [`[${element('a')}`, `\n,\r\n${element('b')}`, `\n,\r\n${element('c', { finishReason: 'STOP' })}\n]`], delayMs: 400 } satisfies GeminiReply);

    // Act
    const chunks = await readChunks(await streamArray(MODELS.gemini.name));

    // Assess
    const firstElement = chunks.find((c) => c.text.includes('"a"'))!;
    const last = chunks.at(-1)!;
    expect(last.at - firstElement.at).toBeGreaterThanOrEqual(700);
    expect(textOf(JSON.parse(chunks.map((c) => c.text).join('')) as Element[])).toBe('abc');
  });
});

describe('the JSON-array stream when it goes wrong', () => {
  it.each(['gemini', 'anthropic'] as const)('ends a stream the %s upstream broke off with an error element, as valid JSON, charged what it used', async (target) => {
    // Prepare
    if (target === 'gemini') s.gemini.reply({ kind: 'drop', afterEvents: 2 });
    else s.anthropic.reply({ kind: 'drop', afterEvents: 4 });

    // Act
    const res = await streamArray(MODELS[target].name);
    const text = (await readChunks(res)).map((c) => c.text).join('');

    // Assess
    expect(res.status).toBe(200);
    const elements = JSON.parse(text) as Element[];
    expect(textOf(elements.slice(0, -1))).not.toBe('');
    expect(elements.at(-1)?.error).toMatchObject({ code: 502, status: 'UNAVAILABLE' });
    const record = await latestRecord();
    expect(record).toMatchObject({ surface: 'gemini', outcome: 'interrupted', stream: true });
    expect(Number(record?.outputTokens)).toBeGreaterThan(0);
  });

  it('passes on the error element a Gemini upstream ends its array with, in the gateway’s words as before the stream, and records an upstream error', async () => {
    // Prepare
    const first = JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }] }, null, 2);
    const error = JSON.stringify({ error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } }, null, 2);
    // Google's 500 is read as its answer before the stream would be: overloaded, a 503.
    const rewritten = JSON.stringify({ error: { code: 503, message: 'An internal error has occurred.', status: 'UNAVAILABLE' } }, null, 2);
    s.gemini.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: [`[${first}`, `\n,\r\n${error}\n]`] });

    // Act
    const text = (await readChunks(await streamArray(MODELS.gemini.name))).map((c) => c.text).join('');

    // Assess
    expect(text).toBe(`[${first}\n,\r\n${rewritten}\n]`);
    expect(await latestRecord()).toMatchObject({ outcome: 'upstream_error' });
  });

  it('ends as valid JSON an array a Gemini upstream finished but never closed, recorded as interrupted', async () => {
    // Prepare: the last element (finishReason, usage) arrives, then the connection ends before `]`.
    const last = JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } }, null, 2);
    s.gemini.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: [`[${last}`] });

    // Act
    const text = (await readChunks(await streamArray(MODELS.gemini.name))).map((c) => c.text).join('');

    // Assess
    const elements = JSON.parse(text) as Element[];
    expect(textOf(elements.slice(0, 1))).toBe('Hello');
    expect(elements.at(-1)?.error).toMatchObject({ code: 502, status: 'UNAVAILABLE' });
    expect(await latestRecord()).toMatchObject({ outcome: 'interrupted' });
  });

  it('closes the array after the error element a Gemini upstream left unclosed', async () => {
    // Prepare
    const first = JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }] }, null, 2);
    const error = JSON.stringify({ error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } }, null, 2);
    // Google's 500 is read as its answer before the stream would be: overloaded, a 503.
    const rewritten = JSON.stringify({ error: { code: 503, message: 'An internal error has occurred.', status: 'UNAVAILABLE' } }, null, 2);
    s.gemini.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: [`[${first}`, `\n,\r\n${error}`] });

    // Act
    const text = (await readChunks(await streamArray(MODELS.gemini.name))).map((c) => c.text).join('');

    // Assess
    expect(text).toBe(`[${first}\n,\r\n${rewritten}\n]`);
    expect(await latestRecord()).toMatchObject({ outcome: 'upstream_error' });
  });

  it.each(['gemini', 'openai'] as const)('records a client that leaves a %s stream mid-way as aborted, charged the output it got', async (target) => {
    // Prepare: an answer paced slowly enough to leave in the middle of.
    const words = Array.from({ length: 12 }, (_, i) => `word${i} `);
    if (target === 'gemini') {
      const element = (t: string) => JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0 }] }, null, 2);
      s.gemini.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: words.map((w, i) => `${i === 0 ? '[' : '\n,\r\n'}${element(w)}`), delayMs: 150 });
    } else {
      const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      s.openai.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: words.map(chunk), delayMs: 150 });
    }
    const controller = new AbortController();

    // Act
    const res = await streamArray(MODELS[target].name, '', { signal: controller.signal });
    let received = '';
    await (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        received += Buffer.from(chunk).toString();
        if (received.includes('word1 ')) controller.abort();
      }
    })().catch(() => undefined);

    // Assess
    expect(received).toContain('word0 ');
    expect(received).not.toContain('word11');
    const record = await recordOf('aborted', MODELS[target].name);
    expect(record).toMatchObject({ surface: 'gemini', stream: true, estimated: true });
    expect(Number(record?.outputTokens)).toBeGreaterThan(0);
  });

  it('refuses an alt it does not know with a 400 in Google’s shape', async () => {
    const res = await streamArray(MODELS.anthropic.name, '?alt=proto');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});
