import OpenAI from 'openai';
import { listUsage } from '../../lib/store/usage';
import { ADMIN, behindFakesForSuite } from './instances';

/**
 * Rotating a key with the official client as its user, on two instances of one table: the old
 * secret keeps working during the grace (on the instance that had it cached and on one that had
 * never seen it), the new one works at once, the old one is refused after the grace, and every
 * call lands under the one key id. The gateways' clock is moved by hand.
 */
describe('key rotation', () => {
  // Noon, so that moving the clock by minutes never changes the usage records' day.
  let clock = Date.parse(`${new Date().toISOString().slice(0, 10)}T12:00:00Z`);
  const day = new Date(clock).toISOString().slice(0, 10);
  const fakes = behindFakesForSuite({ tableName: 'rotation', now: () => clock });

  const client = (gw: { url: string }, apiKey: string) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const ask = (gw: { url: string }, apiKey: string) => client(gw, apiKey).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  async function rotate(id: string, body?: Record<string, unknown>): Promise<{ key: string; previousExpiresAt?: string }> {
    const res = await fetch(`${fakes.a.url}/admin/keys/${id}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
    expect(res.status).toBe(200);
    return (await res.json()) as { key: string; previousExpiresAt?: string };
  }

  it('serves the old secret during the grace and the new one at once, refuses the old one after, and books both to one key', async () => {
    const { a, b, instances } = fakes;
    const { id, key: oldKey } = await instances.createKey({ name: 'rotating', models: ['*'] });
    await ask(a, oldKey); // a now has the old secret cached, as it was before the rotation

    const { key: newKey, previousExpiresAt } = await rotate(id, { graceSeconds: 120 });
    expect(previousExpiresAt).toBe(new Date(clock + 120_000).toISOString());
    for (const gw of [a, b]) {
      await ask(gw, oldKey);
      await ask(gw, newKey);
    }
    clock += 119_000;
    await ask(b, oldKey);
    clock += 1_000;

    for (const gw of [a, b]) {
      const refused = await ask(gw, oldKey).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain('This API key has been rotated');
      await ask(gw, newKey);
    }
    await instances.drain();
    const records = await listUsage(a.table, id, day);
    expect(records.filter((r) => r.status === 200)).toHaveLength(8);
  });

  it('refuses both secrets once the key is revoked during the grace, within the key cache TTL', async () => {
    const { a, b, instances } = fakes;
    const { id, key: oldKey } = await instances.createKey({ name: 'leaked', models: ['*'] });
    const { key: newKey } = await rotate(id);
    await ask(a, oldKey);
    await ask(b, newKey);

    const revoked = await fetch(`${a.url}/admin/keys/${id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(revoked.status).toBe(200);
    clock += 30_001;

    for (const gw of [a, b]) {
      for (const key of [oldKey, newKey]) await expect(ask(gw, key)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    }
  });
});
