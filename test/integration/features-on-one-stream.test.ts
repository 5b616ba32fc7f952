/**
 * One passed-through OpenAI stream through tonight's features at once: a `headroom` pool of two
 * accounts (the first answers 429, the second serves), mending for a reasoning model (its
 * temperature dropped), guardrails on answers redacting a key the stream carries, an in-band
 * upstream error arriving while the guard still holds that text, the response cache and the
 * audit log. What the client gets, what the cache and the audit log keep (the client's view), the
 * usage record's fields, and the accounts' places in flight given back.
 */
import { gunzipSync } from 'node:zlib';
import { MemoryAuditSink } from '../../lib/audit/log';
import type { AuditRecord } from '../../lib/audit/record';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import type { LocalGateway } from '../../lib/local/start';
import { AccountLoad } from '../../lib/routing/account-load';
import type { FakeOpenAI } from '../fakes/openai';
import { startOpenAIPool, type OpenAIPool } from './pool-rig';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

const KEY = FAKE.awsKeyId;

let pool: OpenAIPool;
let one: FakeOpenAI;
let two: FakeOpenAI;
let gw: LocalGateway;
let key: string;
let keyId: string;
const load = new AccountLoad();
const audit = new MemoryAuditSink();

beforeAll(async () => {
  pool = await startOpenAIPool({
    pool: { balance: 'headroom' },
    config: {
      models: [
        { name: 'o3', price: { input: 1, output: 4 }, targets: [{ provider: 'pool', model: 'o3' }], cache: {} },
        // An Anthropic client on the pool: translated, its answer screened in Anthropic's dialect.
        { name: 'claude-on-o3', price: { input: 1, output: 4 }, targets: [{ provider: 'pool', model: 'o3' }] },
      ],
      routing: { sticky: false },
      guardrails: { on: ['response'], rules: [{ detect: 'aws-access-key', action: 'redact' }] },
      audit: { mode: 'all' },
    },
    gateway: { load, audit: () => audit },
    key: { name: 'together', models: ['*'] },
  });
  ({ one, two, gw, key, keyId } = pool);
});
afterAll(async () => pool.close());

/** The first call to reach either account gets a 429; the next, the stream cut by an in-band error. */
function scriptAccounts(): void {
  let calls = 0;
  const answer = () =>
    ++calls === 1
      ? ({ kind: 'error', status: 429 } as const)
      : ({ kind: 'stream-error', afterChunks: 6, error: { message: 'Rate limit reached for o3 in organization org-uOtiSEwvUnroadaOnJJquBEC.', type: 'requests', code: 'rate_limit_exceeded' } } as const);
  one.reply(answer);
  two.reply(answer);
}

async function streamed(content: string): Promise<{ status: number; cache: string | null; text: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'o3', stream: true, temperature: 0.2, messages: [{ role: 'user', content }] }),
  });
  return { status: res.status, cache: res.headers.get('x-aigw-cache'), text: await res.text() };
}

describe('a passed-through stream through failover, mending, answer guardrails, an in-band error, the cache and the audit log', () => {
  it('sends the redacted text then the gateway\'s error event, stores nothing in the cache, audits what the client got and books it all on one record', async () => {
    // Prepare
    scriptAccounts();
    const content = `Set AWS_ACCESS_KEY_ID=${KEY} now`;

    // Act
    const first = await streamed(content);
    await gw.gateway.drain();
    scriptAccounts();
    const second = await streamed(content);
    await gw.gateway.drain();

    // Assess
    expect(first.status).toBe(200);
    expect(first.text).not.toContain(KEY);
    expect(first.text).toContain('[REDACTED:aws-access-key]');
    const error = first.text.indexOf('"error"');
    expect(error).toBeGreaterThan(first.text.indexOf('[REDACTED:aws-access-key]'));
    expect(first.text).not.toContain('[DONE]');
    expect(first.text).not.toContain('org-uOtiSEwvUnroadaOnJJquBEC');
    // Both accounts were asked once each for the first call; the one that served had the mended body.
    const sent = [...one.requests, ...two.requests].map((r) => r.body as Record<string, unknown>);
    expect(sent.every((body) => body.temperature === undefined)).toBe(true);
    // A stream ended by an upstream error is not kept: the second call is a miss too.
    expect([first.cache, second.cache]).toEqual(['miss', 'miss']);
    const records = (await usageSince(gw.table, keyId, STARTED_AT)).sort((a, b) => String(a.at).localeCompare(String(b.at)));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ outcome: 'upstream_error', attempts: 2, cache: 'miss', params: ['temperature:dropped'], guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }] });
    expect(records[0]!.errorCode).toBe('rate_limit_exceeded');
    expect(records[0]!.inputTokens).toBeGreaterThan(0);
    // A key without a budget has no output counted on the side: a cut stream is charged its prompt's estimate.
    expect(records[0]!.estimated).toBe(true);
    const audited = [...audit.objects.values()].map((gz) => JSON.parse(gunzipSync(gz).toString('utf8')) as AuditRecord).find((r) => r.requestId === records[0]!.requestId);
    expect(JSON.stringify(audited?.response)).not.toContain(KEY);
    expect(JSON.stringify(audited?.response)).toContain('REDACTED:aws-access-key');
    expect(load.totalInFlight()).toBe(0);
  });
});

describe('a passed-through Responses stream through the same features', () => {
  it('sends the redacted text then response.failed in the gateway\'s words, with sequence numbers still rising, and books it on one record', async () => {
    // Prepare
    scriptAccounts();
    const content = `Set AWS_ACCESS_KEY_ID=${KEY} now`;

    // Act
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'o3', stream: true, temperature: 0.2, input: content }),
    });
    const text = await res.text();
    await gw.gateway.drain();

    // Assess
    expect(res.status).toBe(200);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('org-uOtiSEwvUnroadaOnJJquBEC');
    expect(text).toContain('[REDACTED:aws-access-key]');
    const events = text
      .trim()
      .split('\n\n')
      .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)) as { type: string; sequence_number: number });
    expect(events.at(-1)!.type).toBe('response.failed');
    const numbers = events.map((e) => e.sequence_number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    const records = await usageSince(gw.table, keyId, STARTED_AT);
    const record = records.find((r) => r.surface === 'openai-responses');
    expect(record).toMatchObject({ outcome: 'upstream_error', attempts: 2, params: ['temperature:dropped'], guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }] });
    expect(load.totalInFlight()).toBe(0);
  });
});

describe('a translated Anthropic stream through the same features', () => {
  it('opens with the prompt estimate, sends the redacted text, then event: error in the gateway\'s words, and books it on one record', async () => {
    // Prepare
    scriptAccounts();
    const content = `Set AWS_ACCESS_KEY_ID=${KEY} now`;

    // Act
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-on-o3', stream: true, max_tokens: 200, temperature: 0.2, messages: [{ role: 'user', content }] }),
    });
    const text = await res.text();
    await gw.gateway.drain();

    // Assess
    expect(res.status).toBe(200);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('org-uOtiSEwvUnroadaOnJJquBEC');
    expect(text.indexOf('[REDACTED:aws-access-key]')).toBeGreaterThan(0);
    expect(text.indexOf('[REDACTED:aws-access-key]')).toBeLessThan(text.indexOf('event: error'));
    const start = JSON.parse(/event: message_start\ndata: (.*)/.exec(text)![1]!) as { message: { usage: { input_tokens: number } } };
    expect(start.message.usage.input_tokens).toBeGreaterThan(0);
    const records = await usageSince(gw.table, keyId, STARTED_AT);
    const record = records.find((r) => r.model === 'claude-on-o3');
    expect(record).toMatchObject({ outcome: 'upstream_error', attempts: 2, guardrails: [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }] });
    expect(record!.params).toContain('temperature:dropped');
    expect(load.totalInFlight()).toBe(0);
  });
});
