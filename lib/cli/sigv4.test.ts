import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { closeServer, listenOnLoopback, readBodyBytes } from '../../test/fakes/http';
import { NodeSha256, awsCredentialSource, type AwsCredentials, defaultAwsCredentials, lambdaUrlRegion, signLambdaUrlRequest } from './sigv4';

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

/**
 * The endpoints the AWS SDK's credential chain asks, on loopback, each issuing its own access key
 * id so a test can tell which link answered: STS (AssumeRole for role_arn profiles,
 * AssumeRoleWithWebIdentity for token files), the SSO portal, an ECS/EKS container endpoint and
 * EC2 instance metadata.
 */
async function startAwsCredentialEndpoints() {
  const issue = (accessKeyId: string) => ({ AccessKeyId: accessKeyId, SecretAccessKey: `${accessKeyId}-secret`, Token: `${accessKeyId}-token`, Expiration: '2099-01-01T00:00:00Z' });
  const stsXml = (action: string, accessKeyId: string) =>
    `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result><Credentials>` +
    `<AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>` +
    `</Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></${action}Result></${action}Response>`;
  const server = createServer((req, res) => {
    void (async () => {
      const body = (await readBodyBytes(req)).toString('utf8');
      const path = req.url ?? '/';
      const action = new URLSearchParams(body).get('Action');
      if (req.method === 'POST' && action) return res.writeHead(200, { 'content-type': 'text/xml' }).end(stsXml(action, action === 'AssumeRole' ? 'AKIDASSUMEDROLE' : 'AKIDWEBIDENTITY'));
      if (path.startsWith('/federation/credentials')) {
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ roleCredentials: { accessKeyId: 'AKIDSSO', secretAccessKey: 's', sessionToken: 't', expiration: Date.parse('2099-01-01') } }));
      }
      if (path === '/container-credentials') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issue('AKIDCONTAINER')));
      if (req.method === 'PUT' && path === '/latest/api/token') return res.writeHead(200).end('imds-token');
      if (path === '/latest/meta-data/iam/security-credentials/') return res.writeHead(200).end('instance-role');
      if (path === '/latest/meta-data/iam/security-credentials/instance-role') return res.writeHead(200).end(JSON.stringify({ Code: 'Success', ...issue('AKIDINSTANCE') }));
      res.writeHead(404).end();
    })();
  });
  const url = await listenOnLoopback(server);
  return { url, close: () => closeServer(server) };
}

describe('defaultAwsCredentials', () => {
  const resolve = (credentials: AwsCredentials) => (typeof credentials === 'function' ? credentials() : credentials);
  const saved = { ...process.env };
  let endpoints: Awaited<ReturnType<typeof startAwsCredentialEndpoints>>;
  let home: string;

  /** Writes `~/.aws/<name>` under the case's own home (the SDK caches files by path). */
  function awsFile(name: string, text: string) {
    mkdirSync(join(home, '.aws', dirname(name)), { recursive: true });
    writeFileSync(join(home, '.aws', name), text);
  }

  beforeAll(async () => {
    endpoints = await startAwsCredentialEndpoints();
  });

  afterAll(async () => {
    await endpoints.close();
  });

  beforeEach(() => {
    // Only what a case sets reaches the chain: no keys or role of the test process, files under
    // a home of the case's own, and every endpoint the chain could call on loopback.
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    home = mkdtempSync(join(tmpdir(), 'aigw-aws-home-'));
    Object.assign(process.env, {
      HOME: home,
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_STS: endpoints.url,
      AWS_ENDPOINT_URL_SSO: endpoints.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
  });

  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    rmSync(home, { recursive: true, force: true });
  });

  const credentialProcess = `${process.execPath} -e "console.log(JSON.stringify({ Version: 1, AccessKeyId: 'AKIDPROCESS', SecretAccessKey: 's' }))"`;
  const webIdentity = () => {
    writeFileSync(join(home, 'web-identity-token'), 'a-jwt');
    return { AWS_WEB_IDENTITY_TOKEN_FILE: join(home, 'web-identity-token'), AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci' };
  };
  const container = () => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoints.url}/container-credentials` });
  const instance = () => ({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoints.url });
  const ssoCache = (session: string) => {
    const name = createHash('sha1').update(session).digest('hex');
    return [`sso/cache/${name}.json`, JSON.stringify({ accessToken: 'sso-token', expiresAt: '2099-01-01T00:00:00Z', region: 'eu-west-1', startUrl: 'https://example.awsapps.com/start' })] as const;
  };

  it.each<[string, Record<string, string>, () => Record<string, string>, string]>([
    ['the default profile\'s keys in ~/.aws/credentials', { credentials: '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n' }, () => ({}), 'AKIDFILE'],
    ['the default profile\'s keys in ~/.aws/config', { config: '[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n' }, () => ({}), 'AKIDCONFIG'],
    ['the default profile\'s credential_process', { config: `[default]\ncredential_process = ${credentialProcess}\n` }, () => ({}), 'AKIDPROCESS'],
    [
      'a role the default profile assumes with its source_profile',
      { config: '[default]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n', credentials: '[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n' },
      () => ({}),
      'AKIDASSUMEDROLE',
    ],
    [
      'the default profile\'s SSO session',
      {
        config: '[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\n[sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://example.awsapps.com/start\n',
        [ssoCache('corp')[0]]: ssoCache('corp')[1],
      },
      () => ({}),
      'AKIDSSO',
    ],
    ['a web identity token file (EKS, CI)', {}, webIdentity, 'AKIDWEBIDENTITY'],
    ['the container endpoint (ECS, EKS Pod Identity)', {}, container, 'AKIDCONTAINER'],
    ['EC2 instance metadata', {}, instance, 'AKIDINSTANCE'],
    ['the default profile before a web identity, a container or an instance', { credentials: '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n' }, () => ({ ...webIdentity(), ...container(), ...instance() }), 'AKIDFILE'],
    ['a web identity before a container or an instance', {}, () => ({ ...webIdentity(), ...container(), ...instance() }), 'AKIDWEBIDENTITY'],
    ['a container before an instance', {}, () => ({ ...container(), ...instance() }), 'AKIDCONTAINER'],
  ])('finds %s, as the SDK\'s own chain does', async (_source, files, env, accessKeyId) => {
    // Prepare
    for (const [name, text] of Object.entries(files)) awsFile(name, text);
    Object.assign(process.env, env());
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');

    // Act
    const found = await resolve(await defaultAwsCredentials());
    const sdks = await defaultProvider()();

    // Assess
    expect(found).toMatchObject({ accessKeyId });
    expect(sdks).toMatchObject({ accessKeyId });
  });

  it('does not pass on the SDK\'s warning that AWS_PROFILE and keys are both set: the CLI chose between them by its own environment', async () => {
    // Prepare: a fresh SDK, which gives that warning once per process; keys in the process's
    // environment, which the named default profile makes it warn of.
    jest.resetModules();
    const fresh = jest.requireActual<{ defaultAwsCredentials: typeof defaultAwsCredentials }>('./sigv4').defaultAwsCredentials;
    awsFile('credentials', '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n');
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDPROCESS', AWS_SECRET_ACCESS_KEY: 's' });
    const warnings: string[] = [];

    // Act
    const found = await resolve(await fresh('default', (message) => warnings.push(message)));

    // Assess
    expect(found).toMatchObject({ accessKeyId: 'AKIDFILE' });
    expect(warnings).toEqual([]);
  });

  it('finds a named profile\'s credentials, not the default\'s', async () => {
    // Prepare
    awsFile('credentials', '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = s\n');

    // Act
    const found = await resolve(await defaultAwsCredentials('ops'));

    // Assess
    expect(found).toMatchObject({ accessKeyId: 'AKIDOPS' });
  });
});
