import { createAdminClient } from './admin-client';
import type { AdminAuth } from './auth';
import { CliError } from './errors';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records what it was asked and answers with one canned response. */
function fakeFetch(status: number, body: unknown, seen: Seen[] = []): typeof fetch {
  return async (input, init) => {
    seen.push({ url: String(input), method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, body: init?.body as string | undefined });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
}

const TOKEN: AdminAuth = { kind: 'token', token: 'admin-secret', source: '--token' };

async function failureOf(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('createAdminClient', () => {
  it('posts a new key with the admin token', async () => {
    // Prepare
    const seen: Seen[] = [];
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(201, { id: 'key_1', key: 'sk-gw-x' }, seen) });

    // Act
    const created = await admin.createKey({ name: 'alice', models: ['*'] });

    // Assess
    expect(created).toEqual({ id: 'key_1', key: 'sk-gw-x' });
    expect(seen).toEqual([
      {
        url: 'http://gw:1/admin/keys',
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer admin-secret' },
        body: '{"name":"alice","models":["*"]}',
      },
    ]);
  });

  it.each([
    ['per-minute limits', { requestsPerMinute: 60, tokensPerMinute: 90000 }],
    ['budgets in USD, as the API takes them', { usdPerDay: 2.5, usdPerMonth: 0.000001 }],
    ['both kinds', { requestsPerMinute: 60, usdPerDay: 5 }],
  ])('sends the limits of a new key: %s', async (_case, limits) => {
    // Prepare
    const seen: Seen[] = [];
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(201, { id: 'key_1', key: 'sk-gw-x' }, seen) });

    // Act
    await admin.createKey({ name: 'alice', models: ['*'], limits });

    // Assess
    expect(JSON.parse(seen[0]!.body!)).toEqual({ name: 'alice', models: ['*'], limits });
  });

  it('patches budgets like the other limits, null removing one', async () => {
    // Prepare
    const seen: Seen[] = [];
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(200, { id: 'key_1' }, seen) });

    // Act
    await admin.updateKey('key_1', { limits: { usdPerDay: null, usdPerMonth: 100 } });

    // Assess
    expect(seen[0]!.body).toBe('{"limits":{"usdPerDay":null,"usdPerMonth":100}}');
  });

  it('patches a key with a merge patch, sending null for a limit to remove', async () => {
    // Prepare
    const seen: Seen[] = [];
    const answer = { id: 'key_1', name: 'alice', limits: { tokensPerMinute: 90000 } };
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(200, answer, seen) });

    // Act
    const updated = await admin.updateKey('key_1', { limits: { requestsPerMinute: null, tokensPerMinute: 90000 } });

    // Assess
    expect(updated).toEqual(answer);
    expect(seen).toEqual([
      {
        url: 'http://gw:1/admin/keys/key_1',
        method: 'PATCH',
        headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer admin-secret' },
        body: '{"limits":{"requestsPerMinute":null,"tokensPerMinute":90000}}',
      },
    ]);
  });

  it('escapes the key id of a patch and fails with the message of an unknown id', async () => {
    // Prepare
    const seen: Seen[] = [];
    const body = { error: { message: 'No key with id "a/b".', type: 'invalid_request_error', param: null, code: 'key_not_found' } };
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(404, body, seen) });

    // Act
    const err = await failureOf(admin.updateKey('a/b', { name: 'x' }));

    // Assess
    expect(seen[0]).toMatchObject({ url: 'http://gw:1/admin/keys/a%2Fb', method: 'PATCH' });
    expect(err).toMatchObject({ kind: 'failed', message: 'No key with id "a/b".' });
  });

  it('keeps a path prefix of the gateway URL and escapes the key id', async () => {
    // Prepare
    const seen: Seen[] = [];
    const admin = createAdminClient({ target: { url: 'http://gw:1/stage', auth: TOKEN }, fetch: fakeFetch(200, { id: 'a/b' }, seen) });

    // Act
    await admin.revokeKey('a/b');

    // Assess
    expect(seen[0]).toMatchObject({ url: 'http://gw:1/stage/admin/keys/a%2Fb/revoke', method: 'POST', body: undefined });
  });

  it.each([
    ['no query', {}, 'http://gw:1/admin/usage'],
    ['a range', { from: '2026-06-01', to: '2026-06-30' }, 'http://gw:1/admin/usage?from=2026-06-01&to=2026-06-30'],
    ['one key, escaped', { key: 'key a&b' }, 'http://gw:1/admin/usage?key=key+a%26b'],
    ['everything', { to: '2026-06-30', key: 'key_1', from: '2026-06-01' }, 'http://gw:1/admin/usage?from=2026-06-01&to=2026-06-30&key=key_1'],
  ])('reads usage with %s, sending only the parts of the query given', async (_case, query, url) => {
    // Prepare
    const seen: Seen[] = [];
    const report = { from: '2026-06-01', to: '2026-06-30', data: [] };
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(200, report, seen) });

    // Act
    const read = await admin.usage(query);

    // Assess
    expect(read).toEqual(report);
    expect(seen).toEqual([{ url, method: 'GET', headers: { accept: 'application/json', authorization: 'Bearer admin-secret' }, body: undefined }]);
  });

  it.each([
    ['without days, leaving them to the gateway', undefined, undefined],
    ['with the days given', ['2026-06-01', '2026-06-02'], '{"days":["2026-06-01","2026-06-02"]}'],
  ])('asks for a roll-up %s', async (_case, days, body) => {
    // Prepare
    const seen: Seen[] = [];
    const answer = { days: ['2026-06-01', '2026-06-02'], keys: 3, rollups: 2 };
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(200, answer, seen) });

    // Act
    const result = await admin.rollUpUsage(days);

    // Assess
    expect(result).toEqual(answer);
    expect(seen[0]).toMatchObject({ url: 'http://gw:1/admin/usage/rollup', method: 'POST', body });
  });

  it('signs requests to a Lambda function URL instead of sending a token', async () => {
    // Prepare
    const seen: Seen[] = [];
    const auth: AdminAuth = { kind: 'sigv4', region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } };
    const admin = createAdminClient({ target: { url: 'https://abc.lambda-url.eu-west-1.on.aws', auth }, fetch: fakeFetch(200, { data: [] }, seen) });

    // Act
    await admin.listKeys();

    // Assess
    expect(seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/lambda\/aws4_request/);
  });

  it("fails with the server's error message", async () => {
    // Prepare
    const body = { error: { message: 'No key with id "key_x".', type: 'invalid_request_error', param: null, code: 'key_not_found' } };
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(404, body) });

    // Act
    const err = await failureOf(admin.revokeKey('key_x'));

    // Assess
    expect(err).toMatchObject({ kind: 'failed', message: 'No key with id "key_x".' });
  });

  it('says where a refused token came from', async () => {
    // Prepare
    const body = { error: { message: 'Admin requests need a token.', type: 'invalid_request_error', param: null, code: 'invalid_admin_token' } };
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: { ...TOKEN, source: '.data/admin-token' } }, fetch: fakeFetch(401, body) });

    // Act
    const err = await failureOf(admin.listKeys());

    // Assess
    expect(err.message).toBe('the gateway at http://gw:1 refused the admin token from .data/admin-token. Use the one it was started with: its GATEWAY_ADMIN_TOKEN, else the admin-token file in its data dir (.data/admin-token by default).');
  });

  it('shows the status and body of an error that is not the gateway’s', async () => {
    // Prepare
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: fakeFetch(502, '<html>Bad Gateway</html>') });

    // Act
    const err = await failureOf(admin.listKeys());

    // Assess
    expect(err.message).toMatch(/^HTTP 502 .*<html>Bad Gateway<\/html>$/);
  });

  it('says the gateway is not running when the connection is refused', async () => {
    // Prepare
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8787'), { code: 'ECONNREFUSED' }) });
    };
    const admin = createAdminClient({ target: { url: 'http://127.0.0.1:8787', auth: TOKEN }, fetch: refused });

    // Act
    const err = await failureOf(admin.listKeys());

    // Assess
    expect(err.message).toMatch(/^the gateway isn't running at http:\/\/127\.0\.0\.1:8787 \(connection refused\)\. Start it with `npm start`/);
  });

  it('finds the refusal inside the AggregateError of a host with several addresses', async () => {
    // Prepare
    const errors = [Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })];
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: new AggregateError(errors) });
    };
    const admin = createAdminClient({ target: { url: 'http://localhost:8787', auth: TOKEN }, fetch: refused });

    // Act
    const err = await failureOf(admin.listKeys());

    // Assess
    expect(err.message).toMatch(/isn't running at http:\/\/localhost:8787/);
  });

  it('points a remote URL that cannot be found at the URL rather than at `npm start`', async () => {
    // Prepare
    const notFound: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND gw.example'), { code: 'ENOTFOUND' }) });
    };
    const admin = createAdminClient({ target: { url: 'https://gw.example', auth: TOKEN }, fetch: notFound });

    // Act
    const err = await failureOf(admin.listKeys());

    // Assess
    expect(err.message).toBe('cannot reach the gateway at https://gw.example (host not found). Check the URL (--url or GATEWAY_URL) and your network.');
  });

  it('gives up when the gateway does not answer in time', async () => {
    // Prepare
    const silent: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const admin = createAdminClient({ target: { url: 'http://gw:1', auth: TOKEN }, fetch: silent, timeoutMs: 20 });

    // Act
    const err = await failureOf(admin.listKeys());

    // Assess
    expect(err.message).toBe('the gateway at http://gw:1 did not answer within 0.02 s');
  });
});
