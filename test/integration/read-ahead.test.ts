import OpenAI from 'openai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountLoad } from '../../lib/routing/account-load';
import { AccountHealth } from '../../lib/routing/health';
import type { StoredUsage } from '../../lib/store/usage';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

/**
 * A whole answer is read inside its attempt (`readAhead`): what its body's time must not change.
 * The upstream here sends its headers at once and its JSON body `BODY_MS` later, as a server that
 * flushes its headers before the model has finished does.
 */
const BODY_MS = 600;
const MODEL = 'gpt-4o-mini';

/** Headers at once, half the JSON, then the rest after `BODY_MS`; notes whether the gateway hung up first. */
class SlowBodyUpstream {
  readonly answers: { hungUp: boolean }[] = [];
  readonly #server: Server;
  constructor() {
    this.#server = createServer((req, res) => {
      req.resume();
      req.on('end', () => void this.#answer(res));
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }
  async #answer(res: ServerResponse): Promise<void> {
    const answer = { hungUp: false };
    this.answers.push(answer);
    res.on('close', () => (answer.hungUp ||= !res.writableFinished));
    const body = JSON.stringify({
      id: 'chatcmpl-slow',
      object: 'chat.completion',
      created: 1,
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: 'A slow body, whole at last.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(body.slice(0, 40));
    await sleep(BODY_MS);
    if (!res.destroyed) res.end(body.slice(40));
  }
  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe('a whole answer read ahead, its body slow', () => {
  let slow: SlowBodyUpstream;
  let spare: FakeOpenAI;
  let gw: LocalGateway;
  let client: OpenAI;
  let keyId: string;
  const health = new AccountHealth();
  const load = new AccountLoad();

  beforeAll(async () => {
    slow = new SlowBodyUpstream();
    const slowUrl = await slow.listen();
    spare = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [
        { id: 'slow', type: 'openai', accounts: [{ id: 'a', baseUrl: slowUrl, apiKey: { env: 'UP' } }] },
        { id: 'spare', type: 'openai-compatible', baseUrl: spare.url, accounts: [{ id: 'b', apiKey: { env: 'UP' } }] },
      ],
      models: [{ name: 'slow-model', targets: [{ provider: 'slow', model: MODEL }, { provider: 'spare', model: MODEL }] }],
      routing: { sticky: false },
    });
    gw = await startLocalGateway({ config, adminToken: 'admin', store: { embedded: undefined }, health, load, shareHealth: false, credentials: new LocalCredentials({ UP: 'sk-up' }) });
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: JSON.stringify({ name: 'read-ahead' }) });
    const created = (await res.json()) as { key: string; id: string };
    keyId = created.id;
    client = new OpenAI({ apiKey: created.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
    await slow.close();
    await spare.close();
  });
  beforeEach(() => {
    slow.answers.length = 0;
    spare.reset();
    health.clear();
    load.clearLatency();
  });

  /** Today's usage records of the key that `accept` takes, once there are some (the books close after the answer). */
  async function recordsWhere(accept: (u: StoredUsage) => boolean): Promise<StoredUsage[]> {
    for (let waited = 0; ; waited += 20) {
      await gw.gateway.drain();
      const found = (await usageSince(gw.table, keyId, STARTED_AT)).filter(accept);
      if (found.length > 0 || waited >= 3_000) return found;
      await sleep(20);
    }
  }

  it('times the account by its headers, not its body: the body read is no wait for headers, and the latency sample leaves it out', async () => {
    // Act: while the body is being read, look at what the account's load says.
    const answered = client.chat.completions.create({ model: 'slow-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    await sleep(BODY_MS / 2);
    const awaitingMidBody = load.awaitingHeaders('slow/a', MODEL);
    const hungMidBody = load.hung('slow/a', MODEL);
    const { data } = await answered;

    // Assess
    expect(data.choices[0]!.message.content).toBe('A slow body, whole at last.');
    expect(awaitingMidBody).toBe(false);
    expect(hungMidBody).toBe(false);
    expect(load.latencyMs('slow/a', MODEL, false)).toBeLessThan(BODY_MS / 2);
    expect(spare.requests).toHaveLength(0);
  });

  it('honours a client that leaves mid-body: the upstream is hung up on, the call booked aborted, no failover and no rest', async () => {
    // Prepare
    const leave = new AbortController();
    const call = client.chat.completions.create({ model: 'slow-model', messages: [{ role: 'user', content: 'hi' }] }, { signal: leave.signal }).catch((e: unknown) => e);

    // Act: gone once the upstream has sent its headers and part of its body.
    await sleep(BODY_MS / 3);
    leave.abort();
    const err = await call;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    for (let waited = 0; !slow.answers[0]?.hungUp && waited < 2_000; waited += 20) await sleep(20);
    expect(slow.answers).toEqual([{ hungUp: true }]);
    expect(spare.requests).toHaveLength(0);
    expect(health.isCooling('slow/a')).toBe(false);
    for (let waited = 0; load.totalInFlight() > 0 && waited < 2_000; waited += 20) await sleep(20);
    expect(load.totalInFlight()).toBe(0);
    expect(await recordsWhere((r) => r.outcome === 'aborted')).toEqual([expect.objectContaining({ provider: 'slow', account: 'a', attempts: 1, outcome: 'aborted', status: 499 })]);
  });
});
