import { gzipSync } from 'node:zlib';
import { startFakeS3, type FakeS3 } from '../../test/fakes/s3';
import { AwsRequestError } from '../aws/signed-fetch';
import { S3AuditSink } from './s3-sink';

const CREDENTIALS = { accessKeyId: 'AKIDAUDIT', secretAccessKey: 'audit-secret' };

describe('S3AuditSink', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    s3 = await startFakeS3({ ...CREDENTIALS, region: 'eu-west-1', buckets: ['aigw-audit'] });
  });
  afterAll(() => s3.close());
  beforeEach(() => {
    s3.objects.clear();
    s3.refused.length = 0;
    s3.delay(0);
  });

  const sink = (overrides: Partial<ConstructorParameters<typeof S3AuditSink>[0]> = {}) => new S3AuditSink({ bucket: 'aigw-audit', region: 'eu-west-1', credentials: CREDENTIALS, endpoint: s3.url, ...overrides });

  it('stores a record with one signed PUT, gzip-encoded JSON', async () => {
    // Prepare
    const body = gzipSync(JSON.stringify({ requestId: 'req-1' }));

    // Act
    await sink().put('audit/2026/11/26/22/req-1.json.gz', body);

    // Assess
    const stored = s3.objects.get('aigw-audit/audit/2026/11/26/22/req-1.json.gz');
    expect(stored).toMatchObject({ contentType: 'application/json', contentEncoding: 'gzip' });
    expect(s3.json('aigw-audit/audit/2026/11/26/22/req-1.json.gz')).toEqual({ requestId: 'req-1' });
    expect(s3.refused).toEqual([]);
  });

  it('signs any object key as S3 checks it: encoded once, slashes and all as they are', async () => {
    // Act: characters S3 encodes in its canonical URI, and an empty segment it does not normalise away.
    const key = 'audit/2026/11/26/22/a b+c:d~e(1)*é//f.json.gz';
    await sink().put(key, gzipSync('{}'));

    // Assess
    expect(s3.refused).toEqual([]);
    expect(s3.objects.has(`aigw-audit/${key}`)).toBe(true);
  });

  it('signs with temporary credentials from a provider, as the Lambda role gives them', async () => {
    const provider = async () => ({ ...CREDENTIALS, sessionToken: 'token' });

    await sink({ credentials: provider }).put('audit/2026/11/26/22/req-2.json.gz', gzipSync('{}'));

    expect(s3.objects.has('aigw-audit/audit/2026/11/26/22/req-2.json.gz')).toBe(true);
  });

  it('fails with S3\'s code when the signature does not hold, the bucket is missing or S3 is busy', async () => {
    await expect(sink({ credentials: { ...CREDENTIALS, secretAccessKey: 'wrong' } }).put('audit/x.json.gz', gzipSync('{}'))).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    await expect(sink({ bucket: 'other' }).put('audit/x.json.gz', gzipSync('{}'))).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
    s3.failNext(1);
    await expect(sink().put('audit/x.json.gz', gzipSync('{}'))).rejects.toBeInstanceOf(AwsRequestError);
    expect(s3.objects.size).toBe(0);
  });

  it('gives up on a PUT that takes longer than its timeout', async () => {
    s3.delay(2_000);
    const started = Date.now();

    await expect(sink({ timeoutMs: 100 }).put('audit/slow.json.gz', gzipSync('{}'))).rejects.toThrow(/timeout|aborted/i);

    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it.each([
    ['eu-west-1', 'https://aigw-audit.s3.eu-west-1.amazonaws.com/audit/2026/11/26/22/r.json.gz'],
    ['cn-north-1', 'https://aigw-audit.s3.cn-north-1.amazonaws.com.cn/audit/2026/11/26/22/r.json.gz'],
  ])('addresses the bucket virtual-hosted on AWS in %s', async (region, url) => {
    const fetch = jest.fn(async () => new Response('', { status: 200 }));

    await new S3AuditSink({ bucket: 'aigw-audit', region, credentials: CREDENTIALS, fetch }).put('audit/2026/11/26/22/r.json.gz', gzipSync('{}'));

    expect(String((fetch.mock.calls[0] as unknown[])[0])).toBe(url);
  });
});
