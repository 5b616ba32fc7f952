import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256, awsCredentialSource, lambdaUrlRegion, signLambdaUrlRequest } from './sigv4';

const FAKE = { accessKeyId: 'AKID', secretAccessKey: 'not-a-real-secret' };
const SIGNING_DATE = new Date('2026-03-04T05:06:07Z');

describe('lambdaUrlRegion', () => {
  it.each([
    ['https://abcdefghijklmnop1234.lambda-url.eu-west-1.on.aws', 'eu-west-1'],
    ['https://ABC123.lambda-url.us-east-2.on.aws/admin/keys', 'us-east-2'],
    ['http://abc123.lambda-url.us-east-2.on.aws', undefined],
    ['https://example.com', undefined],
    ['http://127.0.0.1:8787', undefined],
    ['https://abc.lambda-url.eu-west-1.on.aws.evil.example', undefined],
  ])('finds the region of %s as %s', (url, region) => {
    // Act
    const found = lambdaUrlRegion(new URL(url));

    // Assess
    expect(found).toBe(region);
  });
});

describe('awsCredentialSource', () => {
  it.each([
    ['nothing, leaving the default profile', {}, {}],
    ['the keys', { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's' }, { credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } }],
    ['the keys with their session token', { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' }, { credentials: { accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: 't' } }],
    ['the profile, which the SDK prefers to keys', { AWS_PROFILE: 'ops', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's' }, { profile: 'ops' }],
    ['nothing for a key without its secret', { AWS_ACCESS_KEY_ID: 'AKID', AWS_SESSION_TOKEN: 't' }, {}],
    ['nothing for empty variables', { AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }, {}],
  ])('takes %s from the environment it is given', (_case, env, source) => {
    // Act
    const found = awsCredentialSource(env);

    // Assess
    expect(found).toEqual(source);
  });
});

describe('NodeSha256', () => {
  it('produces the signature of the AWS SigV4 test suite (get-vanilla)', async () => {
    // Prepare
    const signer = new SignatureV4({
      service: 'service',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      sha256: NodeSha256,
      applyChecksum: false,
    });

    // Act
    const signed = await signer.sign(
      { method: 'GET', protocol: 'https:', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: { host: 'example.amazonaws.com' } },
      { signingDate: new Date('2015-08-30T12:36:00Z') },
    );

    // Assess
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
});

describe('signLambdaUrlRequest', () => {
  const url = new URL('https://abc123.lambda-url.eu-west-1.on.aws/admin/keys');

  it('signs for the lambda service in the given region', async () => {
    // Prepare
    const request = { method: 'GET', url, headers: { accept: 'application/json' } };

    // Act
    const headers = await signLambdaUrlRequest(request, { region: 'eu-west-1', credentials: FAKE, signingDate: SIGNING_DATE });

    // Assess
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/20260304\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-date']).toBe('20260304T050607Z');
    expect(headers.authorization).toContain('SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date,');
    expect(headers.accept).toBe('application/json');
  });

  it('leaves the host header for fetch to send', async () => {
    // Act
    const headers = await signLambdaUrlRequest({ method: 'GET', url, headers: {} }, { region: 'eu-west-1', credentials: FAKE, signingDate: SIGNING_DATE });

    // Assess
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('host');
  });

  it('carries the hash of the body, which function URLs need for POST', async () => {
    // Prepare
    const body = JSON.stringify({ name: 'alice', models: ['*'] });

    // Act
    const headers = await signLambdaUrlRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
      { region: 'eu-west-1', credentials: FAKE, signingDate: SIGNING_DATE },
    );

    // Assess
    expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('adds the session token of temporary credentials', async () => {
    // Act
    const headers = await signLambdaUrlRequest(
      { method: 'GET', url, headers: {} },
      { region: 'eu-west-1', credentials: async () => ({ ...FAKE, sessionToken: 'SESSION' }), signingDate: SIGNING_DATE },
    );

    // Assess
    expect(headers['x-amz-security-token']).toBe('SESSION');
    expect(headers.authorization).toContain('x-amz-security-token');
  });

  it('signs the same request the same way, and a different body differently', async () => {
    // Prepare
    const sign = (body: string) =>
      signLambdaUrlRequest({ method: 'POST', url, headers: {}, body }, { region: 'eu-west-1', credentials: FAKE, signingDate: SIGNING_DATE });

    // Act
    const [a, b, c] = await Promise.all([sign('{"name":"a"}'), sign('{"name":"a"}'), sign('{"name":"b"}')]);

    // Assess
    expect(a.authorization).toBe(b.authorization);
    expect(a.authorization).not.toBe(c.authorization);
  });
});
