import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import OpenAI, { toFile } from 'openai';
import { FileAuditSink } from '../../lib/audit/file-sink';
import { S3AuditSink } from '../../lib/audit/s3-sink';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import type { AuditRecord } from '../../lib/audit/record';
import type { AuditSink } from '../../lib/audit/log';
import type { GatewayConfigInput } from '../../lib/config/schema';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeS3, type FakeS3 } from '../fakes/s3';
import { auditRecordsIn } from './audit-records';
import { ADMIN_TOKEN, eventually, startHarness, type Harness } from './harness';

const BUCKET = 'aigw-audit-test';
const S3_CREDENTIALS = { accessKeyId: 'AKIDAUDIT', secretAccessKey: 'audit-secret' };
const messages = [{ role: 'user' as const, content: 'What is the capital of France? Réponds en français.' }];

/** What the client's fetch sent and got: the bodies exactly, to hold the records against. */
interface Exchange {
  sent: string;
  received: Promise<string>;
}

/** A fetch for the official clients that keeps a copy of each body sent and of each answer's bytes, streams included. */
function recordingFetch(exchanges: Exchange[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    exchanges.push({ sent: String(init?.body ?? ''), received: res.clone().text().catch(() => '') });
    return res;
  };
}

/** A harness writing its audit records to files in a directory of its own, the fake Anthropic beside it, and an agent's key. */
interface FileAudited {
  dir: string;
  anthropic: FakeAnthropic;
  h: Harness;
  caller: { id: string; key: string };
}

async function startFileAudited(dirPrefix: string, config: (urls: { upstream: string; backup: string }, anthropicUrl: string) => GatewayConfigInput): Promise<FileAudited> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
  const h = await startHarness({ config: (urls) => config(urls, anthropic.url), credentials: { ANT_KEY: 'sk-ant-test' }, audit: () => new FileAuditSink(dir) });
  const caller = await h.createKey({ name: 'agent', models: ['*'] });
  return { dir, anthropic, h, caller };
}

async function closeFileAudited({ dir, anthropic, h }: FileAudited): Promise<void> {
  await h.close();
  await anthropic.close();
  rmSync(dir, { recursive: true, force: true });
}

function configFor(urls: { upstream: string; backup: string }, anthropicUrl: string, mode: 'off' | 'all' | 'flagged', maxBytes?: number) {
  return {
    providers: [
      { id: 'primary', type: 'openai' as const, baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      { id: 'backup', type: 'openai-compatible' as const, baseUrl: urls.backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      { id: 'ant', type: 'anthropic' as const, baseUrl: anthropicUrl, accounts: [{ id: 'c', apiKey: { env: 'ANT_KEY' } }] },
    ],
    models: [
      { name: 'gpt-4o-mini', targets: [{ provider: 'primary', model: 'gpt-4o-mini-2024-07-18' }] },
      { name: 'gpt-4o', targets: [{ provider: 'primary', model: 'gpt-4o' }, { provider: 'backup', model: 'gpt-4o-backup' }] },
      { name: 'claude-sonnet-4-6', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
      { name: 'text-embedding-3-small', targets: [{ provider: 'primary', model: 'text-embedding-3-small' }] },
      { name: 'tts', targets: [{ provider: 'primary', model: 'gpt-4o-mini-tts' }] },
      { name: 'transcribe', targets: [{ provider: 'primary', model: 'gpt-4o-transcribe' }] },
    ],
    audit: { mode, ...(maxBytes ? { maxBytes } : {}) },
  };
}

describe('the audit log, flagged mode, to S3', () => {
  let s3: FakeS3;
  let anthropic: FakeAnthropic;
  let h: Harness;
  let flagged: { id: string; key: string };
  let teamKey: { id: string; key: string };
  let exchanges: Exchange[];

  beforeAll(async () => {
    s3 = await startFakeS3({ ...S3_CREDENTIALS, region: 'eu-west-1', buckets: [BUCKET] });
    anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
    const sink: AuditSink = new S3AuditSink({ bucket: BUCKET, region: 'eu-west-1', credentials: S3_CREDENTIALS, endpoint: s3.url });
    h = await startHarness({ config: (urls) => configFor(urls, anthropic.url, 'flagged'), credentials: { ANT_KEY: 'sk-ant-test' }, audit: () => sink });
    flagged = await h.createKey({ name: 'legal', models: ['*'], audit: true });
    const team = await (await fetch(`${h.gw.url}/admin/teams`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'compliance', audit: true }) })).json() as { id: string };
    teamKey = await h.createKey({ name: 'in-team', models: ['*'], teamId: team.id });
  });
  afterAll(async () => {
    await h.close();
    await anthropic.close();
    await s3.close();
  });
  beforeEach(() => {
    s3.objects.clear();
    h.upstream.reset();
    h.backup.reset();
    anthropic.reset();
    h.health.clear();
    exchanges = [];
  });

  const openai = (key = flagged.key) => new OpenAI({ apiKey: key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, fetch: recordingFetch(exchanges) });

  /** The one record written since the case began, once the gateway's writes are done. */
  async function onlyRecord(): Promise<AuditRecord> {
    await h.gw.gateway.drain();
    const keys = [...s3.objects.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${BUCKET}/audit/\\d{4}/\\d{2}/\\d{2}/\\d{2}/[A-Za-z0-9._-]+\\.json\\.gz$`));
    expect(s3.objects.get(keys[0]!)).toMatchObject({ contentType: 'application/json', contentEncoding: 'gzip' });
    return s3.json(keys[0]!) as AuditRecord;
  }

  it('keeps a whole chat completion: the body the client sent and the JSON it got, with the usage record\'s facts', async () => {
    // Act
    const completion = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.2 });

    // Assess
    const record = await onlyRecord();
    const [exchange] = exchanges;
    expect(record).toMatchObject({
      keyId: flagged.id,
      surface: 'openai',
      model: 'gpt-4o-mini',
      stream: false,
      target: { provider: 'primary', account: 'a', model: 'gpt-4o-mini-2024-07-18' },
      status: 200,
      outcome: 'ok',
      attempts: 1,
      usage: { inputTokens: completion.usage!.prompt_tokens, outputTokens: completion.usage!.completion_tokens },
      request: { contentType: 'application/json', text: exchange!.sent, bytes: Buffer.byteLength(exchange!.sent) },
      response: { contentType: 'application/json', text: await exchange!.received },
    });
    expect(s3.objects.keys().next().value).toContain(record.requestId);
  });

  it('keeps a streamed chat completion as the SSE bytes the client got, in order', async () => {
    // Act
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    // Assess
    const record = await onlyRecord();
    const received = await exchanges[0]!.received;
    expect(received).toContain('data: [DONE]');
    expect(record).toMatchObject({ stream: true, outcome: 'ok', request: { text: exchanges[0]!.sent }, response: { contentType: expect.stringContaining('text/event-stream'), text: received, bytes: Buffer.byteLength(received) } });
    expect(record.response).not.toHaveProperty('truncated');
    expect(text.length).toBeGreaterThan(0);
  });

  it('keeps an Anthropic client\'s streamed message as the SSE it got', async () => {
    // Prepare
    const client = new Anthropic({ apiKey: flagged.key, baseURL: h.gw.url, maxRetries: 0, fetch: recordingFetch(exchanges) });

    // Act
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 200, messages });
    const final = await stream.finalMessage();

    // Assess
    const record = await onlyRecord();
    const received = await exchanges[0]!.received;
    expect(received).toContain('event: message_stop');
    expect(record).toMatchObject({ surface: 'anthropic', stream: true, outcome: 'ok', target: { provider: 'ant' }, usage: { outputTokens: final.usage.output_tokens }, request: { text: exchanges[0]!.sent }, response: { text: received } });
  });

  it('leaves the record of a stream whose client went away mid-stream, with what it was sent', async () => {
    // Prepare: the upstream sends a chunk every 50 ms for seconds.
    const chunk = (i: number) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: `w${i} ` }, finish_reason: null }] })}\n\n`;
    h.upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: Array.from({ length: 100 }, (_, i) => chunk(i)), delayMs: 50 });
    const controller = new AbortController();
    let seen = 0;

    // Act
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
    await (async () => {
      for await (const _ of stream) if (++seen === 2) controller.abort();
    })().catch(() => undefined);

    // Assess
    await eventually(async () => {
      await h.gw.gateway.drain();
      expect(s3.objects.size).toBe(1);
    });
    const record = await onlyRecord();
    expect(record.outcome).toBe('aborted');
    expect(record.response.text).toMatch(/^data: .*"w0 "/);
    expect(record.response.text).toContain('"w1 "');
    expect(record.response.text).not.toContain('"w99 "');
  });

  it('names the target that answered after a failover, and keeps only the answer the client got', async () => {
    // Prepare
    h.upstream.reply({ kind: 'error', status: 503 });

    // Act
    const completion = await openai().chat.completions.create({ model: 'gpt-4o', messages });

    // Assess
    const record = await onlyRecord();
    expect(record).toMatchObject({ attempts: 2, target: { provider: 'backup', account: 'b', model: 'gpt-4o-backup' }, status: 200, outcome: 'ok' });
    expect(JSON.parse(record.response.text!)).toMatchObject({ id: completion.id, choices: [{ message: { content: completion.choices[0]!.message.content } }] });
  });

  it('keeps an embeddings call', async () => {
    const res = await openai().embeddings.create({ model: 'text-embedding-3-small', input: 'audit me' });

    const record = await onlyRecord();
    expect(record).toMatchObject({ surface: 'openai-embeddings', model: 'text-embedding-3-small', request: { text: exchanges[0]!.sent }, response: { text: await exchanges[0]!.received } });
    expect(res.data).toHaveLength(1);
  });

  it('keeps only the size and type of binary bodies: speech\'s audio, an upload', async () => {
    // Act
    const speech = await openai().audio.speech.create({ model: 'tts', voice: 'alloy', input: 'Hello there', response_format: 'wav' });
    const audio = Buffer.from(await speech.arrayBuffer());
    const spoken = await onlyRecord();
    s3.objects.clear();
    const upload = Buffer.concat([Buffer.from('ID3'), Buffer.from([0x00, 0xff]), Buffer.from('not really audio')]);
    const transcript = await openai().audio.transcriptions.create({ model: 'transcribe', file: await toFile(upload, 'a.mp3', { type: 'audio/mpeg' }) });
    const heard = await onlyRecord();

    // Assess
    expect(spoken).toMatchObject({ surface: 'openai-audio', request: { contentType: 'application/json', text: exchanges[0]!.sent } });
    expect(spoken.response).toEqual({ contentType: 'audio/wav', bytes: audio.byteLength });
    expect(heard.request).toEqual({ contentType: expect.stringMatching(/^multipart\/form-data; boundary=/), bytes: expect.any(Number) });
    expect(heard.request.bytes).toBeGreaterThan(upload.byteLength);
    expect(JSON.parse(heard.response.text!)).toMatchObject({ text: transcript.text });
  });

  it('keeps a streamed Responses call and a text completion, each as its client got it', async () => {
    // Act
    const stream = await openai().responses.create({ model: 'gpt-4o-mini', input: 'Say hello', stream: true });
    for await (const _ of stream) {
      // read it all
    }
    const responses = await onlyRecord();
    s3.objects.clear();
    await openai().completions.create({ model: 'gpt-4o-mini', prompt: 'Once upon a time' });
    const completion = await onlyRecord();

    // Assess
    expect(responses).toMatchObject({ surface: 'openai-responses', stream: true, request: { text: exchanges[0]!.sent }, response: { text: await exchanges[0]!.received } });
    expect(responses.response.text).toContain('response.completed');
    expect(completion).toMatchObject({ surface: 'openai-completions', request: { text: exchanges[1]!.sent }, response: { text: await exchanges[1]!.received } });
  });

  it.each([['application/octet-stream'], ['multipart/form-data; boundary=x'], [undefined]])('keeps the prompt of a JSON body the gateway served whatever its label (content-type %s)', async (contentType) => {
    // Prepare: the gateway reads a model call's body as JSON whatever the label says.
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the secret plan' }] });

    // Act
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${flagged.key}`, ...(contentType ? { 'content-type': contentType } : {}) }, body: Buffer.from(body) });

    // Assess
    expect(res.status).toBe(200);
    const record = await onlyRecord();
    expect(record.request).toEqual({ ...(contentType ? { contentType } : {}), bytes: Buffer.byteLength(body), text: body });
    expect(record.response.text).toBe(await res.text());
  });

  it('keeps the prompt of a served JSON body with one byte that is not UTF-8, as the gateway read it', async () => {
    // Prepare: the gateway reads JSON bodies leniently (a bad byte becomes U+FFFD) and serves them.
    const body = Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"the secret plan '), Buffer.from([0xff]), Buffer.from('"}]}')]);

    // Act
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${flagged.key}`, 'content-type': 'application/json' }, body });

    // Assess
    expect(res.status).toBe(200);
    const record = await onlyRecord();
    expect(record.request).toEqual({ contentType: 'application/json', bytes: body.byteLength, text: body.toString('utf8') });
    expect(record.request.text).toContain('the secret plan \ufffd');
  });

  it('keeps token counts (Anthropic\'s count_tokens, Gemini\'s countTokens), which leave no usage record', async () => {
    // Prepare: a key of its own, so its usage records are only these calls'.
    const counter = await h.createKey({ name: 'counter', models: ['*'], audit: true });
    const client = new Anthropic({ apiKey: counter.key, baseURL: h.gw.url, maxRetries: 0, fetch: recordingFetch(exchanges) });

    // Act
    const anthropicCount = await client.messages.countTokens({ model: 'claude-sonnet-4-6', messages });
    const anthropicRecord = await onlyRecord();
    s3.objects.clear();
    const geminiBody = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'the secret plan' }] }] });
    const gemini = await fetch(`${h.gw.url}/v1beta/models/gpt-4o-mini:countTokens`, { method: 'POST', headers: { 'x-goog-api-key': counter.key, 'content-type': 'application/json' }, body: geminiBody });
    const geminiAnswer = await gemini.text();
    const geminiRecord = await onlyRecord();

    // Assess
    expect(anthropicCount.input_tokens).toBeGreaterThan(0);
    expect(anthropicRecord).toMatchObject({ keyId: counter.id, surface: 'anthropic', model: 'claude-sonnet-4-6', status: 200, request: { text: exchanges[0]!.sent }, response: { text: await exchanges[0]!.received } });
    expect(gemini.status).toBe(200);
    expect(geminiRecord).toMatchObject({ keyId: counter.id, surface: 'gemini', model: 'gpt-4o-mini', status: 200, request: { text: geminiBody }, response: { text: geminiAnswer } });
    expect(await h.usage(counter.id)).toEqual([]);
  });

  it('keeps the size and type the client declared for a body refused unread as too large', async () => {
    // Prepare: over the gateway's 10 MiB limit, refused on its content-length.
    const body = Buffer.alloc(11 * 1024 * 1024, 'a');

    // Act
    const res = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${flagged.key}`, 'content-type': 'application/json' }, body });

    // Assess
    expect(res.status).toBe(413);
    const record = await onlyRecord();
    expect(record).toMatchObject({ status: 413, errorCode: 'request_too_large' });
    expect(record.request).toEqual({ contentType: 'application/json', bytes: body.byteLength });
  });

  it('keeps the calls of a key whose team is flagged', async () => {
    await openai(teamKey.key).chat.completions.create({ model: 'gpt-4o-mini', messages });

    const record = await onlyRecord();
    expect(record).toMatchObject({ keyId: teamKey.id, teamId: expect.stringMatching(/^team_/) });
  });

  it('keeps a refusal too: a model the key may not use, with the error the client got', async () => {
    const narrow = await h.createKey({ name: 'narrow', models: ['gpt-4o-mini'], audit: true });

    const err = await openai(narrow.key).chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const record = await onlyRecord();
    expect(record).toMatchObject({ keyId: narrow.id, status: 403, outcome: 'error', errorCode: 'model_not_allowed', request: { text: exchanges[0]!.sent } });
    expect(record).not.toHaveProperty('target');
    expect(JSON.parse(record.response.text!)).toMatchObject({ error: { code: 'model_not_allowed' } });
  });

  it('writes nothing for a key that is not flagged', async () => {
    await openai(h.key).chat.completions.create({ model: 'gpt-4o-mini', messages });
    const stream = await openai(h.key).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream) {
      // read it all
    }

    await h.gw.gateway.drain();
    expect(s3.objects.size).toBe(0);
    expect(await h.usage()).not.toHaveLength(0);
  });

  it('serves the call when S3 refuses the record, and says so in the log only', async () => {
    s3.failNext(1);

    const completion = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });

    await h.gw.gateway.drain();
    expect(completion.choices[0]!.message.content).toBeTruthy();
    expect(s3.objects.size).toBe(0);
    expect(s3.refused).toContain('SlowDown');
  });
});

describe('the audit log, all mode, with a small maxBytes', () => {
  it('cuts a long answer at maxBytes and says so', async () => {
    const anthropic = await startFakeAnthropic();
    const objects = new Map<string, Buffer>();
    const sink: AuditSink = { description: 'memory', put: async (key, body) => void objects.set(key, body) };
    const h = await startHarness({ config: (urls) => configFor(urls, anthropic.url, 'all', 64), credentials: { ANT_KEY: 'x' }, audit: () => sink });
    try {
      h.upstream.reply({ kind: 'text', text: 'word '.repeat(200) });

      await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
      await h.gw.gateway.drain();

      const [gzipped] = [...objects.values()];
      const record = JSON.parse(gunzipSync(gzipped!).toString()) as AuditRecord;
      expect(record.response).toMatchObject({ truncated: true });
      expect(Buffer.byteLength(record.response.text!)).toBeLessThanOrEqual(64);
      expect(record.response.bytes).toBeGreaterThan(1000);
    } finally {
      await h.close();
      await anthropic.close();
    }
  });
});

describe('the audit log, locally, to files', () => {
  it('writes each record under the data dir in the bucket\'s layout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-audit-data-'));
    const anthropic = await startFakeAnthropic();
    const h = await startHarness({ config: (urls) => configFor(urls, anthropic.url, 'all'), credentials: { ANT_KEY: 'x' }, audit: () => new FileAuditSink(dir) });
    try {
      await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
      await h.gw.gateway.drain();

      const files = readdirSync(join(dir, 'audit'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(files).toHaveLength(1);
      const path = join(files[0]!.parentPath, files[0]!.name);
      expect(path.slice(dir.length)).toMatch(/^\/audit\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[A-Za-z0-9._-]+\.json\.gz$/);
      expect(JSON.parse(gunzipSync(readFileSync(path)).toString())).toMatchObject({ keyId: h.keyId, outcome: 'ok', request: { text: expect.stringContaining('capital of France') } });
    } finally {
      await h.close();
      await anthropic.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the audit log, off (the default)', () => {
  it('writes nothing and never makes a sink, even for a key flagged for it', async () => {
    const anthropic = await startFakeAnthropic();
    const sink = jest.fn((): AuditSink => ({ description: 'never', put: async () => undefined }));
    const h = await startHarness({ config: (urls) => configFor(urls, anthropic.url, 'off'), credentials: { ANT_KEY: 'x' }, audit: sink });
    try {
      const flagged = await h.createKey({ name: 'legal', models: ['*'], audit: true });
      const client = h.openai({ apiKey: flagged.key });

      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      for await (const _ of stream) {
        // read it all
      }
      await h.gw.gateway.drain();

      expect(sink).not.toHaveBeenCalled();
    } finally {
      await h.close();
      await anthropic.close();
    }
  });
});

describe('the audit log, flagged mode, a flag in the answer', () => {
  const JWT = FAKE.jwt;
  const AWS = FAKE.awsKeyId;
  let dir: string;
  let anthropic: FakeAnthropic;
  let h: Harness;
  let exchanges: Exchange[];
  let caller: { id: string; key: string };

  beforeAll(async () => {
    ({ dir, anthropic, h, caller } = await startFileAudited('aigw-audit-answer-', (urls, anthropicUrl) => ({
      ...configFor(urls, anthropicUrl, 'flagged'),
      // One model with the response cache on: a hit replays an answer a flag matched in.
      models: [...configFor(urls, anthropicUrl, 'flagged').models, { name: 'cached', cache: { ttlSeconds: 300 }, targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] }],
      // A flag on answers, and a redaction so that streams are held: the record must hold the answer as the client got it.
      guardrails: { on: ['response' as const], rules: [{ detect: 'jwt' as const, action: 'flag' as const }, { detect: 'aws-access-key' as const, action: 'redact' as const }] },
    })));
  });
  afterAll(async () => closeFileAudited({ dir, anthropic, h, caller }));
  beforeEach(() => {
    rmSync(join(dir, 'audit'), { recursive: true, force: true });
    h.upstream.reset();
    anthropic.reset();
    exchanges = [];
  });

  /** The key is not flagged for the audit log: only a flag can put its calls there. */
  const openai = () => new OpenAI({ apiKey: caller.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, fetch: recordingFetch(exchanges) });
  const claude = () => new Anthropic({ apiKey: caller.key, baseURL: h.gw.url, maxRetries: 0, fetch: recordingFetch(exchanges) });

  /** Every record written since the case began, once the gateway's writes are done. */
  async function records(): Promise<AuditRecord[]> {
    await h.gw.gateway.drain();
    return auditRecordsIn(dir);
  }

  /** Prose long enough that a stream's first events have gone long before the token comes. */
  const prose = (words: number) => Array.from({ length: words }, (_, i) => `word${i} `);

  it('keeps a whole answer a flag rule matched in, with the request and the answer as the client got them', async () => {
    h.upstream.reply({ kind: 'text', text: `Your token: ${JWT}, and the key ${AWS}.` });

    const completion = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });

    const [record, ...more] = await records();
    expect(more).toHaveLength(0);
    const received = await exchanges[0]!.received;
    expect(completion.choices[0]!.message.content).toBe(`Your token: ${JWT}, and the key [REDACTED:aws-access-key].`);
    expect(record).toMatchObject({
      keyId: caller.id,
      stream: false,
      guardrails: expect.arrayContaining([{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]),
      request: { contentType: 'application/json', text: exchanges[0]!.sent },
      response: { contentType: 'application/json', text: received },
    });
    expect(record!.response.text).not.toContain(AWS);
  });

  it('keeps a cache hit whose stored answer a flag rule matched in, with that hit on its record (whole and streamed)', async () => {
    h.upstream.reply({ kind: 'text', text: `Your token: ${JWT}, and the key ${AWS}.` });

    for (const stream of [false, true]) {
      const ask = { model: 'cached', messages, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) };
      const miss = await openai().chat.completions.create(ask as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
      await h.gw.gateway.drain();
      const hit = await openai().chat.completions.create(ask as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
      if (stream) for await (const _chunk of hit.data as unknown as AsyncIterable<unknown>);

      expect([miss.response.headers.get('x-aigw-cache'), hit.response.headers.get('x-aigw-cache')]).toEqual(['miss', 'hit']);
    }
    const kept = await records();

    // Both calls of each kind are audited: the hit's record carries the stored answer's flag (and redaction), and holds the replayed bytes.
    expect(kept).toHaveLength(4);
    for (const record of kept) expect(record.guardrails).toEqual(expect.arrayContaining([{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]));
    expect(kept.every((record) => record.response.text?.includes(JWT) && !record.response.text.includes(AWS))).toBe(true);
    expect(h.upstream.requests).toHaveLength(2);
  });

  it('keeps a streamed answer whole when the flag comes at its end, long after its start went (OpenAI client)', async () => {
    const words = prose(600);
    const chunks = [...words, 'here: ', JWT.slice(0, 20), JWT.slice(20), ' done'];
    h.upstream.reply({ kind: 'text', text: chunks.join(''), chunks });

    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    const [record, ...more] = await records();
    expect(more).toHaveLength(0);
    const received = await exchanges[0]!.received;
    expect(text).toBe(chunks.join(''));
    expect(record).toMatchObject({ stream: true, outcome: 'ok', guardrails: [{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }], request: { text: exchanges[0]!.sent } });
    expect(record!.response).toEqual({ contentType: expect.stringContaining('text/event-stream'), bytes: Buffer.byteLength(received), text: received });
    expect(record!.response.text).toContain('word0 ');
    expect(received).toContain('data: [DONE]');
  });

  it("keeps an Anthropic client's streamed message as it got it, redacted where a redact rule matched", async () => {
    const pieces = [...prose(300), `key ${AWS.slice(0, 7)}`, `${AWS.slice(7)} and `, JWT, '.'];
    anthropic.reply(() => ({ kind: 'text', text: pieces.join(''), chunks: pieces, usage: { input: 5, output: 300 } }));

    const message = await claude().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 1000, messages }).finalMessage();

    const [record, ...more] = await records();
    expect(more).toHaveLength(0);
    const received = await exchanges[0]!.received;
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining(`key [REDACTED:aws-access-key] and ${JWT}.`) });
    expect(record).toMatchObject({ surface: 'anthropic', stream: true, request: { text: exchanges[0]!.sent } });
    expect(record!.guardrails).toEqual(expect.arrayContaining([{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }, { rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }]));
    expect(record!.response.text).toBe(received);
    expect(record!.response.text).not.toContain(AWS);
  });

  it('writes nothing for answers nothing flagged, streamed or not, even one a redact rule matched in', async () => {
    h.upstream.reply({ kind: 'text', text: `The key ${AWS}.` });
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    const words = prose(200);
    h.upstream.reply({ kind: 'text', text: words.join(''), chunks: words });
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream) {
      // read it all
    }

    expect(await records()).toEqual([]);
    expect(exchanges).toHaveLength(2);
  });
});

describe('the audit log, flagged mode, flag rules only on answers, a client that leaves', () => {
  let dir: string;
  let anthropic: FakeAnthropic;
  let h: Harness;
  let caller: { id: string; key: string };

  beforeAll(async () => {
    ({ dir, anthropic, h, caller } = await startFileAudited('aigw-audit-leave-', (urls, anthropicUrl) => ({
      ...configFor(urls, anthropicUrl, 'flagged'),
      guardrails: { on: ['response' as const], rules: [{ detect: 'jwt' as const, action: 'flag' as const }] },
    })));
  });
  afterAll(async () => closeFileAudited({ dir, anthropic, h, caller }));

  it('keeps the call of a client that left right after the token it was sent (flag rules hold nothing back), as the Lambda door leaves', async () => {
    // Prepare: the token ends an event; the next comes 50 ms later, and many after it.
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    h.upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [chunk('your token: '), chunk(FAKE.jwt), ...Array.from({ length: 100 }, (_, i) => chunk(` w${i}`))], delayMs: 50 });
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true });
    const req = { method: 'POST', path: '/v1/chat/completions', query: new URLSearchParams(), headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' }, body: Buffer.from(body), sourceIp: '127.0.0.1', requestId: 'req-leaves' };

    // Act: read the answer as the Lambda door does (a Readable over it); a client gone there ends the iterator, with no abort signal.
    const res = await h.gw.gateway.handle(req);
    let sent = '';
    for await (const part of res.body as AsyncIterable<Uint8Array>) {
      sent += Buffer.from(part).toString();
      if (sent.includes(FAKE.jwt)) break;
    }

    // Assess
    let records: AuditRecord[] = [];
    await eventually(async () => {
      await h.gw.gateway.drain();
      const files = readdirSync(join(dir, 'audit'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      records = files.map((e) => JSON.parse(gunzipSync(readFileSync(join(e.parentPath, e.name))).toString()) as AuditRecord);
      expect(records).toHaveLength(1);
    });
    expect(records[0]).toMatchObject({ outcome: 'aborted', guardrails: [{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }] });
    expect(records[0]!.response.text).toBe(sent);
  });
});
