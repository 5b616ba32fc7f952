import { gunzipSync } from 'node:zlib';
import { mintKey } from '../lib/access/api-key';
import { MemoryAuditSink } from '../lib/audit/log';
import { FAKE } from '../lib/guardrails/fake-tokens';
import { MemoryRateWindows } from '../lib/store/rate-windows';
import { MemorySpendStore } from '../lib/store/spend';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway } from '../lib/gateway';
import { MemoryKeyStore } from '../lib/store/keys';
import { MemoryUsageSink } from '../lib/usage/record';
import { startFakeAnthropic, type FakeAnthropic } from '../test/fakes/anthropic';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';
import { RecordingStream, functionUrlEvent as event, lambdaContext as context, type StreamHandler } from '../test/lambda';
import { createProxyHandler } from './proxy';

describe('the Lambda proxy handler', () => {
  let upstream: FakeOpenAI;
  let slow: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let key: string;
  /** Keys held to an address list: one holding the function URL's sourceIp in test/lambda.ts' events (203.0.113.9), one not. */
  let fromHere: string;
  let fromElsewhere: string;
  let usage: MemoryUsageSink;
  let drained: number;
  let handler: StreamHandler;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    slow = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: 15 });
    anthropic = await startFakeAnthropic({ apiKey: 'sk-ant', chunkDelayMs: 5 });
    const keys = new MemoryKeyStore();
    const minted = mintKey({ name: 't', models: ['*'] }, new Date());
    key = minted.key;
    await keys.put(minted.record);
    const here = mintKey({ name: 'here', models: ['*'], allowedIps: ['203.0.113.0/24'] }, new Date());
    const elsewhere = mintKey({ name: 'elsewhere', models: ['*'], allowedIps: ['10.0.0.0/8'] }, new Date());
    fromHere = here.key;
    fromElsewhere = elsewhere.key;
    await keys.put(here.record);
    await keys.put(elsewhere.record);
    usage = new MemoryUsageSink();
    const config = parseConfig({
      providers: [
        { id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] },
        { id: 'slow', type: 'openai', baseUrl: slow.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] },
        { id: 'ant', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'a', apiKey: { env: 'ANT_KEY' } }] },
      ],
      models: [
        { name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
        { name: 'slow', targets: [{ provider: 'slow', model: 'gpt-4o-mini' }] },
        { name: 'claude', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
      ],
    });
    const gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage, credentials: new LocalCredentials({ UP_KEY: 'sk-up', ANT_KEY: 'sk-ant' }) });
    const drain = gateway.drain;
    gateway.drain = async () => {
      drained++;
      await drain();
    };
    handler = createProxyHandler(() => gateway) as unknown as StreamHandler;
  });
  afterAll(async () => {
    await upstream.close();
    await slow.close();
    await anthropic.close();
  });
  beforeEach(() => {
    anthropic.reset();
    upstream.reset();
    usage.records.length = 0;
    drained = 0;
  });

  it('sends status and headers before the first chunk, then each event as its own write', async () => {
    slow.reply({ kind: 'text', text: 'a b c', chunks: ['a', ' b', ' c'] });
    const stream = new RecordingStream();

    await handler(event({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` }), stream, context(60_000));

    expect(stream.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'lambda-req-1' } });
    expect(stream.writes.every((w) => w.preludeBefore)).toBe(true);
    expect(stream.writes.length).toBeGreaterThanOrEqual(5);
    const contents = stream.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? '')
      .join('');
    expect(contents).toBe('a b c');
    expect(stream.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('waits for the usage write after the stream has ended', async () => {
    const stream = new RecordingStream();

    await handler(event({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` }), stream, context(60_000));

    expect(stream.writableEnded).toBe(true);
    expect(drained).toBe(1);
    expect(usage.records).toEqual([expect.objectContaining({ stream: true, outcome: 'ok', status: 200, keyId: expect.stringMatching(/^key_/) })]);
  });

  it('records a whole answer before the invocation ends, though the record is made after the answer left', async () => {
    const stream = new RecordingStream();

    await handler(event({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` }), stream, context(60_000));

    expect(stream.prelude?.statusCode).toBe(200);
    expect(usage.records).toEqual([expect.objectContaining({ stream: false, outcome: 'ok', status: 200 })]);
  });

  it('answers errors before the first byte with their status and OpenAI body', async () => {
    const stream = new RecordingStream();

    await handler(event({ model: 'gpt-4o-mini', messages: [] }, { authorization: `Bearer ${key}` }), stream, context(60_000));

    expect(stream.prelude?.statusCode).toBe(400);
    expect(JSON.parse(stream.body)).toMatchObject({ error: { param: 'messages', type: 'invalid_request_error' } });
  });

  it('turns an upstream failure after the first byte into an in-band error event and ends the stream', async () => {
    upstream.reply({ kind: 'drop', afterChunks: 2 });
    const stream = new RecordingStream();

    await handler(event({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi there' }] }, { authorization: `Bearer ${key}` }), stream, context(60_000));

    expect(stream.prelude?.statusCode).toBe(200);
    const last = stream.body.trim().split('\n\n').at(-1)!;
    expect(JSON.parse(last.slice(6))).toMatchObject({ error: { code: 'upstream_interrupted' } });
    expect(stream.body).not.toContain('[DONE]');
    expect(usage.records[0]).toMatchObject({ outcome: 'interrupted' });
  });

  it('ends a stream that would outlive the invocation with a deadline error', async () => {
    upstream.reply({ kind: 'hang-after-headers' });
    const stream = new RecordingStream();
    const started = Date.now();

    // 1.5 s of the remaining time is kept back for ending cleanly, leaving 300 ms for the upstream.
    await handler(event({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` }), stream, context(1_800));

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(stream.body).toContain('"code":"deadline_exceeded"');
    expect(stream.writableEnded).toBe(true);
  });

  it('answers 504 when a non-streaming upstream call runs past the deadline', async () => {
    upstream.reply({ kind: 'hang' });
    const stream = new RecordingStream();

    await handler(event({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` }), stream, context(1_800));

    expect(stream.prelude?.statusCode).toBe(504);
    expect(JSON.parse(stream.body)).toMatchObject({ error: { code: 'deadline_exceeded' } });
  });

  it('streams an Anthropic client’s answer as Anthropic SSE, and ends a broken one with event: error', async () => {
    const stream = new RecordingStream();
    const broken = new RecordingStream();
    const body = { model: 'claude', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const headers = { 'x-api-key': key, 'anthropic-version': '2023-06-01' };

    await handler(event(body, headers, '/v1/messages'), stream, context(60_000));
    anthropic.reply({ kind: 'drop', afterEvents: 3 });
    await handler(event(body, headers, '/v1/messages'), broken, context(60_000));

    const names = (s: RecordingStream) => [...s.body.matchAll(/^event: (\w+)/gm)].map((m) => m[1]);
    expect(stream.prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    expect(names(stream)[0]).toBe('message_start');
    expect(names(stream).at(-1)).toBe('message_stop');
    expect(stream.writes.length).toBeGreaterThan(3);
    expect(names(broken).at(-1)).toBe('error');
    expect(usage.records.map((r) => r.outcome)).toEqual(['ok', 'interrupted']);
  });

  it('checks a key\'s address list against the function URL\'s sourceIp, not an X-Forwarded-For the caller wrote', async () => {
    const served = new RecordingStream();
    const refused = new RecordingStream();
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    // A caller anywhere can claim any address in X-Forwarded-For; AWS sets sourceIp to the connection's peer.
    const spoofed = { 'x-forwarded-for': '10.1.2.3' };

    await handler(event(body, { authorization: `Bearer ${fromHere}`, ...spoofed }), served, context(60_000));
    await handler(event(body, { authorization: `Bearer ${fromElsewhere}`, ...spoofed }), refused, context(60_000));

    expect(served.prelude?.statusCode).toBe(200);
    expect(refused.prelude?.statusCode).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ error: { message: 'This API key may not be used from the address 203.0.113.9.', type: 'permission_error', param: null, code: 'ip_not_allowed' } });
    expect(usage.records.map((r) => [r.status, r.errorCode])).toEqual([
      [200, undefined],
      [403, 'ip_not_allowed'],
    ]);
  });
});

describe('the Lambda proxy handler with guardrails on answers and the audit log', () => {
  let upstream: FakeOpenAI;
  let key: string;
  let usage: MemoryUsageSink;
  let audit: MemoryAuditSink;
  let handler: StreamHandler;
  const SECRET = FAKE.awsKeyId;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up' });
    const keys = new MemoryKeyStore();
    const minted = mintKey({ name: 't', models: ['*'] }, new Date());
    key = minted.key;
    await keys.put(minted.record);
    usage = new MemoryUsageSink();
    audit = new MemoryAuditSink();
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
      guardrails: { on: ['response'], rules: [{ detect: 'aws-access-key', action: 'redact' }] },
      audit: { mode: 'all' },
    });
    const gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage, credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), audit: () => audit });
    handler = createProxyHandler(() => gateway) as unknown as StreamHandler;
  });
  afterAll(async () => {
    await upstream.close();
  });
  beforeEach(() => {
    upstream.reset();
    usage.records.length = 0;
    audit.objects.clear();
  });

  const ask = (stream: RecordingStream) =>
    handler(event({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `Set AWS_ACCESS_KEY_ID=${SECRET} now` }] }, { authorization: `Bearer ${key}` }), stream, context(60_000));
  /** The answers the audit log kept (the prompts hold the key: only answers are screened here). */
  const audited = () => [...audit.objects.values()].map((gz) => String((JSON.parse(gunzipSync(gz).toString('utf8')) as { response: { text?: string } }).response.text));

  it('flushes the text the guard held, redacted, before the upstream\'s in-band error event, and has the record and the audit written before the invocation ends', async () => {
    upstream.reply({ kind: 'stream-error', afterChunks: 6, error: { message: 'Rate limit reached for gpt-4o-mini.', type: 'requests', code: 'rate_limit_exceeded' } });
    const stream = new RecordingStream();

    await ask(stream);

    expect(stream.writableEnded).toBe(true);
    expect(stream.body).not.toContain(SECRET);
    const events = stream.body.trim().split('\n\n');
    expect(stream.body.indexOf('[REDACTED:aws-access-key]')).toBeGreaterThan(0);
    expect(stream.body.indexOf('[REDACTED:aws-access-key]')).toBeLessThan(stream.body.indexOf('{"error"'));
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    expect(usage.records).toEqual([expect.objectContaining({ outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }] })]);
    expect(audited()).toHaveLength(1);
    expect(audited()).toEqual([stream.body]);
  });

  it('sends the held text, redacted, then the gateway\'s interruption event when the upstream breaks off', async () => {
    upstream.reply({ kind: 'drop', afterChunks: 6 });
    const stream = new RecordingStream();

    await ask(stream);

    expect(stream.writableEnded).toBe(true);
    expect(stream.body).not.toContain(SECRET);
    const events = stream.body.trim().split('\n\n');
    expect(stream.body).toContain('[REDACTED:aws-access-key]');
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: 'upstream_interrupted' } });
    expect(usage.records).toEqual([expect.objectContaining({ outcome: 'interrupted', guardrails: [expect.objectContaining({ rule: 'aws-access-key', count: 1 })] })]);
    expect(audited()).toEqual([stream.body]);
  });
});
