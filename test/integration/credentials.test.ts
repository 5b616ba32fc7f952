import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { CredentialRef } from '../../lib/config/schema';
import type { Credentials } from '../../lib/credentials/credentials';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';

/** A secret store whose values can be rotated, caching like the real ones until told to refresh. */
class RotatingSecrets implements Credentials {
  readonly values = new Map<string, string>();
  readonly #cache = new Map<string, string>();
  refreshed: string[] = [];
  async resolve(ref: CredentialRef) {
    const name = 'secret' in ref ? ref.secret : 'env' in ref ? ref.env : ref.file;
    if (!this.#cache.has(name)) this.#cache.set(name, this.values.get(name)!);
    return this.#cache.get(name)!;
  }
  refresh(ref: CredentialRef) {
    const name = 'secret' in ref ? ref.secret : 'env' in ref ? ref.env : ref.file;
    this.refreshed.push(name);
    this.#cache.delete(name);
  }
}

describe('provider credentials', () => {
  let upstream: FakeOpenAI;
  let gw: LocalGateway;
  let secrets: RotatingSecrets;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-current' });
    secrets = new RotatingSecrets();
    secrets.values.set('BROKEN', 'sk-wrong');
    secrets.values.set('ROTATED', 'sk-old');
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [
          { id: 'pool', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'broken', apiKey: { env: 'BROKEN' }, weight: 1000 }, { id: 'good', apiKey: { env: 'ROTATED' }, weight: 1 }] },
          { id: 'single', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'only', apiKey: { env: 'ROTATED' } }] },
        ],
        models: [
          { name: 'pooled', targets: [{ provider: 'pool', model: 'gpt-4o' }] },
          { name: 'single', targets: [{ provider: 'single', model: 'gpt-4o' }] },
        ],
      }),
      adminToken: 'admin',
      store: { embedded: undefined },
      credentials: secrets,
    });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: '{"name":"c"}' });
    client = new OpenAI({ apiKey: ((await created.json()) as { key: string }).key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('reads a secret again after the upstream refused it, so a rotation takes effect at once', async () => {
    const before = await client.chat.completions.create({ model: 'single', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    secrets.values.set('ROTATED', 'sk-current');

    const after = await client.chat.completions.create({ model: 'single', messages: [{ role: 'user', content: 'hi' }] });

    expect(before).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(secrets.refreshed).toContain('ROTATED');
    expect(after.choices[0]!.message.content).toBe('Echo: hi');
  });

  it('moves on to the next account of the pool when one account’s key is refused', async () => {
    upstream.reset();

    const completion = await client.chat.completions.create({ model: 'pooled', messages: [{ role: 'user', content: 'hi' }] });

    expect(completion.choices[0]!.message.content).toBe('Echo: hi');
    // The draw is weighted 1000:1 towards the broken account; whichever came first, the good one answered.
    const keys = upstream.requests.map((r) => r.headers.authorization);
    expect(keys.at(-1)).toBe('Bearer sk-current');
    expect(keys.slice(0, -1).every((k) => k === 'Bearer sk-wrong')).toBe(true);
  });
});
