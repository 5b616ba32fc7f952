import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import { DynamoStoredHomes } from '../../lib/store/stored-homes';
import { storedHomeKey } from '../../lib/store/table';
import { listUsage, type StoredUsage } from '../../lib/store/usage';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startInstances, type Instances } from './instances';

const POOL = ['one', 'two', 'three'] as const;
const ACCOUNTS = [...POOL, 'four'] as const;
type AccountId = (typeof ACCOUNTS)[number];
const MODEL = 'gpt-4o-mini';
/** Served by account `four` alone, of another provider: a conversation made for it must land there. */
const OTHER_MODEL = 'gpt-4.1';
type Who = 'mine' | 'teammate' | 'rival' | 'other' | 'limited' | 'tokens' | 'endUsers';

/**
 * OpenAI's Conversations API through the gateway, with the official client as caller: three fake
 * OpenAI accounts (each its own store) pooled for one model and a fourth for another, behind two
 * instances on one dynalite. A conversation is made at an account of its model's pool and
 * recorded as its home (owner: the caller's team), so that every later call on it, from either
 * instance, goes to that account alone, and a key of another team is told it does not exist. The
 * routes count in the key's requests-per-minute limit. The gateways' clock is fixed, so the
 * minute cannot turn while a test runs.
 */
describe('conversations through the gateway', () => {
  const NOW = Date.now();
  const today = new Date(NOW).toISOString().slice(0, 10);
  const fakes = {} as Record<AccountId, FakeOpenAI>;
  let instances: Instances;
  let homes: DynamoStoredHomes;
  const clients = {} as Record<'a' | 'b', Record<Who, OpenAI>>;
  const keyIds = {} as Record<Who, string>;
  let teamId: string;

  beforeAll(async () => {
    for (const id of ACCOUNTS) fakes[id] = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [
        { id: 'pool', type: 'openai', accounts: POOL.map((id) => ({ id, baseUrl: fakes[id].url, apiKey: { env: 'UP' } })) },
        { id: 'solo', type: 'openai', accounts: [{ id: 'four', baseUrl: fakes.four.url, apiKey: { env: 'UP' } }] },
      ],
      models: [
        { name: MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'pool', model: MODEL }] },
        { name: OTHER_MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'solo', model: OTHER_MODEL }] },
      ],
      guardrails: { rules: [{ detect: 'aws-access-key', action: 'redact' }, { detect: 'github-token', action: 'block' }] },
    });
    instances = await startInstances({ config, count: 2, tableName: 'conversations', credentials: { UP: 'sk-up' }, now: () => NOW });
    homes = new DynamoStoredHomes(instances.gateways[0]!.table, () => NOW);
    const team = await instances.createTeam({ name: 'alpha' });
    const beta = await instances.createTeam({ name: 'beta' });
    teamId = team.id;
    const made: Record<Who, { id: string; key: string }> = {
      mine: await instances.createKey({ name: 'alpha-1', teamId: team.id }),
      teammate: await instances.createKey({ name: 'alpha-2', teamId: team.id }),
      rival: await instances.createKey({ name: 'beta-1', teamId: beta.id }),
      other: await instances.createKey({ name: 'other-model', models: [OTHER_MODEL] }),
      limited: await instances.createKey({ name: 'limited', limits: { requestsPerMinute: 3 } }),
      tokens: await instances.createKey({ name: 'tokens', limits: { tokensPerMinute: 5, requestsPerMinute: 100 } }),
      endUsers: await instances.createKey({ name: 'end-users', endUserRequired: true, endUserLimits: { requestsPerMinute: 1 } }),
    };
    for (const [i, side] of (['a', 'b'] as const).entries()) {
      const url = `${instances.gateways[i]!.url}/v1`;
      clients[side] = Object.fromEntries(Object.entries(made).map(([who, { key }]) => [who, new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0, timeout: 10_000 })])) as Record<Who, OpenAI>;
    }
    for (const [who, { id }] of Object.entries(made)) keyIds[who as Who] = id;
  });
  afterAll(async () => {
    await instances?.close();
    for (const id of ACCOUNTS) await fakes[id]?.close();
  });

  /** How many requests each account has had. */
  const requests = () => Object.fromEntries(ACCOUNTS.map((id) => [id, fakes[id].requests.length])) as Record<AccountId, number>;
  const since = (before: Record<AccountId, number>) => {
    const now = requests();
    return Object.fromEntries(ACCOUNTS.map((id) => [id, now[id] - before[id]]));
  };
  const only = (account: AccountId, n: number) => Object.fromEntries(ACCOUNTS.map((id) => [id, id === account ? n : 0]));
  const holderOf = (id: string) => ACCOUNTS.find((account) => fakes[account].conversations.has(id));
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  /** A key's usage records of today, every instance's writes waited for (the clock is fixed: cases tell theirs apart by count). */
  const usageOf = async (who: Who): Promise<StoredUsage[]> => {
    await instances.drain();
    return listUsage(instances.gateways[0]!.table, keyIds[who], today);
  };
  const texts = (items: readonly OpenAI.Conversations.ConversationItem[]) => items.map((item) => (item.type === 'message' ? item.content.map((c) => ('text' in c ? c.text : '')).join('') : item.type));
  const message = (text: string) => ({ type: 'message' as const, role: 'user' as const, content: text });

  it('continues a conversation made through one instance on the other, at the account that made it, with no probing; its home is in the table with no expiry', async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create({ metadata: { topic: 'migration' }, items: [message('We plan a migration.')] });
    await instances.drain();
    const holder = holderOf(conversation.id)!;
    const before = requests();

    // Act
    const turns = [
      await clients.b.teammate.responses.create({ model: MODEL, input: 'First step?', conversation: conversation.id }),
      await clients.b.mine.responses.create({ model: MODEL, input: 'Then?', conversation: { id: conversation.id } }),
    ];

    // Assess
    expect(POOL).toContain(holder);
    expect(turns.map((t) => t.output_text)).toEqual(['Echo: First step?', 'Echo: Then?']);
    expect(since(before)).toEqual(only(holder, 2));
    expect(fakes[holder].conversations.get(conversation.id)).toEqual({ calls: 2 });
    expect(await homes.read(conversation.id)).toMatchObject({ ref: { kind: 'conversation', id: conversation.id }, providerId: 'pool', accountId: holder, owner: teamId, model: MODEL });
    const item = await instances.gateways[0]!.table.client.send(new GetItemCommand({ TableName: instances.gateways[0]!.table.tableName, Key: { PK: { S: storedHomeKey(conversation.id).PK }, SK: { S: storedHomeKey(conversation.id).SK } }, ConsistentRead: true }));
    expect(item.Item?.ttl).toBeUndefined();
    // The maker's create: one record, at the account, with no tokens.
    expect(await usageOf('mine')).toContainEqual(expect.objectContaining({ surface: 'openai-responses', model: MODEL, status: 200, outcome: 'ok', account: holder, attempts: 1, inputTokens: 0, outputTokens: 0 }));
    // The teammate's only call so far: the first turn, served by the conversation's account alone.
    expect(await usageOf('teammate')).toEqual([expect.objectContaining({ status: 200, outcome: 'ok', account: holder, attempts: 1, balancedBy: 'stored' })]);
  });

  it('reads, updates and deletes a conversation, and adds, lists, reads and deletes its items, at its account from either instance, each call one usage record without tokens', async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create({ items: [message('one')] });
    const seen = new Set([...(await usageOf('mine')), ...(await usageOf('teammate'))].map((r) => r.requestId));
    const holder = holderOf(conversation.id)!;
    const before = requests();

    // Act
    const read = await clients.b.teammate.conversations.retrieve(conversation.id);
    const updated = await clients.b.mine.conversations.update(conversation.id, { metadata: { stage: 'two' } });
    const added = await clients.a.teammate.conversations.items.create(conversation.id, { items: [message('two'), message('three')] });
    const listed = [];
    for await (const item of clients.b.mine.conversations.items.list(conversation.id, { order: 'asc', limit: 2 })) listed.push(item);
    const second = await clients.b.mine.conversations.items.retrieve(added.data[0]!.id!, { conversation_id: conversation.id });
    const afterItemDelete = await clients.a.mine.conversations.items.delete(added.data[0]!.id!, { conversation_id: conversation.id });
    const left = await clients.b.teammate.conversations.items.list(conversation.id, { order: 'asc' });
    const deleted = await clients.b.teammate.conversations.delete(conversation.id);
    await instances.drain();

    // Assess
    expect(read).toMatchObject({ id: conversation.id, object: 'conversation', metadata: {} });
    expect(updated.metadata).toEqual({ stage: 'two' });
    expect(texts(added.data)).toEqual(['two', 'three']);
    expect(texts(listed)).toEqual(['one', 'two', 'three']);
    expect(texts([second])).toEqual(['two']);
    expect(afterItemDelete).toMatchObject({ id: conversation.id, object: 'conversation' });
    expect(texts(left.data)).toEqual(['one', 'three']);
    expect(deleted).toEqual({ id: conversation.id, object: 'conversation.deleted', deleted: true });
    // Two pages of the list: `after` went to the same account.
    expect(since(before)).toEqual(only(holder, 9));
    const pages = fakes[holder].requests.filter((r) => r.method === 'GET' && r.path === `/v1/conversations/${conversation.id}/items`).map((r) => Object.fromEntries(new URLSearchParams(r.search)));
    expect(pages).toEqual([{ order: 'asc', limit: '2' }, { order: 'asc', limit: '2', after: listed[1]!.id }, { order: 'asc' }]);
    expect(fakes[holder].conversations.has(conversation.id)).toBe(false);
    expect(await homes.read(conversation.id)).toBeUndefined();
    const records = [...(await usageOf('mine')), ...(await usageOf('teammate'))].filter((r) => !seen.has(r.requestId));
    expect(records).toHaveLength(9);
    for (const r of records) expect(r).toMatchObject({ surface: 'openai-responses', model: MODEL, status: 200, outcome: 'ok', account: holder, inputTokens: 0, outputTokens: 0 });
  });

  it("answers a deleted conversation with OpenAI's 404: the deleting instance itself, the other by asking its account", async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create();
    await instances.drain();
    const holder = holderOf(conversation.id)!;
    await clients.b.mine.conversations.delete(conversation.id);
    await instances.drain();
    const before = requests();

    // Act
    const onDeleter = await failure(clients.b.mine.conversations.retrieve(conversation.id));
    const asked = since(before);
    const onMaker = await failure(clients.a.mine.conversations.retrieve(conversation.id));

    // Assess
    for (const err of [onDeleter, onMaker]) expect(err).toMatchObject({ status: 404, message: `404 Conversation with id '${conversation.id}' not found.` });
    expect([asked, since(before)]).toEqual([only(holder, 0), only(holder, 1)]);
  });

  it("answers a key of another team, and an id no account is known to hold, with OpenAI's 404 for an unknown conversation on every route, asking no upstream, and books each refusal", async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create({ items: [message('Private')] });
    const item = (await clients.a.mine.conversations.items.list(conversation.id)).data[0]!;
    const seen = new Set((await usageOf('rival')).map((r) => r.requestId));
    const before = requests();

    // Act
    const errors = await Promise.all([
      failure(clients.b.rival.conversations.retrieve(conversation.id)),
      failure(clients.a.rival.conversations.update(conversation.id, { metadata: { mine: 'now' } })),
      failure(clients.b.rival.conversations.delete(conversation.id)),
      failure(clients.b.rival.conversations.items.list(conversation.id)),
      failure(clients.a.rival.conversations.items.create(conversation.id, { items: [message('Injected')] })),
      failure(clients.b.rival.conversations.items.retrieve(item.id!, { conversation_id: conversation.id })),
      failure(clients.b.rival.conversations.items.delete(item.id!, { conversation_id: conversation.id })),
      failure(clients.b.rival.responses.create({ model: MODEL, input: 'Peek', conversation: conversation.id })),
      failure(clients.b.mine.conversations.retrieve('conv_nowhere')),
    ]);

    // Assess
    for (const [i, err] of errors.entries()) {
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err).toMatchObject({ status: 404, message: `404 Conversation with id '${i === 8 ? 'conv_nowhere' : conversation.id}' not found.` });
    }
    expect(since(before)).toEqual(only('one', 0));
    const still = await clients.b.mine.conversations.retrieve(conversation.id);
    expect(still.metadata).toEqual({});
    const records = (await usageOf('rival')).filter((r) => !seen.has(r.requestId));
    expect(records.map((r) => [r.status, r.outcome, r.attempts, r.account])).toEqual(Array(8).fill([404, 'error', 0, undefined]));
  });

  it.each([
    ['the x-aigw-model header', (client: OpenAI) => client.conversations.create({}, { headers: { 'x-aigw-model': OTHER_MODEL } })],
    ['the model query parameter', (client: OpenAI) => client.conversations.create({}, { query: { model: OTHER_MODEL } })],
  ])("makes a conversation where the model named by %s is served, and that model's calls on it go there", async (_case, create) => {
    // Prepare
    const before = requests();

    // Act
    const conversation = await create(clients.a.mine);
    await instances.drain();
    const answer = await clients.b.mine.responses.create({ model: OTHER_MODEL, input: 'Hi', conversation: conversation.id });

    // Assess
    expect(holderOf(conversation.id)).toBe('four');
    expect(answer.output_text).toBe('Echo: Hi');
    expect(since(before)).toEqual(only('four', 2));
    const made = fakes.four.requests.find((r) => r.method === 'POST' && r.path === '/v1/conversations')!;
    expect(new URLSearchParams(made.search).has('model')).toBe(false);
    expect(await homes.read(conversation.id)).toMatchObject({ accountId: 'four', model: OTHER_MODEL });
  });

  it("makes a conversation for the key's first model that keeps conversations when none is named", async () => {
    const conversation = await clients.a.other.conversations.create();

    expect(holderOf(conversation.id)).toBe('four');
  });

  it.each([
    ['a model the key may not use', 'other', MODEL, { status: 403, code: 'model_not_allowed' }],
    ['a model that does not exist', 'mine', 'gpt-9', { status: 404, code: 'model_not_found' }],
  ] as const)('refuses to make a conversation for %s, asking no upstream', async (_case, who, model, expected) => {
    const before = requests();

    const err = await failure(clients.a[who].conversations.create({}, { headers: { 'x-aigw-model': model } }));

    expect(err).toMatchObject(expected);
    expect(since(before)).toEqual(only('one', 0));
  });

  it("counts every conversation and stored-response route in the key's requests-per-minute limit, refusals not, and answers the next with the limit's 429, asking no upstream", async () => {
    // Prepare
    const limited = clients.a.limited;
    const conversation = await limited.conversations.create();
    const made = await limited.responses.create({ model: MODEL, input: 'Hi', conversation: conversation.id });
    await instances.drain();
    const before = requests();

    // Act: a refused call first, which takes no place (a body the guardrails block, an id the key does not own).
    const blocked = await failure(clients.a.limited.conversations.items.create(conversation.id, { items: [message(`Push with ${FAKE.githubClassic}`)] }));
    const unowned = await failure(clients.a.limited.conversations.retrieve('conv_nowhere'));
    const retrieved = await clients.b.limited.responses.retrieve(made.id).asResponse();
    const refused = await Promise.all([
      failure(clients.b.limited.conversations.retrieve(conversation.id)),
      failure(clients.a.limited.conversations.items.list(conversation.id)),
      failure(clients.b.limited.responses.retrieve(made.id)),
      failure(clients.a.limited.conversations.create()),
    ]);

    // Assess
    expect([blocked, unowned]).toMatchObject([{ status: 400, code: 'guardrail_blocked' }, { status: 404 }]);
    expect(retrieved.status).toBe(200);
    expect(retrieved.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    for (const err of refused) {
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: expect.stringContaining('this API key allows 3 requests per minute') });
      const headers = (err as InstanceType<typeof OpenAI.RateLimitError>).headers!;
      expect([Number(headers.get('retry-after')) >= 1, headers.get('x-ratelimit-limit-requests'), headers.get('x-ratelimit-remaining-requests')]).toEqual([true, '3', '0']);
    }
    expect(since(before)).toEqual(only(holderOf(conversation.id)!, 1));
  });

  it("answers a method a conversation route does not take with 405 naming those it does (OpenAI has no list of conversations)", async () => {
    const [list, put] = await Promise.all([
      fetch(`${instances.gateways[0]!.url}/v1/conversations`, { headers: { authorization: `Bearer ${clients.a.mine.apiKey}` } }),
      fetch(`${instances.gateways[0]!.url}/v1/conversations/conv_1/items`, { method: 'PUT', headers: { authorization: `Bearer ${clients.a.mine.apiKey}` } }),
    ]);

    expect([list.status, list.headers.get('allow'), put.status, put.headers.get('allow')]).toEqual([405, 'POST', 405, 'GET, POST']);
  });

  it("counts the routes in each end user's minute by the x-aigw-end-user header, and refuses a call naming none by a key that requires one", async () => {
    const as = (endUser: string) => ({ headers: { 'x-aigw-end-user': endUser } });
    const client = clients.a.endUsers;

    const outcomes = [
      await failure(client.conversations.create()),
      await client.conversations.create({}, as('alice')),
      await failure(client.conversations.create({}, as('alice'))),
      await client.conversations.create({}, as('bob')),
    ];

    expect(outcomes[0]).toMatchObject({ status: 400, code: 'end_user_required' });
    expect(outcomes[1]).toMatchObject({ object: 'conversation' });
    expect(outcomes[2]).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: expect.stringContaining('end user "alice" of this API key') });
    expect(outcomes[3]).toMatchObject({ object: 'conversation' });
  });

  it("lets a key past its tokens-per-minute limit still reach its stored objects: the routes carry no tokens, and only its model calls are refused", async () => {
    // Prepare: one call spends more than the minute's 5 tokens.
    const conversation = await clients.a.tokens.conversations.create();
    const made = await clients.a.tokens.responses.create({ model: MODEL, input: 'Spend the tokens of this minute', conversation: conversation.id });
    await instances.drain();

    // Act
    const read = await clients.b.tokens.conversations.items.list(conversation.id, { order: 'asc' });
    const retrieved = await clients.b.tokens.responses.retrieve(made.id);
    const refused = await failure(clients.b.tokens.responses.create({ model: MODEL, input: 'More', conversation: conversation.id }));

    // Assess
    expect(texts(read.data)).toEqual(['Spend the tokens of this minute', 'Echo: Spend the tokens of this minute']);
    expect(retrieved.id).toBe(made.id);
    expect(refused).toMatchObject({ status: 429, code: 'tokens_rate_limit_exceeded' });
  });

  it("screens what a conversation is given as a model call's input is screened: a secret redacted before its account sees it, a blocked one refused before any upstream call", async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create({ items: [message(`Deploy with ${FAKE.awsKeyId}`)] });
    await instances.drain();
    const holder = holderOf(conversation.id)!;
    const before = requests();

    // Act
    const added = await clients.b.mine.conversations.items.create(conversation.id, { items: [message(`And ${FAKE.awsKeyId} again`)] });
    const blocked = await Promise.all([
      failure(clients.a.mine.conversations.create({ items: [message(`Push with ${FAKE.githubClassic}`)] })),
      failure(clients.b.mine.conversations.items.create(conversation.id, { items: [message(`Push with ${FAKE.githubClassic}`)] })),
      failure(clients.b.mine.conversations.update(conversation.id, { metadata: { token: FAKE.githubClassic } })),
    ]);

    // Assess
    const kept = await clients.b.mine.conversations.items.list(conversation.id, { order: 'asc' });
    expect(texts(kept.data)).toEqual(['Deploy with [REDACTED:aws-access-key]', 'And [REDACTED:aws-access-key] again']);
    expect(texts(added.data)).toEqual(['And [REDACTED:aws-access-key] again']);
    for (const err of blocked) expect(err).toMatchObject({ status: 400, code: 'guardrail_blocked' });
    expect(since(before)).toEqual(only(holder, 2));
  });
});

describe('a conversation made while an account of the pool is down', () => {
  let up: FakeOpenAI;
  let down: FakeOpenAI;
  let instances: Instances;

  beforeAll(async () => {
    [up, down] = [await startFakeOpenAI({ apiKey: 'sk-up' }), await startFakeOpenAI({ apiKey: 'sk-up' })];
    const config = parseConfig({
      providers: [{ id: 'pool', type: 'openai', accounts: [{ id: 'down', baseUrl: down.url, apiKey: { env: 'UP' }, weight: 1000 }, { id: 'up', baseUrl: up.url, apiKey: { env: 'UP' } }] }],
      models: [{ name: MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'pool', model: MODEL }] }],
    });
    instances = await startInstances({ config, count: 2, tableName: 'conversations-failover', credentials: { UP: 'sk-up' } });
    // Refuses connections from now on: a call to it fails as an unreachable account does; weighted so that a create tries it first.
    await down.close();
  });
  afterAll(async () => {
    await instances?.close();
    await up?.close();
  });

  it('is made at the next account, as a call would fail over, and is continued there from the other instance', async () => {
    // Prepare
    const { id: keyId, key } = await instances.createKey({ name: 'k' });
    const [a, b] = instances.gateways.map((gw) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 }));

    // Act
    const made = await Promise.all(Array.from({ length: 4 }, () => a!.conversations.create()));
    await instances.drain();
    const before = up.requests.length;
    const answers = await Promise.all(made.map((c) => b!.responses.create({ model: MODEL, input: 'Hi', conversation: c.id })));

    // Assess
    expect(made.every((c) => up.conversations.has(c.id))).toBe(true);
    expect(answers.map((r) => r.output_text)).toEqual(Array(4).fill('Echo: Hi'));
    expect(up.requests.length - before).toBe(4);
    const records = await instances.usage(keyId);
    const creates = records.filter((r) => r.inputTokens === 0);
    expect(creates.map((r) => [r.status, r.account])).toEqual(Array(4).fill([200, 'up']));
    // Weighted 1000 to 1, the down account was tried first by the creates sent before it rested.
    expect(creates.some((r) => r.attempts === 2)).toBe(true);
    expect(records.filter((r) => r.inputTokens !== 0).map((r) => [r.status, r.account, r.attempts, r.balancedBy])).toEqual(Array(4).fill([200, 'up', 1, 'stored']));
  });
});
