/**
 * Guardrails on answers end to end: the official clients against the gateway as `npm start` runs
 * it, fake upstreams answering with an AWS access key id, a GitHub token or a JWT in the model's
 * text and tool calls, streamed (split across events) and not, passed through and translated.
 * A redacted answer reaches the client (and the response cache, and the audit log) without the
 * secret; a blocked one reaches it as `guardrail_blocked` in its own dialect, its tokens still
 * counted; a flagged one goes as it came, its usage record naming the hit on the response side.
 */
import Anthropic from '@anthropic-ai/sdk';
import { gunzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { MemoryAuditSink } from '../../lib/audit/log';
import type { AuditRecord } from '../../lib/audit/record';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import type { StoredUsage } from '../../lib/store/usage';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { eventually, geminiClient, startHarness, type Harness } from './harness';

const PRICE = { input: 1, output: 4 };
const KEY = FAKE.awsKeyId;
const TOKEN = FAKE.githubClassic;
/** The key cut in two across stream events. */
const KEY_CHUNKS = ['Set ', `AWS_ACCESS_KEY_ID=${KEY.slice(0, 9)}`, `${KEY.slice(9)} in `, 'your shell.'];
const KEY_TEXT = KEY_CHUNKS.join('');
const REDACTED_TEXT = 'Set AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key] in your shell.';

let h: Harness;
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let sink: MemoryAuditSink;
/** A key for every model (the harness's own key has a few). */
let key: string;
let keyId: string;

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-upstream' });
  gemini = await startFakeGemini({ apiKey: 'AIza-upstream' });
  sink = new MemoryAuditSink();
  h = await startHarness({
    credentials: { ANT_KEY: 'sk-ant-upstream', GEM_KEY: 'AIza-upstream' },
    audit: () => sink,
    config: (urls) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'ant', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'c', apiKey: { env: 'ANT_KEY' } }] },
        { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'g', apiKey: { env: 'GEM_KEY' } }] },
      ],
      models: [
        { name: 'gpt-4o-mini', price: PRICE, targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] },
        { name: 'gpt-cached', price: PRICE, targets: [{ provider: 'primary', model: 'gpt-4o-mini' }], cache: {} },
        { name: 'gpt-shared', price: PRICE, targets: [{ provider: 'primary', model: 'gpt-4o-mini' }], cache: { share: 'all' } },
        { name: 'claude-sonnet-4-6', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        // An OpenAI client on Claude: the answer is translated, then screened in the client's dialect.
        { name: 'gpt-on-claude', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini-2.5-flash', price: PRICE, targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }] },
      ],
      audit: { mode: 'all' },
      guardrails: {
        on: ['response'],
        rules: [
          { detect: 'aws-access-key', action: 'redact' },
          { detect: 'github-token', action: 'block' },
          { detect: 'jwt', action: 'flag' },
        ],
      },
    }),
  });
  ({ key, id: keyId } = await h.createKey({ name: 'agent', models: ['*'] }));
});
afterAll(async () => {
  await h.close();
  await anthropic.close();
  await gemini.close();
});
beforeEach(() => {
  h.upstream.reset();
  anthropic.reset();
  gemini.reset();
});

const openai = () => h.openai({ apiKey: key });
const claude = () => new Anthropic({ apiKey: key, baseURL: h.gw.url, maxRetries: 0, timeout: 20_000 });

/** The usage record of the call whose answer had `id`, or the last one matching. */
async function usageWhere(match: (u: StoredUsage) => boolean): Promise<StoredUsage> {
  let found: StoredUsage | undefined;
  await eventually(async () => {
    found = (await h.usage(keyId)).filter(match).pop();
    expect(found).toBeDefined();
  });
  return found!;
}

async function auditOf(requestId: string): Promise<AuditRecord> {
  let record: AuditRecord | undefined;
  await eventually(async () => {
    await h.gw.gateway.drain();
    const key = [...sink.objects.keys()].find((k) => k.includes(requestId));
    expect(key).toBeDefined();
    record = JSON.parse(gunzipSync(sink.objects.get(key!)!).toString()) as AuditRecord;
  });
  return record!;
}

describe('redact', () => {
  it('rewrites a whole OpenAI answer and its tool call arguments, and books the hit on the response side with the tokens', async () => {
    // Prepare
    h.upstream.reply(() => ({ kind: 'tool_calls', text: KEY_TEXT, calls: [{ name: 'shell', arguments: JSON.stringify({ cmd: `export AWS_ACCESS_KEY_ID=${KEY}` }) }], usage: { prompt: 11, completion: 7 } }));
    // Act
    const res = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'configure aws' }] }).withResponse();
    // Assess
    const message = res.data.choices[0]!.message;
    expect(message.content).toBe(REDACTED_TEXT);
    const call = message.tool_calls![0]!;
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ cmd: 'export AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]' });
    const requestId = res.response.headers.get('x-request-id')!;
    const usage = await usageWhere((u) => u.requestId === requestId);
    expect(usage).toMatchObject({ status: 200, inputTokens: 11, outputTokens: 7, guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 2, side: 'response' }] });
    expect(usage.costMicros).toBeGreaterThan(0);
    // The audit log keeps what the client got.
    const audit = await auditOf(requestId);
    expect(audit.response.text).toContain('[REDACTED:aws-access-key]');
    expect(audit.response.text).not.toContain(KEY);
  });

  it('rewrites a key split across OpenAI stream chunks before it leaves, and keeps the rest of the stream', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: KEY_TEXT, chunks: KEY_CHUNKS, usage: { prompt: 9, completion: 6 } }));
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(REDACTED_TEXT);
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 6 });
    const record = await usageWhere((u) => u.stream === true && u.model === 'gpt-4o-mini' && u.outputTokens === 6);
    expect(record).toMatchObject({ outcome: 'ok', guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }] });
  });

  it('rewrites an Anthropic stream (text and tool input deltas) for the Anthropic client', async () => {
    anthropic.reply(() => ({ kind: 'tool_use', text: KEY_TEXT, calls: [{ name: 'Bash', input: { command: `export AWS_ACCESS_KEY_ID=${KEY}` }, inputChunks: ['{"command": "export AWS_', `ACCESS_KEY_ID=${KEY.slice(0, 6)}`, `${KEY.slice(6)}"}`] }] }));
    const stream = claude().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'configure aws' }], tools: [{ name: 'Bash', input_schema: { type: 'object' } }] });
    const message = await stream.finalMessage();
    const raw = JSON.stringify(message);
    expect(raw).not.toContain(KEY);
    const tool = message.content.find((b) => b.type === 'tool_use');
    expect(tool && tool.type === 'tool_use' && tool.input).toEqual({ command: 'export AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]' });
    const text = message.content.find((b) => b.type === 'text');
    expect(text && text.type === 'text' && text.text).toContain('[REDACTED:aws-access-key]');
  });

  it('rewrites a translated answer (Claude to an OpenAI client), whole and streamed', async () => {
    anthropic.reply(() => ({ kind: 'text', text: KEY_TEXT, chunks: KEY_CHUNKS }));
    const whole = await openai().chat.completions.create({ model: 'gpt-on-claude', messages: [{ role: 'user', content: 'hi' }] });
    expect(whole.choices[0]!.message.content).toBe(REDACTED_TEXT);
    const stream = await openai().chat.completions.create({ model: 'gpt-on-claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(REDACTED_TEXT);
  });

  it('stores the redacted answer in the response cache, so a hit serves what the first client got', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: KEY_TEXT }));
    const body = { model: 'gpt-cached', messages: [{ role: 'user' as const, content: `cache me ${Date.now()}` }] };
    const first = await openai().chat.completions.create(body);
    expect(first.choices[0]!.message.content).toBe(REDACTED_TEXT);
    // The cache write comes after the answer: once it has landed, one more call is a hit (asking
    // again until one is would send each miss upstream too).
    await h.gw.gateway.drain();
    const hit = await openai().chat.completions.create(body).withResponse();
    expect(hit.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(hit.data.choices[0]!.message.content).toBe(REDACTED_TEXT);
    expect(h.upstream.requests).toHaveLength(1);
  });
});

describe('redact, on the other APIs', () => {
  it('rewrites a Responses stream for the OpenAI client, its closing events too', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: KEY_TEXT, chunks: KEY_CHUNKS }));
    const stream = await openai().responses.create({ model: 'gpt-4o-mini', input: 'configure aws', stream: true });
    let deltas = '';
    let final = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') deltas += event.delta;
      if (event.type === 'response.completed') final = JSON.stringify(event.response.output);
    }
    expect(deltas).toBe(REDACTED_TEXT);
    expect(final).toContain(JSON.stringify(REDACTED_TEXT).slice(1, -1));
    expect(final).not.toContain(KEY);
    const record = await usageWhere((u) => u.surface === 'openai-responses');
    expect(record.guardrails).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }]);
  });

  it('rewrites Gemini answers for the Google client, whole and streamed', async () => {
    gemini.reply({ kind: 'text', text: KEY_TEXT, chunks: KEY_CHUNKS });
    const ai = geminiClient(h.gw, key);
    const whole = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'configure aws' });
    expect(whole.text).toBe(REDACTED_TEXT);
    let streamed = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'configure aws' })) streamed += chunk.text ?? '';
    expect(streamed).toBe(REDACTED_TEXT);
  });

  it("rewrites Gemini's JSON-array stream (no alt=sse) element by element, leaving it valid JSON", async () => {
    gemini.reply({ kind: 'text', text: KEY_TEXT, chunks: KEY_CHUNKS });
    const res = await fetch(`${h.gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': key }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'configure aws' }] }] }) });
    const elements = (await res.json()) as { candidates?: { content?: { parts?: { text?: string }[] } }[] }[];
    expect(elements.map((e) => e.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('') ?? '').join('')).toBe(REDACTED_TEXT);
  });
});

describe('block', () => {
  it('withholds a whole OpenAI answer as BadRequestError guardrail_blocked, never the token, and counts the tokens', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: `Use ${TOKEN} to push.`, usage: { prompt: 13, completion: 8 } }));
    const body = { model: 'gpt-cached', messages: [{ role: 'user' as const, content: `push ${Date.now()}` }] };
    const err = await openai().chat.completions.create(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.code).toBe('guardrail_blocked');
    expect(bad.message).toContain('"github-token"');
    expect(bad.message).toContain('choices[0].message.content');
    expect(bad.message).not.toContain(TOKEN);
    const requestId = bad.headers?.get('x-request-id') ?? '';
    const usage = await usageWhere((u) => u.requestId === requestId);
    expect(usage).toMatchObject({ status: 400, errorCode: 'guardrail_blocked', inputTokens: 13, outputTokens: 8, guardrails: [{ rule: 'github-token', action: 'block', count: 1, side: 'response' }] });
    expect(usage.costMicros).toBeGreaterThan(0);
    // Not stored: the same call goes upstream again.
    expect(usage.cache).toBe('miss');
    await openai().chat.completions.create(body).catch(() => undefined);
    expect(h.upstream.requests).toHaveLength(2);
    const audit = await auditOf(requestId);
    expect(audit.response.text).toContain('guardrail_blocked');
    expect(audit.response.text).not.toContain(TOKEN);
  });

  it("ends an Anthropic stream with an in-band error before the token leaves, for the Anthropic client", async () => {
    const pieces = ['Your token: ', TOKEN.slice(0, 12), TOKEN.slice(12), ' keep it safe.'];
    anthropic.reply(() => ({ kind: 'text', text: pieces.join(''), chunks: pieces, usage: { input: 21, output: 9 } }));
    const stream = claude().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'token?' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as Error).message).toContain('guardrail_blocked');
    expect((err as Error).message).toContain('content[0].text');
    expect(text).not.toContain(TOKEN.slice(0, 12));
    const usage = await usageWhere((u) => u.model === 'claude-sonnet-4-6' && u.errorCode === 'guardrail_blocked');
    expect(usage).toMatchObject({ outcome: 'interrupted', guardrails: [{ rule: 'github-token', action: 'block', count: 1, side: 'response' }] });
    expect(usage.inputTokens).toBe(21);
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('ends an OpenAI stream with an error event the OpenAI client raises', async () => {
    const pieces = ['Token ', TOKEN.slice(0, 5), TOKEN.slice(5), ' ok'];
    h.upstream.reply(() => ({ kind: 'text', text: pieces.join(''), chunks: pieces }));
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'token?' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('guardrail_blocked');
    expect(text).not.toContain('ghp_');
  });
});

describe('with in-band upstream errors', () => {
  const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const delta = (text: string) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });

  it('sends the held text, redacted, then the upstream\'s error event, which the Anthropic client raises', async () => {
    anthropic.reply({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: [
        sse('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } } }),
        sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
        ...KEY_CHUNKS.map(delta),
        sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
      ],
    });
    const stream = claude().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: `aws ${Date.now()}` }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as Error).message).toContain('overloaded_error');
    expect(text).toBe(REDACTED_TEXT);
    const usage = await usageWhere((u) => u.model === 'claude-sonnet-4-6' && u.errorCode === 'overloaded_error');
    expect(usage).toMatchObject({ outcome: 'upstream_error', guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }] });
  });

  it("ends a held Gemini JSON array with the upstream's error element, redacted before it and valid JSON", async () => {
    const element = (text: string) => JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }] }, null, 2);
    const error = JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }, null, 2);
    gemini.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: [`[${element(KEY_CHUNKS[0]!)}`, ...KEY_CHUNKS.slice(1).map((t) => `\n,\r\n${element(t)}`), `\n,\r\n${error}`, '\n]'] });
    const res = await fetch(`${h.gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': key }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `aws ${Date.now()}` }] }] }) });
    const body = await res.text();
    const elements = JSON.parse(body) as { candidates?: { content: { parts: { text: string }[] } }[]; error?: { status: string } }[];
    expect(elements.map((e) => e.candidates?.[0]?.content.parts[0]?.text ?? '').join('')).toBe(REDACTED_TEXT);
    expect(elements.at(-1)?.error?.status).toBe('UNAVAILABLE');
    expect(body).not.toContain(KEY.slice(9));
  });
});

describe('block, on the other APIs', () => {
  const pieces = ['Token ', TOKEN.slice(0, 8), TOKEN.slice(8), ' ok'];

  it('ends a Responses stream with an error the OpenAI client raises, before the token leaves', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: pieces.join(''), chunks: pieces }));
    const stream = await openai().responses.create({ model: 'gpt-4o-mini', input: `token ${Date.now()}`, stream: true });
    let deltas = '';
    const err = await (async () => {
      for await (const event of stream) if (event.type === 'response.output_text.delta') deltas += event.delta;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('guardrail_blocked');
    expect(deltas).not.toContain(TOKEN.slice(0, 8));
  });

  it('ends a Gemini stream with an error @google/genai raises, before the token leaves', async () => {
    gemini.reply({ kind: 'text', text: pieces.join(''), chunks: pieces });
    const ai = geminiClient(h.gw, key);
    let text = '';
    const err = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: `token ${Date.now()}` })) text += chunk.text ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('guardrail_blocked');
    expect(text).not.toContain(TOKEN.slice(0, 8));
  });

  it('ends a Gemini JSON array with an error element, valid JSON, before the token leaves', async () => {
    gemini.reply({ kind: 'text', text: pieces.join(''), chunks: pieces });
    const res = await fetch(`${h.gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': key }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `token ${Date.now()}` }] }] }) });
    const body = await res.text();
    const elements = JSON.parse(body) as { error?: { message: string } }[];
    expect(elements.at(-1)?.error?.message).toContain('guardrail_blocked');
    expect(body).not.toContain(TOKEN.slice(0, 8));
  });
});

/** The data of each SSE event of a body as the client gets it, in order. */
function sseEventsOf(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Record<string, unknown>);
}

describe('block, on a Responses stream: the error event follows on from the last event the client got', () => {
  const pieces = ['Token ', TOKEN.slice(0, 12), TOKEN.slice(12), ' ok'];
  const responsesStream = async (model: string) => {
    const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, input: `token ${Date.now()}`, stream: true }) });
    expect(res.status).toBe(200);
    return sseEventsOf(await res.text());
  };

  // Translated: the encoder numbers the events, which the stream guard cannot ask (it sent 0).
  it('numbers a translated stream’s error event on, and the official client raises it', async () => {
    anthropic.reply(() => ({ kind: 'text', text: pieces.join(''), chunks: pieces }));
    const events = await responsesStream('claude-sonnet-4-6');
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'guardrail_blocked' });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    expect(JSON.stringify(events)).not.toContain(TOKEN.slice(0, 12));
    const stream = await openai().responses.create({ model: 'claude-sonnet-4-6', input: 'token?', stream: true });
    const err = await (async () => {
      for await (const _event of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('guardrail_blocked');
  });

  // Passed through: the relay counted the events the screen held back (it left a gap).
  it('numbers a passed-through stream’s error event on, without counting the events the screen held back', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: pieces.join(''), chunks: pieces }));
    const events = await responsesStream('gpt-4o-mini');
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'guardrail_blocked' });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    expect(JSON.stringify(events)).not.toContain(TOKEN.slice(0, 12));
  });
});

describe('flag', () => {
  it('lets a JWT through untouched, streamed and not, and books the hit on the response side', async () => {
    const jwtPieces = ['token: ', FAKE.jwt.slice(0, 30), FAKE.jwt.slice(30), ' done'];
    anthropic.reply(() => ({ kind: 'text', text: jwtPieces.join(''), chunks: jwtPieces, usage: { input: 5, output: 4 } }));
    const whole = await claude().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'jwt?' }] });
    expect(whole.content[0]).toMatchObject({ type: 'text', text: jwtPieces.join('') });
    const streamed = await claude().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'jwt?' }] }).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'text', text: jwtPieces.join('') });
    await eventually(async () => {
      const flagged = (await h.usage(keyId)).filter((u) => u.model === 'claude-sonnet-4-6' && JSON.stringify(u.guardrails ?? []).includes('"jwt"'));
      expect(flagged.map((u) => [u.stream, u.outputTokens, u.guardrails])).toEqual(
        expect.arrayContaining([
          [false, 4, [{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]],
          [true, 4, [{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]],
        ]),
      );
    });
  });

  it('leaves an answer with nothing in it as it came', async () => {
    h.upstream.reply(() => ({ kind: 'text', text: 'Nothing secret here.' }));
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(JSON.parse(text).choices[0].message.content).toBe('Nothing secret here.');
  });
});

describe('whose answers', () => {
  it("screens no answer of an exempt key, and no request when the rules look at answers only", async () => {
    const { key: trusted } = await h.createKey({ name: 'ci', models: ['*'], guardrails: 'off' });
    h.upstream.reply(() => ({ kind: 'text', text: `Use ${TOKEN} to push.` }));
    const answer = await h.openai({ apiKey: trusted }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `my key ${KEY}` }] });
    expect(answer.choices[0]!.message.content).toBe(`Use ${TOKEN} to push.`);
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `my key ${KEY}` }] }).catch(() => undefined);
    expect(JSON.stringify(h.upstream.requests.map((r) => r.body))).toContain(KEY);
  });

  it("never serves a screened key the answer a shared cache stored for an exempt key", async () => {
    const { key: trusted } = await h.createKey({ name: 'ci-shared', models: ['*'], guardrails: 'off' });
    h.upstream.reply(() => ({ kind: 'text', text: KEY_TEXT }));
    const body = { model: 'gpt-shared', messages: [{ role: 'user' as const, content: `aws ${Date.now()}` }] };
    const raw = await h.openai({ apiKey: trusted }).chat.completions.create(body);
    expect(raw.choices[0]!.message.content).toBe(KEY_TEXT);
    const screened = await openai().chat.completions.create(body);
    expect(screened.choices[0]!.message.content).toBe(REDACTED_TEXT);
  });
});
