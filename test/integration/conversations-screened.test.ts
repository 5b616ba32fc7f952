import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { FileAuditSink } from '../../lib/audit/file-sink';
import type { AuditRecord } from '../../lib/audit/record';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import { auditRecordsIn } from './audit-records';
import { openAIClient, startHarness, type Harness } from './harness';

const MODEL = 'gpt-4o-mini';
const message = (text: string) => ({ type: 'message' as const, role: 'user' as const, content: text });

/**
 * What the audit log and the guardrails on answers see of the stored-object routes, with the
 * official client as caller: a conversation's bodies become a model's input, and its items (and a
 * stored response) hold what a model wrote, so neither may be a way around them.
 */
describe('conversations and stored responses under the audit log and the guardrails on answers', () => {
  let dir: string;
  let h: Harness;
  let client: OpenAI;
  let apiKey: string;
  let keyId: string;
  let stranger: OpenAI;
  let strangerId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aigw-conversations-screened-'));
    h = await startHarness({
      config: (urls) => ({
        providers: [{ id: 'primary', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
        models: [{ name: MODEL, targets: [{ provider: 'primary', model: MODEL }] }],
        audit: { mode: 'all' },
        // Answers only: the client may send the token (the fake echoes it back as the model's text), the model's text must not bring it back.
        guardrails: { rules: [{ detect: 'github-token', action: 'redact', on: ['response'] }, { detect: 'aws-access-key', action: 'block', on: ['response'] }] },
      }),
      audit: () => new FileAuditSink(dir),
    });
    const made = await h.createKey({ name: 'audited', models: [MODEL] });
    client = openAIClient(h.gw, made.key);
    apiKey = made.key;
    keyId = made.id;
    const other = await h.createKey({ name: 'stranger', models: [MODEL] });
    stranger = openAIClient(h.gw, other.key);
    strangerId = other.id;
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => rmSync(join(dir, 'audit'), { recursive: true, force: true }));

  /** Every audit record written since the case began, once the gateway's writes are done. */
  async function records(): Promise<AuditRecord[]> {
    await h.gw.gateway.drain();
    return auditRecordsIn(dir);
  }

  it("keeps an audited key's conversation bodies, which become a model's input, as it keeps its model calls'", async () => {
    // Prepare
    const conversation = await client.conversations.create({ items: [message('The plan is in the vault.')] });
    // Its home (and model) in the table before the next call reads it.
    await h.gw.gateway.drain();

    // Act
    await client.conversations.items.create(conversation.id, { items: [message('The code is 1234.')] });
    const kept = await records();

    // Assess
    const made = kept.find((r) => r.request.text?.includes('The plan is in the vault.'));
    const added = kept.find((r) => r.request.text?.includes('The code is 1234.'));
    expect(kept).toHaveLength(2);
    expect(made).toMatchObject({ surface: 'openai-responses', model: MODEL, status: 200, outcome: 'ok', response: { text: expect.stringContaining(conversation.id) } });
    expect(added).toMatchObject({ surface: 'openai-responses', model: MODEL, status: 200, outcome: 'ok', response: { text: expect.stringContaining('"object": "list"') } });
  });

  it("keeps no body of a conversation update or items sent by a key that does not own the conversation: its refusal is recorded, the body's size alone", async () => {
    // Prepare
    const conversation = await client.conversations.create();
    await h.gw.gateway.drain();
    await records();
    rmSync(join(dir, 'audit'), { recursive: true, force: true });
    const metadata = { note: 'stranger-secret-metadata' };
    const items = [message('stranger-secret-item')];

    // Act
    const refusals = await Promise.all([
      stranger.conversations.update(conversation.id, { metadata }).then(() => undefined, (e: unknown) => e),
      stranger.conversations.items.create(conversation.id, { items }).then(() => undefined, (e: unknown) => e),
    ]);
    const kept = await records();

    // Assess
    for (const err of refusals) expect(err).toMatchObject({ status: 404, message: `404 Conversation with id '${conversation.id}' not found.` });
    expect(h.upstream.conversations.get(conversation.id)).toBeDefined();
    expect(kept).toHaveLength(2);
    for (const record of kept) {
      expect(record).toMatchObject({ keyId: strangerId, surface: 'openai-responses', status: 404, outcome: 'error' });
      expect(record.request.text).toBeUndefined();
      expect(record.request.bytes).toBeGreaterThan(0);
    }
    expect(JSON.stringify(kept)).not.toContain('stranger-secret');
  });

  it("holds what a model wrote, read back from a conversation's items or a stored response, to the rules on answers, as the call's own answer was; the client's own input is not the model's", async () => {
    // Prepare: the fake model echoes its input, so its answer carries the token, which the client gets redacted.
    const conversation = await client.conversations.create();
    const made = await client.responses.create({ model: MODEL, input: `Repeat ${FAKE.githubClassic}`, conversation: conversation.id });
    await h.gw.gateway.drain();

    // Act
    const listed = await client.conversations.items.list(conversation.id, { order: 'asc' });
    const written = listed.data.find((item) => item.type === 'message' && item.role === 'assistant')!;
    const item = await client.conversations.items.retrieve(written.id!, { conversation_id: conversation.id });
    const retrieved = await client.responses.retrieve(made.id);
    const streamed = await (await client.responses.retrieve(made.id, { stream: true }).asResponse()).text();

    // Assess
    const redacted = `Echo: Repeat [REDACTED:github-token]`;
    expect(made.output_text).toBe(redacted);
    expect(JSON.stringify(listed.data)).toContain(`Repeat ${FAKE.githubClassic}`);
    expect(JSON.stringify(written)).not.toContain(FAKE.githubClassic);
    expect(JSON.stringify(written)).toContain(redacted);
    expect(JSON.stringify(item)).toContain(redacted);
    expect(retrieved.output_text).toBe(redacted);
    expect(streamed).toContain('[REDACTED:github-token]');
    expect(streamed).not.toContain(FAKE.githubClassic);
    // The read's hit is booked as an answer's is: the list's usage record names the rule.
    const booked = (await h.usage(keyId)).filter((r) => r.status === 200 && r.inputTokens === 0 && r.guardrails !== undefined);
    expect(booked.map((r) => r.guardrails)).toEqual(Array(4).fill([{ rule: 'github-token', action: 'redact', count: 1, side: 'response' }]));
  });

  it('withholds a stored response a rule on answers blocks, retrieved as JSON (a 400) or streamed again (its stream ends with the error event before the key leaves), booking the hit in each record', async () => {
    // Prepare: the call's own answer is withheld, but the account kept the response.
    const blockedCall = await client.responses.create({ model: MODEL, input: `Repeat ${FAKE.awsKeyId}` }).then(() => undefined, (e: unknown) => e);
    const id = [...h.upstream.stored.keys()].at(-1)!;
    await h.gw.gateway.drain();
    const started = new Date().toISOString();

    // Act
    const whole = await client.responses.retrieve(id).then(() => undefined, (e: unknown) => e);
    const relayed: string[] = [];
    const streamed = await (async () => {
      for await (const event of await client.responses.retrieve(id, { stream: true })) relayed.push(JSON.stringify(event));
    })().then(() => undefined, (e: unknown) => e);

    // Assess: nothing was spent by reading it, and the refusal says so either way.
    expect(blockedCall).toMatchObject({ status: 400, code: 'guardrail_blocked' });
    expect(whole).toBeInstanceOf(OpenAI.BadRequestError);
    expect(whole).toMatchObject({ status: 400, code: 'guardrail_blocked', message: expect.stringContaining('The stored answer was withheld') });
    expect(streamed).toBeInstanceOf(OpenAI.APIError);
    expect((streamed as Error).message).toContain('The stored answer was withheld');
    expect(relayed[0]).toContain('response.created');
    expect(relayed.join('')).not.toContain(FAKE.awsKeyId);
    await h.gw.gateway.drain();
    const reads = (await h.usage(keyId)).filter((r) => String(r.at) >= started);
    expect(reads.map((r) => [r.stream, r.status, r.outcome, r.errorCode, r.guardrails]).sort()).toEqual([
      [false, 400, 'error', 'guardrail_blocked', [{ rule: 'aws-access-key', action: 'block', count: 1, side: 'response' }]],
      [true, 200, 'interrupted', 'guardrail_blocked', [{ rule: 'aws-access-key', action: 'block', count: 1, side: 'response' }]],
    ]);
  });

  it("numbers the error event of a stored response's stream a rule blocks after the last event the client got, not counting the events the screen held back", async () => {
    // Prepare
    await client.responses.create({ model: MODEL, input: `Repeat ${FAKE.awsKeyId}` }).catch(() => undefined);
    const id = [...h.upstream.stored.keys()].at(-1)!;
    await h.gw.gateway.drain();

    // Act
    const res = await fetch(`${h.gw.url}/v1/responses/${id}?stream=true`, { headers: { authorization: `Bearer ${apiKey}` } });
    const events = (await res.text())
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { type: string; code?: string; sequence_number: number });

    // Assess
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'guardrail_blocked' });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
  });

  it("withholds what a model wrote when a rule on answers blocks it, on the item routes too", async () => {
    // Prepare
    const conversation = await client.conversations.create();
    await h.gw.gateway.drain();
    await client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'assistant', content: `Deploy with ${FAKE.awsKeyId}` }] });

    // Act
    const outcomes = await Promise.all([
      client.conversations.items.list(conversation.id).then(() => undefined, (e: unknown) => e),
      client.conversations.retrieve(conversation.id).then((c) => c.id, (e: unknown) => e),
    ]);

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 400, code: 'guardrail_blocked', message: expect.stringContaining('data[0].content[0].text') });
    expect(outcomes[1]).toBe(conversation.id);
  });
});

/**
 * A stored response read back under a `flag` rule on answers, with the audit log keeping only
 * flagged calls: the hit is booked, and the call kept, whether the response comes back as JSON or
 * streamed again (`stream=true`, the account's events replaying it).
 */
describe('a stored response read back under a flag rule on answers', () => {
  let dir: string;
  let h: Harness;
  let client: OpenAI;
  let keyId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aigw-stored-flagged-'));
    h = await startHarness({
      config: (urls) => ({
        providers: [{ id: 'primary', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
        models: [{ name: MODEL, targets: [{ provider: 'primary', model: MODEL }] }],
        audit: { mode: 'flagged' },
        guardrails: { rules: [{ detect: 'jwt', action: 'flag', on: ['response'] }] },
      }),
      audit: () => new FileAuditSink(dir),
    });
    const made = await h.createKey({ name: 'flagged', models: [MODEL] });
    client = openAIClient(h.gw, made.key);
    keyId = made.id;
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('books the hit of a streamed retrieve in its usage record and keeps the call in the flagged audit, as a JSON retrieve', async () => {
    // Prepare: the fake model echoes its input, so the stored answer carries the token.
    const made = await client.responses.create({ model: MODEL, input: `Repeat ${FAKE.jwt}` });
    await h.gw.gateway.drain();
    const before = new Set(auditRecordsIn(dir).map((r) => r.requestId));

    // Act
    const retrieved = await client.responses.retrieve(made.id);
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await client.responses.retrieve(made.id, { stream: true })) events.push(event);
    await h.gw.gateway.drain();

    // Assess: flagged, so both went as they came.
    const hit = [{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }];
    const last = events.at(-1);
    expect(retrieved.output_text).toBe(`Echo: Repeat ${FAKE.jwt}`);
    expect(last?.type === 'response.completed' && last.response.output).toEqual(JSON.parse(JSON.stringify(retrieved.output)) as unknown);
    const reads = (await h.usage(keyId)).filter((r) => r.inputTokens === 0 && r.status === 200);
    expect(reads.map((r) => [r.stream, r.guardrails]).sort()).toEqual([
      [false, hit],
      [true, hit],
    ]);
    const kept = auditRecordsIn(dir).filter((r) => !before.has(r.requestId));
    expect(kept.map((r) => [r.stream, r.status, r.guardrails]).sort()).toEqual([
      [false, 200, hit],
      [true, 200, hit],
    ]);
  });
});
