import { mintKey } from '../lib/access/api-key';
import { S3AuditSink } from '../lib/audit/s3-sink';
import type { AuditRecord } from '../lib/audit/record';
import { parseConfig } from '../lib/config/load';
import { LocalCredentials } from '../lib/credentials/local';
import { createGateway, type Gateway } from '../lib/gateway';
import { MemoryKeyStore } from '../lib/store/keys';
import { MemoryRateWindows } from '../lib/store/rate-windows';
import { MemorySpendStore } from '../lib/store/spend';
import { MemoryUsageSink } from '../lib/usage/record';
import { startFakeOpenAI, type FakeOpenAI } from '../test/fakes/openai';
import { startFakeS3, type FakeS3 } from '../test/fakes/s3';
import { RecordingStream, functionUrlEvent as event, lambdaContext as context, type StreamHandler } from '../test/lambda';
import { createProxyHandler } from './proxy';

const S3_CREDENTIALS = { accessKeyId: 'AKIDAUDIT', secretAccessKey: 'audit-secret' };
/** How long the fake S3 takes over each PUT: the invocation must not end before it has answered. */
const S3_DELAY_MS = 150;

describe('the Lambda proxy handler with the audit log on', () => {
  let upstream: FakeOpenAI;
  let s3: FakeS3;
  let key: string;
  let handler: StreamHandler;
  let gateway: Gateway;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: 5 });
    s3 = await startFakeS3({ ...S3_CREDENTIALS, region: 'eu-west-1', buckets: ['audit'] });
    const keys = new MemoryKeyStore();
    const minted = mintKey({ name: 't', models: ['*'] }, new Date());
    key = minted.key;
    await keys.put(minted.record);
    const config = parseConfig({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'UP_KEY' } }] }],
      models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'up', model: 'gpt-4o-mini' }] }],
      audit: { mode: 'all' },
    });
    const audit = () => new S3AuditSink({ bucket: 'audit', region: 'eu-west-1', credentials: S3_CREDENTIALS, endpoint: s3.url });
    gateway = createGateway({ config, keys, rates: new MemoryRateWindows(), spend: new MemorySpendStore(), usage: new MemoryUsageSink(), credentials: new LocalCredentials({ UP_KEY: 'sk-up' }), audit });
    handler = createProxyHandler(() => gateway) as unknown as StreamHandler;
  });
  afterAll(async () => {
    await upstream.close();
    await s3.close();
  });
  beforeEach(() => {
    s3.objects.clear();
    s3.delay(S3_DELAY_MS);
  });

  it.each([true, false])('waits for the audit write before the invocation returns (stream: %s), after the response has gone out', async (stream) => {
    // Prepare
    const body = { model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] };
    const response = new RecordingStream();
    let endedAt = 0;
    response.on('finish', () => (endedAt = Date.now()));

    // Act
    await handler(event(body, { authorization: `Bearer ${key}` }), response, context(60_000));
    const returnedAt = Date.now();

    // Assess
    expect(s3.objects.size).toBe(1);
    const [objectKey, stored] = [...s3.objects.entries()][0]!;
    expect(objectKey).toMatch(/^audit\/audit\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/lambda-req-1\.json\.gz$/);
    // The client's answer ended before the record was stored, and the invocation returned after.
    expect(endedAt).toBeGreaterThan(0);
    expect(endedAt).toBeLessThanOrEqual(stored.at);
    expect(returnedAt).toBeGreaterThanOrEqual(stored.at);
    const record = s3.json(objectKey) as AuditRecord;
    expect(record).toMatchObject({ requestId: 'lambda-req-1', stream, outcome: 'ok', request: { text: JSON.stringify(body) }, response: { text: response.body } });
  });

  it('does not wait for a slow write past the invocation\'s end: it returns in time and logs the request id', async () => {
    // Prepare: a bucket slower than the time the invocation has left.
    s3.delay(1_500);
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const slow = createProxyHandler(() => gateway, logger) as unknown as StreamHandler;
    const started = Date.now();

    // Act
    await slow(event({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` }), new RecordingStream(), context(500));

    // Assess: back within the 500 ms left (less the margin kept for the runtime), the write still running.
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(s3.objects.size).toBe(0);
    expect(logger.error).toHaveBeenCalledWith('writes after the answer still running at the end of the invocation', { requestId: 'lambda-req-1', waitedMs: 300 });
    await gateway.drain();
  });
});
