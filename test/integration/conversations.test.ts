import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import { DynamoStoredHomes } from '../../lib/store/stored-homes';
import { spendItemKey, storedHomeKey } from '../../lib/store/table';
import { listUsage, type StoredUsage } from '../../lib/store/usage';
import { countStoredReads } from '../dynalite';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { eventually } from './harness';
import { startInstances, type Instances } from './instances';

const POOL = ['one', 'two', 'three'] as const;
const ACCOUNTS = [...POOL, 'four'] as const;
type AccountId = (typeof ACCOUNTS)[number];
const MODEL = 'gpt-4o-mini';
/** Served by account `four` alone, of another provider: a conversation made for it must land there. */
const OTHER_MODEL = 'gpt-4.1';
type Who = 'mine' | 'teammate' | 'rival' | 'other' | 'limited' | 'prober' | 'continuer' | 'budgeted' | 'tokens' | 'endUsers';

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
      prober: await instances.createKey({ name: 'prober', limits: { requestsPerMinute: 2 } }),
      continuer: await instances.createKey({ name: 'continuer', limits: { requestsPerMinute: 2 } }),
      budgeted: await instances.createKey({ name: 'beta-budgeted', teamId: beta.id, limits: { requestsPerMinute: 100, usdPerDay: 1 } }),
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
  const holderOfResponse = (id: string) => ACCOUNTS.find((account) => fakes[account].stored.has(id));
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

  it("keeps the home of a response made in a conversation when the conversation is deleted (OpenAI keeps its items): still its team's, with no expiry, naming the conversation it was made in", async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create();
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Remember this', conversation: conversation.id });
    await instances.drain();
    await clients.b.teammate.conversations.delete(conversation.id);
    await instances.drain();
    const before = requests();

    // Act
    const refused = await Promise.all([failure(clients.b.rival.responses.retrieve(made.id)), failure(clients.b.rival.responses.create({ model: MODEL, input: 'Peek', previous_response_id: made.id }))]);
    const own = await clients.b.teammate.responses.retrieve(made.id);

    // Assess
    expect(refused).toMatchObject([{ status: 404 }, { status: 400, code: 'previous_response_not_found' }]);
    expect(own.id).toBe(made.id);
    expect(since(before)).toEqual(only(holderOfResponse(made.id)!, 1));
    expect(await homes.read(conversation.id)).toBeUndefined();
    const item = await instances.gateways[0]!.table.client.send(new GetItemCommand({ TableName: instances.gateways[0]!.table.tableName, Key: { PK: { S: storedHomeKey(made.id).PK }, SK: { S: storedHomeKey(made.id).SK } }, ConsistentRead: true }));
    expect([item.Item?.kind?.S, item.Item?.owner?.S, item.Item?.conversation?.S, item.Item?.ttl]).toEqual(['response', teamId, conversation.id, undefined]);
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

  it("answers a response's id on a conversation's route, and a conversation's on a response's, with the route's 404, asking no upstream, even on the instance that made both", async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create();
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Hi', conversation: conversation.id });
    await instances.drain();
    const before = requests();

    // Act
    const errors = await Promise.all([
      failure(clients.a.mine.conversations.retrieve(made.id)),
      failure(clients.a.mine.conversations.items.list(made.id)),
      failure(clients.a.mine.responses.retrieve(conversation.id)),
      failure(clients.a.mine.responses.inputItems.list(conversation.id)),
    ]);

    // Assess
    expect(errors.map((e) => (e as { status?: number; message?: string }).message)).toEqual([
      `404 Conversation with id '${made.id}' not found.`,
      `404 Conversation with id '${made.id}' not found.`,
      `404 Response with id '${conversation.id}' not found.`,
      `404 Response with id '${conversation.id}' not found.`,
    ]);
    expect(since(before)).toEqual(only('one', 0));
  });

  it.each(['a', 'b'] as const)("refuses a Responses call naming a response's id as its conversation, or a conversation's as its previous response, with that field's not-found, asking no upstream and leaving each home its kind (instance %s)", async (side) => {
    // Prepare: both made on A; B knows them from the table alone.
    const conversation = await clients.a.mine.conversations.create();
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Hi' });
    await instances.drain();
    const before = requests();

    // Act
    const errors = await Promise.all([
      failure(clients[side].mine.responses.create({ model: MODEL, input: 'More', conversation: made.id })),
      failure(clients[side].mine.responses.create({ model: MODEL, input: 'More', conversation: { id: made.id } })),
      failure(clients[side].mine.responses.create({ model: MODEL, input: 'More', previous_response_id: conversation.id })),
    ]);
    await instances.drain();

    // Assess
    expect(errors.map((e) => [(e as { status?: number }).status, (e as { message?: string }).message])).toEqual([
      [404, `404 Conversation with id '${made.id}' not found.`],
      [404, `404 Conversation with id '${made.id}' not found.`],
      [400, `400 Previous response with id '${conversation.id}' not found.`],
    ]);
    expect(since(before)).toEqual(only('one', 0));
    expect(await homes.read(made.id)).toMatchObject({ ref: { kind: 'response', id: made.id }, owner: teamId });
    expect(await homes.read(conversation.id)).toMatchObject({ ref: { kind: 'conversation', id: conversation.id }, owner: teamId });
    const item = await instances.gateways[0]!.table.client.send(new GetItemCommand({ TableName: instances.gateways[0]!.table.tableName, Key: { PK: { S: storedHomeKey(made.id).PK }, SK: { S: storedHomeKey(made.id).SK } }, ConsistentRead: true }));
    expect(item.Item?.ttl?.N).toBeDefined();
  });

  it("passes an account's refusal of a body on as OpenAI's error, with its status, code and param, in one usage record", async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create();
    await instances.drain();
    const seen = new Set((await usageOf('mine')).map((r) => r.requestId));

    // Act
    const err = await failure(clients.b.mine.conversations.items.create(conversation.id, { items: Array.from({ length: 21 }, (_, i) => message(`item ${i}`)) }));

    // Assess
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'array_above_max_length', param: 'items', message: expect.stringContaining("Invalid 'items': array too long") });
    const records = (await usageOf('mine')).filter((r) => !seen.has(r.requestId));
    expect(records.map((r) => [r.status, r.outcome, r.account, r.model])).toEqual([[400, 'error', holderOf(conversation.id), MODEL]]);
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
    // The gateway's own header is not the account's either, nor the gateway key.
    expect([made.headers['x-aigw-model'], made.headers.authorization]).toEqual([undefined, 'Bearer sk-up']);
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

  it("counts every conversation and stored-response route in the key's requests-per-minute limit, an unknown id's too (its table read is made), a body the guardrails refuse not, and answers the next with the limit's 429, asking no upstream", async () => {
    // Prepare
    const limited = clients.a.limited;
    const conversation = await limited.conversations.create();
    const made = await limited.responses.create({ model: MODEL, input: 'Hi', conversation: conversation.id });
    await instances.drain();
    const before = requests();

    // Act: a refused body first, which takes no place; then an id no account holds, which takes the minute's last.
    const blocked = await failure(clients.a.limited.conversations.items.create(conversation.id, { items: [message(`Push with ${FAKE.githubClassic}`)] }));
    const unknown = await failure(clients.b.limited.conversations.retrieve('conv_nowhere'));
    const refused = await Promise.all([
      failure(clients.b.limited.conversations.retrieve(conversation.id)),
      failure(clients.a.limited.conversations.items.list(conversation.id)),
      failure(clients.b.limited.responses.retrieve(made.id)),
      failure(clients.a.limited.conversations.create()),
    ]);

    // Assess
    expect([blocked, unknown]).toMatchObject([{ status: 400, code: 'guardrail_blocked' }, { status: 404, message: "404 Conversation with id 'conv_nowhere' not found." }]);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).headers!.get('x-ratelimit-remaining-requests')).toBe('0');
    for (const err of refused) {
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: expect.stringContaining('this API key allows 3 requests per minute') });
      const headers = (err as InstanceType<typeof OpenAI.RateLimitError>).headers!;
      expect([Number(headers.get('retry-after')) >= 1, headers.get('x-ratelimit-limit-requests'), headers.get('x-ratelimit-remaining-requests')]).toEqual([true, '3', '0']);
    }
    expect(since(before)).toEqual(only('one', 0));
  });

  it("counts an id route naming an id no account is known to hold in the key's minute, as its table read is made: past the limit, made-up ids get the 429 and read nothing, on either instance", async () => {
    // Prepare: the key read into both instances' caches, so only the homes' reads are counted.
    for (const side of ['a', 'b'] as const) await clients[side].prober.models.list();
    const counted = instances.gateways.map((gw) => countStoredReads(gw.table));
    const reads = () => counted.reduce((sum, c) => sum + c.count, 0);

    // Act
    const within = [await failure(clients.a.prober.conversations.retrieve('conv_madeup1')), await failure(clients.b.prober.responses.retrieve('resp_madeup2'))];
    const readsWithin = reads();
    const past = await Promise.all(['a', 'b', 'a', 'b', 'a', 'b'].map((side, i) => failure(clients[side as 'a' | 'b'].prober.responses.retrieve(`resp_madeup${i + 3}`))));

    // Assess
    expect(within).toMatchObject([{ status: 404 }, { status: 404 }]);
    for (const err of past) expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect([readsWithin, reads()]).toEqual([2, 2]);
    for (const c of counted) c.stop();
  });

  it("counts a model call naming a made-up previous response or conversation in the key's minute before its table read: past the limit, such calls get the 429 and read nothing, on either instance, asking no upstream", async () => {
    // Prepare: the key read into both instances' caches, so only the homes' reads are counted.
    for (const side of ['a', 'b'] as const) await clients[side].continuer.models.list();
    const counted = instances.gateways.map((gw) => countStoredReads(gw.table));
    const reads = () => counted.reduce((sum, c) => sum + c.count, 0);
    const continuing = (side: 'a' | 'b', ref: { previous_response_id: string } | { conversation: string }) => failure(clients[side].continuer.responses.create({ model: MODEL, input: 'Hi', ...ref }));
    // A body naming both is refused as a bad body, before the limits: it takes no place (or the second call below would get the 429) and reads nothing.
    const both = await failure(clients.a.continuer.responses.create({ model: MODEL, input: 'Hi', previous_response_id: 'resp_madeupcall0', conversation: 'conv_madeupcall0' }));
    const withinOne = await continuing('a', { previous_response_id: 'resp_madeupcall1' });
    const withinTwo = await continuing('b', { conversation: 'conv_madeupcall2' });
    const readsWithin = reads();
    const before = requests();

    // Act
    const past = await Promise.all(['a', 'b', 'a', 'b', 'a', 'b'].map((side, i) => continuing(side as 'a' | 'b', i % 2 ? { conversation: `conv_madeupcall${i + 3}` } : { previous_response_id: `resp_madeupcall${i + 3}` })));

    // Assess: within the limit each id costs its read (and the pool its probe); past it, nothing.
    expect([both, withinOne, withinTwo]).toMatchObject([{ status: 400, code: 'mutually_exclusive_parameters' }, { status: 400, code: 'previous_response_not_found' }, { status: 404 }]);
    for (const err of past) {
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: expect.stringContaining('this API key allows 2 requests per minute') });
    }
    expect([readsWithin, reads()]).toEqual([2, 2]);
    expect(since(before)).toEqual(only('one', 0));
    for (const c of counted) c.stop();
  });

  it("holds no budget for a model call the owner check refuses (its previous response or conversation is another team's): it keeps its place in the minute, and writes no spend", async () => {
    // Prepare: alpha's response and conversation, which a key of beta with a budget names.
    const conversation = await clients.a.mine.conversations.create();
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Hi', conversation: conversation.id });
    await instances.drain();
    const before = requests();

    // Act
    const refused = [
      await failure(clients.b.budgeted.responses.create({ model: MODEL, input: 'More', previous_response_id: made.id, max_output_tokens: 1000 })),
      await failure(clients.a.budgeted.responses.create({ model: MODEL, input: 'More', conversation: conversation.id, max_output_tokens: 1000 })),
    ];
    await instances.drain();

    // Assess
    expect(refused).toMatchObject([{ status: 400, code: 'previous_response_not_found' }, { status: 404 }]);
    expect((refused[0] as InstanceType<typeof OpenAI.BadRequestError>).headers!.get('x-ratelimit-remaining-requests')).toBe('99');
    expect((refused[1] as InstanceType<typeof OpenAI.NotFoundError>).headers!.get('x-ratelimit-remaining-requests')).toBe('98');
    expect(since(before)).toEqual(only('one', 0));
    // Never held: the day's item was never written (the key's only calls are these).
    const { table } = instances.gateways[0]!;
    const key = spendItemKey(keyIds.budgeted, today);
    const item = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
    expect(item.Item).toBeUndefined();
  });

  it("tells a key the same of another team's existing response as of an id none holds, on the instance that made it (memory) and on one that reads the table: the same refusal and rate headers, a place taken each", async () => {
    // Prepare: alpha's response; instance a remembers it, instance b has not read it yet.
    const made = await clients.a.mine.responses.create({ model: MODEL, input: 'Hi' });
    await instances.drain();

    // Act: beta's key names it, and an id none holds, on each instance.
    const asked: { side: 'a' | 'b'; id: string }[] = [
      { side: 'a', id: made.id },
      { side: 'a', id: 'resp_madeupwarm0' },
      { side: 'b', id: made.id },
      { side: 'b', id: 'resp_madeupcold0' },
    ];
    const refused: InstanceType<typeof OpenAI.BadRequestError>[] = [];
    for (const { side, id } of asked) refused.push((await failure(clients[side].budgeted.responses.create({ model: MODEL, input: 'More', previous_response_id: id }))) as InstanceType<typeof OpenAI.BadRequestError>);

    // Assess
    expect(refused.map((err) => [err.status, err.code, err.param, err.message])).toEqual(asked.map(({ id }) => [400, 'previous_response_not_found', 'previous_response_id', `400 Previous response with id '${id}' not found.`]));
    const rateHeaders = (err: InstanceType<typeof OpenAI.BadRequestError>) => [...err.headers!.keys()].filter((name) => name.startsWith('x-ratelimit') || name === 'retry-after').sort();
    for (const err of refused) expect(rateHeaders(err)).toEqual(rateHeaders(refused[0]!));
    const remaining = refused.map((err) => Number(err.headers!.get('x-ratelimit-remaining-requests')));
    expect(remaining.slice(1).map((left, i) => remaining[i]! - left)).toEqual([1, 1, 1]);
  });

  it('refuses a body that is not a JSON object with a 400 before any upstream call', async () => {
    // Prepare
    const conversation = await clients.a.mine.conversations.create();
    await instances.drain();
    const before = requests();
    const post = (path: string, body: string) => fetch(`${instances.gateways[1]!.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${clients.a.mine.apiKey}`, 'content-type': 'application/json' }, body });

    // Act
    const answers = await Promise.all([post('/v1/conversations', 'not json'), post(`/v1/conversations/${conversation.id}/items`, '[{"type":"message"}]'), post(`/v1/conversations/${conversation.id}`, '')]);

    // Assess
    expect(answers.map((r) => r.status)).toEqual([400, 400, 400]);
    for (const r of answers) expect(await r.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(since(before)).toEqual(only('one', 0));
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

describe("a conversation's routes when its account fails", () => {
  let first: FakeOpenAI;
  let second: FakeOpenAI;
  let instances: Instances;
  let key: { id: string; key: string };
  let client: OpenAI;

  beforeAll(async () => {
    [first, second] = [await startFakeOpenAI({ apiKey: 'sk-up' }), await startFakeOpenAI({ apiKey: 'sk-up' })];
    const config = parseConfig({
      // Weighted so that a create tries `first` first.
      providers: [{ id: 'pool', type: 'openai', accounts: [{ id: 'first', baseUrl: first.url, apiKey: { env: 'UP' }, weight: 1000 }, { id: 'second', baseUrl: second.url, apiKey: { env: 'UP' } }] }],
      models: [{ name: MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'pool', model: MODEL }] }],
    });
    instances = await startInstances({ config, count: 1, tableName: 'conversations-failing', credentials: { UP: 'sk-up' } });
    key = await instances.createKey({ name: 'k' });
    client = new OpenAI({ apiKey: key.key, baseURL: `${instances.gateways[0]!.url}/v1`, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await instances?.close();
    await first?.close();
    await second?.close();
  });
  afterEach(() => {
    first.reset();
    second.reset();
  });

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  const recordsSince = async (seen: ReadonlySet<unknown>) => (await instances.usage(key.id)).filter((r) => !seen.has(r.requestId));
  const seenNow = async () => new Set((await instances.usage(key.id)).map((r) => r.requestId));

  it("makes a conversation at the next account when the first answers 500, in one usage record of two attempts, and answers a 500 of the conversation's account with OpenAI's 500 in one record", async () => {
    // Prepare
    first.reply({ kind: 'error', status: 500 });
    const seen = await seenNow();

    // Act
    const conversation = await client.conversations.create();
    second.reply({ kind: 'error', status: 500 });
    const err = await failure(client.conversations.items.list(conversation.id));

    // Assess
    expect(second.conversations.has(conversation.id)).toBe(true);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    const records = await recordsSince(seen);
    expect(records.map((r) => [r.status, r.account, r.attempts]).sort()).toEqual([[200, 'second', 2], [500, 'second', 1]]);
  });

  it("leaves one usage record, aborted, for a create whose client leaves while the account's answer hangs after its headers", async () => {
    // Prepare
    first.reply({ kind: 'hang-after-headers' });
    second.reply({ kind: 'hang-after-headers' });
    const seen = await seenNow();

    // Act
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 200);
    const err = await failure(client.conversations.create({}, { signal: aborted.signal }));

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    await eventually(async () => expect((await recordsSince(seen)).map((r) => [r.status, r.outcome, r.errorCode])).toEqual([[499, 'aborted', 'client_closed_request']]));
  });

  it('leaves one usage record, aborted, for a call whose client leaves while the account hangs', async () => {
    // Prepare
    const conversation = await client.conversations.create();
    const holder = first.conversations.has(conversation.id) ? first : second;
    holder.reply({ kind: 'hang' });
    const seen = await seenNow();

    // Act
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 200);
    const err = await failure(client.conversations.retrieve(conversation.id, { signal: aborted.signal }));

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    // The gateway sees the connection close a moment after the client gave up.
    await eventually(async () => expect((await recordsSince(seen)).map((r) => [r.status, r.outcome, r.errorCode, r.account])).toEqual([[499, 'aborted', 'client_closed_request', holder === first ? 'first' : 'second']]));
  });
});
