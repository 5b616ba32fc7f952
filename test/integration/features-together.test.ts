/**
 * Tonight's features on one model, as a deployment runs them together: a response cache shared
 * by all keys, a request parameter policy, guardrails (redact, flag, block), keys with budgets
 * and end-user limits, and the audit log in flagged mode. The official OpenAI client against one
 * gateway on dynalite, fake OpenAI upstreams counting what reaches them; the clock is fixed so
 * the minute cannot turn.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { endUserCounterId } from '../../lib/access/end-user';
import { windowAt } from '../../lib/access/rate-limits';
import { MemoryAuditSink } from '../../lib/audit/log';
import type { AuditRecord } from '../../lib/audit/record';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { rateWindowKey, spendItemKey } from '../../lib/store/table';
import { listUsage, type StoredUsage } from '../../lib/store/usage';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { eventually, storedNumber } from './harness';

const ADMIN = 'admin';

const TABLE = 'together';
const NOW = Date.now();
const day = new Date(NOW).toISOString().slice(0, 10);
const minute = windowAt(NOW).id;
const PRICE = { input: 1, output: 4 };
const PARAMS = { force: { temperature: 0 }, caps: { maxOutputTokens: 256 } };

let up: FakeOpenAI;
let slow: FakeOpenAI;
let dynamo: EmbeddedDynamo;
let gw: LocalGateway;
const audit = new MemoryAuditSink();

beforeAll(async () => {
  up = await startFakeOpenAI({ apiKey: 'sk-up' });
  slow = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: 40 });
  dynamo = await startDynalite();
  const config = parseConfig({
    providers: [
      { id: 'up', type: 'openai', baseUrl: up.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
      { id: 'slow', type: 'openai', baseUrl: slow.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
    ],
    models: [
      { name: 'gpt-4o-mini', price: PRICE, targets: [{ provider: 'up', model: 'gpt-4o-mini' }], cache: { share: 'all' }, params: PARAMS },
      { name: 'gpt-slow', price: PRICE, targets: [{ provider: 'slow', model: 'gpt-4o-mini' }], cache: {}, params: PARAMS },
    ],
    guardrails: {
      rules: [
        { detect: 'github-token', action: 'redact' },
        { detect: 'jwt', action: 'flag' },
        { id: 'codename', detect: { regex: 'project[-_ ]falcon', flags: 'i' }, action: 'block' },
      ],
    },
    audit: { mode: 'flagged' },
  });
  gw = await startLocalGateway({ config, adminToken: ADMIN, store: { endpoint: dynamo.endpoint }, tableName: TABLE, credentials: new LocalCredentials({ UP: 'sk-up' }), now: () => NOW, audit: () => audit });
});
afterAll(async () => {
  await gw.close();
  await dynamo.close();
  await up.close();
  await slow.close();
});
beforeEach(() => {
  up.reset();
  slow.reset();
});

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}
async function createTeam(name: string): Promise<string> {
  const res = await fetch(`${gw.url}/admin/teams`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ name }) });
  return ((await res.json()) as { id: string }).id;
}
const client = (key: string, endUser: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-aigw-end-user': endUser } });
const LIMITED = { limits: { requestsPerMinute: 100, usdPerDay: 10 }, endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 } };
/** A prompt no other test sends, so each test starts with nothing cached. */
const fresh = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;

const counter = (key: { PK: string; SK: string }, attribute: string): Promise<number> => storedNumber(gw, key, attribute);
const usageOf = (keyId: string): Promise<StoredUsage[]> => listUsage(gw.table, keyId, day);
/** How many response-cache items the table holds. */
const cacheItems = async () => {
  const out = await gw.table.client.send(new ScanCommand({ TableName: TABLE, FilterExpression: 'begins_with(PK, :p)', ExpressionAttributeValues: { ':p': { S: 'CACHE#' } } }));
  return out.Items?.length ?? 0;
};
const auditRecords = (): AuditRecord[] => [...audit.objects.values()].map((gz) => JSON.parse(gunzipSync(gz).toString('utf8')) as AuditRecord);

describe('cache, policy, guardrails, budgets and end users on one model', () => {
  it('serves the second identical call from the cache: no upstream, no budget held, a place in the end user\'s minute, and a record with cache, endUser, params and guardrails', async () => {
    const app = await createKey({ name: 'app', ...LIMITED });
    const content = fresh(`Summarise: token ${FAKE.githubClassic} in .env`);
    const ask = () => client(app.key, 'alice').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], temperature: 0.9, max_tokens: 4000 }).withResponse();

    const first = await ask();
    await gw.gateway.drain();
    const spentAfterFirst = await counter(spendItemKey(endUserCounterId(app.id, 'alice'), day), 'micros');
    const keySpentAfterFirst = await counter(spendItemKey(app.id, day), 'micros');
    const second = await ask();
    await gw.gateway.drain();

    expect([first.response.headers.get('x-aigw-cache'), second.response.headers.get('x-aigw-cache')]).toEqual(['miss', 'hit']);
    expect(second.data).toEqual(first.data);
    expect(up.requests).toHaveLength(1);
    const sent = up.requests[0]!.body as { temperature: number; max_tokens?: number; max_completion_tokens?: number; messages: { content: string }[] };
    expect(sent.temperature).toBe(0);
    expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(256);
    expect(sent.messages[0]!.content).toContain('[REDACTED:github-token]');
    expect(sent.messages[0]!.content).not.toContain(FAKE.githubClassic);
    expect(await counter(spendItemKey(endUserCounterId(app.id, 'alice'), day), 'micros')).toBe(spentAfterFirst);
    expect(await counter(spendItemKey(app.id, day), 'micros')).toBe(keySpentAfterFirst);
    expect(await counter(rateWindowKey(endUserCounterId(app.id, 'alice'), minute), 'requests')).toBe(2);
    expect(await counter(rateWindowKey(app.id, minute), 'requests')).toBe(2);
    const records = (await usageOf(app.id)).sort((x, y) => String(x.cache).localeCompare(String(y.cache)));
    expect(records.map((r) => [r.cache, r.endUser, r.params, r.guardrails, r.costMicros === 0])).toEqual([
      ['hit', 'alice', ['maxOutputTokens:capped', 'temperature:forced'], [{ rule: 'github-token', action: 'redact', count: 1 }], true],
      ['miss', 'alice', ['maxOutputTokens:capped', 'temperature:forced'], [{ rule: 'github-token', action: 'redact', count: 1 }], false],
    ]);
    expect(records[0]!.savedMicros).toBe(records[1]!.costMicros);
  });

  it('a blocked call on a cached model reads and writes no cache and takes no place in any minute', async () => {
    const app = await createKey({ name: 'blocked-app', ...LIMITED });
    const content = fresh('Status of Project Falcon?');

    const call = client(app.key, 'bob').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }).withResponse();
    const refused = await call.catch((err: unknown) => err);
    await gw.gateway.drain();

    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('guardrail_blocked');
    expect(up.requests).toHaveLength(0);
    expect(await counter(rateWindowKey(endUserCounterId(app.id, 'bob'), minute), 'requests')).toBe(0);
    expect(await counter(rateWindowKey(app.id, minute), 'requests')).toBe(0);
    const [record] = await usageOf(app.id);
    expect(record).toMatchObject({ errorCode: 'guardrail_blocked', endUser: 'bob', guardrails: [{ rule: 'codename', action: 'block', count: 1 }] });
    expect(record!.cache).toBeUndefined();
  });

  it('a stream the client leaves with every feature on leaves one usage record and no cache entry', async () => {
    const app = await createKey({ name: 'leaver', ...LIMITED });
    const before = await cacheItems();
    slow.reply(() => ({ kind: 'text', text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '), usage: { prompt: 20, completion: 40 } }));
    const controller = new AbortController();

    let received = '';
    await (async () => {
      const stream = await client(app.key, 'carol').chat.completions.create({ model: 'gpt-slow', stream: true, messages: [{ role: 'user', content: fresh(`Count with ${FAKE.githubClassic}`) }] }, { signal: controller.signal });
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? '';
        if (received.split(' ').length > 3) controller.abort();
      }
    })().catch(() => undefined);
    await eventually(async () => expect(await usageOf(app.id)).toHaveLength(1));
    await gw.gateway.drain();

    const records = await usageOf(app.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'aborted', cache: 'miss', endUser: 'carol', params: ['maxOutputTokens:capped', 'temperature:forced'], guardrails: [{ rule: 'github-token', action: 'redact', count: 1 }] });
    expect(await cacheItems()).toBe(before);
  });

  it('keeps in the audit record of a flagged call what the policy changed, and that the body kept is the client\'s', async () => {
    const app = await createKey({ name: 'audited-by-flag', ...LIMITED });
    const content = fresh(`Debug this session: ${FAKE.jwt}`);

    await client(app.key, 'dave').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], temperature: 0.7 });
    await gw.gateway.drain();

    const record = auditRecords().find((r) => r.keyId === app.id);
    expect(record).toBeDefined();
    expect(record!.guardrails).toEqual([{ rule: 'jwt', action: 'flag', count: 1 }]);
    expect(JSON.parse(record!.request.text!)).toMatchObject({ temperature: 0.7 });
    expect(record).toMatchObject({ params: ['maxOutputTokens:capped', 'temperature:forced'], endUser: 'dave', cache: 'miss' });
  });

  it('audits a cache hit of a covered key as served: the stored answer, cache hit, no target, with the hits and changes of its body', async () => {
    const app = await createKey({ name: 'audited', audit: true, ...LIMITED });
    const content = fresh(`Explain ${FAKE.githubClassic}`);
    const ask = () => client(app.key, 'gina').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

    await ask();
    await gw.gateway.drain();
    await ask();
    await gw.gateway.drain();

    const records = auditRecords().filter((r) => r.keyId === app.id).sort((x, y) => String(x.cache).localeCompare(String(y.cache)));
    expect(records.map((r) => [r.cache, r.target?.provider, r.attempts, r.params, r.guardrails])).toEqual([
      ['hit', undefined, 0, ['maxOutputTokens:capped', 'temperature:forced'], [{ rule: 'github-token', action: 'redact', count: 1 }]],
      ['miss', 'up', 1, ['maxOutputTokens:capped', 'temperature:forced'], [{ rule: 'github-token', action: 'redact', count: 1 }]],
    ]);
    expect(records[0]!.response.text).toBe(records[1]!.response.text);
    expect(records[0]!.request.text).toContain('[REDACTED:github-token]');
  });

  it.each([
    // The read happened (and missed) before the call went upstream: the record says so.
    ['miss', {}],
    // The client skipped the read: the record says that instead.
    ['bypass', { 'cache-control': 'no-store' }],
  ])('an upstream error on a cached model carries no x-aigw-cache header, and its record cache %j, as the README says', async (status, headers) => {
    const app = await createKey({ name: 'erring', ...LIMITED });
    up.reply(() => ({ kind: 'error', status: 400 }));

    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${app.key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: fresh('Fail') }] }) });
    await res.text();
    await gw.gateway.drain();

    expect(res.status).toBe(400);
    expect(res.headers.get('x-aigw-cache')).toBeNull();
    const [record] = await usageOf(app.id);
    expect(record).toMatchObject({ status: 400, cache: status });
  });

  it('serves a Messages call translated to OpenAI from the cache to another end user of the key (metadata.user_id is not in the cache key), each record naming its own', async () => {
    const app = await createKey({ name: 'claude-app', ...LIMITED });
    const anthropic = new Anthropic({ apiKey: app.key, baseURL: gw.url, maxRetries: 0 });
    const ask = (userId: string, text: string) =>
      anthropic.messages.create({ model: 'gpt-4o-mini', max_tokens: 4000, metadata: { user_id: userId }, messages: [{ role: 'user', content: text }] }).withResponse();
    const text = fresh(`Review: key ${FAKE.githubClassic}`);

    const first = await ask('session-1', text);
    await gw.gateway.drain();
    const second = await ask('session-2', text);
    await gw.gateway.drain();

    expect([first.response.headers.get('x-aigw-cache'), second.response.headers.get('x-aigw-cache')]).toEqual(['miss', 'hit']);
    expect(second.data).toEqual(first.data);
    expect(up.requests).toHaveLength(1);
    const sent = up.requests[0]!.body as { max_tokens?: number; max_completion_tokens?: number; temperature: number };
    expect([sent.max_completion_tokens ?? sent.max_tokens, sent.temperature]).toEqual([256, 0]);
    expect(JSON.stringify(up.requests[0]!.body)).not.toContain(FAKE.githubClassic);
    const records = (await usageOf(app.id)).sort((x, y) => String(x.cache).localeCompare(String(y.cache)));
    expect(records.map((r) => [r.cache, r.endUser, r.surface, r.params])).toEqual([
      ['hit', 'session-2', 'anthropic', ['maxOutputTokens:capped', 'temperature:forced']],
      ['miss', 'session-1', 'anthropic', ['maxOutputTokens:capped', 'temperature:forced']],
    ]);
    expect(await counter(rateWindowKey(endUserCounterId(app.id, 'session-2'), minute), 'requests')).toBe(1);
  });

  it('serves a key of another team, with another end user, the answer stored under share "all", counted in that end user\'s minute', async () => {
    const [red, blue] = [await createTeam('red'), await createTeam('blue')];
    const first = await createKey({ name: 'red-app', teamId: red, ...LIMITED });
    const second = await createKey({ name: 'blue-app', teamId: blue, ...LIMITED });
    const content = fresh('Classify: fine');

    const a = await client(first.key, 'erin').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }).withResponse();
    await gw.gateway.drain();
    const b = await client(second.key, 'frank').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }).withResponse();
    await gw.gateway.drain();

    expect([a.response.headers.get('x-aigw-cache'), b.response.headers.get('x-aigw-cache')]).toEqual(['miss', 'hit']);
    expect(b.data).toEqual(a.data);
    expect(up.requests).toHaveLength(1);
    expect(await counter(rateWindowKey(endUserCounterId(second.id, 'frank'), minute), 'requests')).toBe(1);
    expect(await counter(spendItemKey(endUserCounterId(second.id, 'frank'), day), 'micros')).toBe(0);
    const [record] = await usageOf(second.id);
    expect(record).toMatchObject({ cache: 'hit', endUser: 'frank', teamId: blue, costMicros: 0 });
  });
});
