/**
 * A key's address list, end to end: the official OpenAI client calls a real local gateway
 * (node:http on 127.0.0.1, dynalite behind the real DynamoDB client), so the address checked is
 * the one the socket reports for a client on loopback.
 */
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { ADMIN_TOKEN, UPSTREAM_KEY, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.upstream.reset());

const USER: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

/** The rejection a call ends in (the test fails if it does not reject). */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the gateway to refuse the request');
    },
    (err: unknown) => err,
  );
}

describe('a key with an address list', () => {
  it('serves a client from an address in the list: chat completions and the model list', async () => {
    // Prepare
    const { key } = await h.createKey({ name: 'loopback', models: ['gpt-4o*'], allowedIps: ['127.0.0.1/32', '2001:db8::/32'] });
    const client = h.openai({ apiKey: key });

    // Act
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER });
    const models = await client.models.list();

    // Assess
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('refuses a client from elsewhere with PermissionDeniedError ip_not_allowed naming its address, and records the refusal', async () => {
    // Prepare
    const { id, key } = await h.createKey({ name: 'office', models: ['gpt-4o*'], allowedIps: ['10.0.0.0/8'] });
    const client = h.openai({ apiKey: key });

    // Act
    const err = await rejection(client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER }));
    const streamed = await rejection(client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER, stream: true }));

    // Assess
    for (const e of [err, streamed]) {
      expect(e).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(e).toMatchObject({ status: 403, code: 'ip_not_allowed', type: 'permission_error' });
      expect((e as Error).message).toContain('This API key may not be used from the address 127.0.0.1.');
      expect((e as Error).message).not.toContain('10.0.0.0');
    }
    expect(h.upstream.requests).toHaveLength(0);
    expect((await h.usage(id)).map((u) => [u.status, u.errorCode])).toEqual([
      [403, 'ip_not_allowed'],
      [403, 'ip_not_allowed'],
    ]);
  });

  it('refuses the model list too', async () => {
    // Prepare
    const { key } = await h.createKey({ name: 'office-models', allowedIps: ['10.0.0.0/8', '2001:db8::/32'] });

    // Act
    const err = await rejection(h.openai({ apiKey: key }).models.list());

    // Assess
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err).toMatchObject({ status: 403, code: 'ip_not_allowed' });
  });

  it('does not let a client in by claiming an allowed address in X-Forwarded-For', async () => {
    // Prepare
    const { key } = await h.createKey({ name: 'spoofed', allowedIps: ['10.0.0.0/8'] });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '10.1.2.3' } });

    // Act
    const err = await rejection(client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER }));

    // Assess
    expect(err).toMatchObject({ status: 403, code: 'ip_not_allowed' });
  });
});

describe('a key with an address list, on a dual-stack socket', () => {
  // A gateway listening on `::` takes IPv4 connections too, and node:http reports their peer as
  // `::ffff:127.0.0.1`: a list written in IPv4 must still hold for them.
  let dual: LocalGateway | undefined;
  beforeAll(async () => {
    dual = await startLocalGateway({
      host: '::',
      config: parseConfig({
        providers: [{ id: 'primary', type: 'openai', baseUrl: h.upstream.url, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
        models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] }],
      }),
      adminToken: ADMIN_TOKEN,
      store: { embedded: undefined },
      shareHealth: false,
      credentials: new LocalCredentials({ TEST_UPSTREAM_KEY: UPSTREAM_KEY }),
    }).catch(() => undefined); // A host without IPv6 cannot listen on `::`; there is nothing to check then.
  });
  afterAll(async () => dual?.close());

  async function keyOn(gw: LocalGateway, allowedIps: string[]): Promise<OpenAI> {
    const res = await fetch(`http://127.0.0.1:${gw.port}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dual', allowedIps }),
    });
    const { key } = (await res.json()) as { key: string };
    return new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${gw.port}/v1`, maxRetries: 0 });
  }

  it('serves an IPv4 client allowed 127.0.0.1/32, and names it as IPv4 when refused', async () => {
    if (!dual) return;
    // Prepare
    const allowed = await keyOn(dual, ['127.0.0.1/32']);
    const elsewhere = await keyOn(dual, ['10.0.0.0/8']);

    // Act
    const models = await allowed.models.list();
    const err = await rejection(elsewhere.models.list());

    // Assess
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as Error).message).toContain('from the address 127.0.0.1.');
  });
});
