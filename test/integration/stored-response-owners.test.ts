import { request } from 'node:http';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { DynamoStoredHomes } from '../../lib/store/stored-homes';
import type { TableRef } from '../../lib/store/dynamo';
import { beforeTableCalls, countCalls } from '../dynalite';
import { storedHomeKey } from '../../lib/store/table';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startInstances, type Instances } from './instances';
import { firstAccountFor as firstFor, openingAwayFrom as awayFrom, streamedResponse as streamed } from './stored-pool';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

const ACCOUNTS = ['one', 'two', 'three'] as const;
type AccountId = (typeof ACCOUNTS)[number];
const MODEL = 'gpt-4o-mini';

/**
 * Stored responses across instances and tenants: the account that holds a response and the team
 * (or key) that owns it are written to the shared table with the call's usage record, so another
 * instance sends a continuation straight to that account, and a key of another tenant is told the
 * response does not exist before any upstream is asked. Three fake OpenAI accounts, each its own
 * store, behind two instances on one dynalite.
 */
describe('stored responses belong to their team and are found from the table', () => {
  const fakes = {} as Record<AccountId, FakeOpenAI>;
  let instances: Instances;
  let homes: DynamoStoredHomes;
  const clients = {} as Record<'a' | 'b', Record<'mine' | 'teammate' | 'rival' | 'loner' | 'budgeted', OpenAI>>;
  const keyIds = {} as Record<'mine' | 'teammate' | 'rival' | 'loner' | 'budgeted', string>;
  let teamId: string;

  beforeAll(async () => {
    for (const id of ACCOUNTS) fakes[id] = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [{ id: 'pool', type: 'openai', accounts: ACCOUNTS.map((id) => ({ id, baseUrl: fakes[id].url, apiKey: { env: 'UP' } })) }],
      models: [{ name: MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'pool', model: MODEL }] }],
    });
    instances = await startInstances({ config, count: 2, tableName: 'stored-owners', credentials: { UP: 'sk-up' } });
    homes = new DynamoStoredHomes(instances.gateways[0]!.table);
    const team = await instances.createTeam({ name: 'alpha' });
    const other = await instances.createTeam({ name: 'beta' });
    teamId = team.id;
    const made = {
      mine: await instances.createKey({ name: 'alpha-1', teamId: team.id }),
      teammate: await instances.createKey({ name: 'alpha-2', teamId: team.id }),
      rival: await instances.createKey({ name: 'beta-1', teamId: other.id }),
      loner: await instances.createKey({ name: 'solo' }),
      // Another team's key with a minute and a budget: its refusals must cost no spend write.
      budgeted: await instances.createKey({ name: 'beta-2', teamId: other.id, limits: { requestsPerMinute: 100, usdPerDay: 5 } }),
    };
    for (const [i, side] of (['a', 'b'] as const).entries()) {
      const url = `${instances.gateways[i]!.url}/v1`;
      clients[side] = Object.fromEntries(Object.entries(made).map(([who, { key }]) => [who, new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0, timeout: 10_000 })])) as (typeof clients)['a'];
    }
    for (const [who, { id }] of Object.entries(made)) keyIds[who as keyof typeof keyIds] = id;
  });
  afterAll(async () => {
    await instances?.close();
    for (const id of ACCOUNTS) await fakes[id]?.close();
  });
  // Each case makes responses of its own: neither instance has seen them before it.
  beforeEach(() => {
    for (const id of ACCOUNTS) fakes[id].reset();
  });

  /** How many requests each account has had since the case began. */
  const requests = () => Object.fromEntries(ACCOUNTS.map((id) => [id, fakes[id].requests.length])) as Record<AccountId, number>;
  const holderOf = (id: string) => ACCOUNTS.find((account) => fakes[account].stored.has(id));
  const openingAwayFrom = (next: string) => awayFrom(MODEL, next);
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

  it.each([false, true])('sends a continuation on another instance straight to the account that holds its response, read from the table (stream: %s)', async (stream) => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: openingAwayFrom('More') });
    await instances.drain();
    const holder = holderOf(first.id)!;
    const before = requests();

    // Act
    const second = stream
      ? await streamed(await clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id, stream: true }))
      : await clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id }).then((r) => ({ id: r.id, text: r.output_text }));

    // Assess
    expect(holder).not.toBe(firstFor({ model: MODEL, input: 'More', previous_response_id: first.id }));
    expect(second.text).toBe('Echo: More (turn 2)');
    const after = requests();
    expect(ACCOUNTS.map((id) => after[id] - before[id])).toEqual(ACCOUNTS.map((id) => (id === holder ? 1 : 0)));
    expect(holderOf(second.id)).toBe(holder);
    await instances.drain();
    const records = await usageSince(instances.gateways[1]!.table, keyIds.mine, STARTED_AT);
    expect(records.at(-1)).toMatchObject({ status: 200, outcome: 'ok', account: holder, attempts: 1, balancedBy: 'stored' });
  });

  it('keeps a chain of turns alternating between instances on its account with no probe, each turn written to the table', async () => {
    const first = await clients.a.mine.responses.create({ model: MODEL, input: openingAwayFrom('Next step') });
    const holder = holderOf(first.id)!;
    let previous = first.id;

    for (const [turn, side] of (['b', 'a', 'b', 'a'] as const).entries()) {
      await instances.drain();
      const client = turn === 1 ? clients[side].teammate : clients[side].mine;
      const answer = turn % 2 === 1
        ? await streamed(await client.responses.create({ model: MODEL, input: 'Next step', previous_response_id: previous, stream: true }))
        : await client.responses.create({ model: MODEL, input: 'Next step', previous_response_id: previous }).then((r) => ({ id: r.id, text: r.output_text }));
      expect(answer.text).toBe(`Echo: Next step (turn ${turn + 2})`);
      previous = answer.id;
    }
    await instances.drain();

    expect(requests()).toEqual(Object.fromEntries(ACCOUNTS.map((id) => [id, id === holder ? 5 : 0])));
    expect(await homes.read(previous)).toMatchObject({ ref: { kind: 'response', id: previous }, providerId: 'pool', accountId: holder, owner: teamId, keyId: keyIds.mine, model: MODEL });
  });

  it.each([
    ['the instance that made it (its memory)', 'a'],
    ['another instance (the table)', 'b'],
  ] as const)("answers a key of another team as OpenAI answers an unknown id, on %s, asking no upstream, and books the refusal", async (_, side) => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Secret plans' });
    await instances.drain();
    const before = requests();

    // Act
    const whole = await failure(clients[side].rival.responses.create({ model: MODEL, input: 'Tell me', previous_response_id: first.id }));
    const stream = await failure(clients[side].rival.responses.create({ model: MODEL, input: 'Tell me', previous_response_id: first.id, stream: true }));
    await instances.drain();

    // Assess
    for (const err of [whole, stream]) {
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id', message: `400 Previous response with id '${first.id}' not found.` });
    }
    expect(requests()).toEqual(before);
    const records = (await usageSince(instances.gateways[0]!.table, keyIds.rival, STARTED_AT)).slice(-2);
    expect(records.map((r) => [r.status, r.outcome, r.errorCode, r.inputTokens, r.outputTokens, r.attempts, r.account])).toEqual([
      [400, 'error', 'previous_response_not_found', 0, 0, 0, undefined],
      [400, 'error', 'previous_response_not_found', 0, 0, 0, undefined],
    ]);
  });

  it("refuses another team's continuation before its budget is held: the minute is counted, no spend is written", async () => {
    // Prepare: the budgeted key read into B's key cache, then every write to its counters counted.
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Not for beta' });
    await clients.b.budgeted.models.list();
    await instances.drain();
    const writes: string[] = [];
    const counting = beforeTableCalls(instances.gateways[1]!.table, 'UpdateItemCommand', (pk) => pk && /^(SPEND|RATE)#/.test(pk) && writes.push(pk.split('#')[0]!));

    // Act
    const errors = await Promise.all([
      failure(clients.b.budgeted.responses.create({ model: MODEL, input: 'Peek', previous_response_id: first.id })),
      failure(clients.b.budgeted.responses.create({ model: MODEL, input: 'Peek', previous_response_id: first.id, stream: true })),
    ]);
    await instances.drain();
    const refusedWrites = [...writes];
    await clients.b.budgeted.responses.create({ model: MODEL, input: 'Plain' });
    await instances.drain();
    counting.stop();

    // Assess
    for (const err of errors) expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found' });
    expect(refusedWrites.filter((w) => w === 'SPEND')).toEqual([]);
    expect(refusedWrites.filter((w) => w === 'RATE').length).toBeGreaterThanOrEqual(2);
    // The key's own call still holds and settles its budget: the counting saw spend writes when there were some.
    expect(writes.filter((w) => w === 'SPEND').length).toBeGreaterThanOrEqual(2);
  });

  it("takes a warm continuation's minute and budget in one round trip, as any call's: the owner check it passes costs no table wait", async () => {
    // Prepare: the budgeted key's own response, made and continued on the same instance (its home in memory), every counter write held 150 ms.
    const first = await clients.a.budgeted.responses.create({ model: MODEL, input: 'Ours' });
    await instances.drain();
    const started: Record<string, number> = {};
    const holding = beforeTableCalls(instances.gateways[0]!.table, 'UpdateItemCommand', async (pk) => {
      const kind = pk?.match(/^(SPEND|RATE)#/)?.[1];
      if (!kind) return;
      started[kind] ??= performance.now();
      await new Promise((resolve) => setTimeout(resolve, 150));
    });

    // Act
    const next = await clients.a.budgeted.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });
    await instances.drain();
    holding.stop();

    // Assess: the budget's hold was sent while the minute's write was still held, not after it.
    expect(next.output_text).toContain('More');
    expect(started.SPEND! - started.RATE!).toBeLessThan(100);
  });

  it("keeps a key without a team's responses its own: another key without a team is refused, and the key's own continuation goes on", async () => {
    const first = await clients.a.loner.responses.create({ model: MODEL, input: 'Mine alone' });
    await instances.drain();

    const refused = await failure(clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id }));
    const own = await clients.b.loner.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });

    expect(refused).toMatchObject({ status: 400, code: 'previous_response_not_found' });
    expect(own.output_text).toBe('Echo: More (turn 2)');
    expect(await homes.read(first.id)).toMatchObject({ owner: keyIds.loner });
  });

  it('keeps a conversation to the team whose call first built on it through the gateway, at the account that holds it', async () => {
    // Prepare: made at the account itself, as by an application that holds its API key: no home in the table.
    const holder: AccountId = 'three';
    const conversation = await new OpenAI({ apiKey: 'sk-up', baseURL: fakes[holder].url, maxRetries: 0 }).conversations.create({});
    const opening = await clients.a.mine.responses.create({ model: MODEL, input: 'Hello', conversation: conversation.id });
    await instances.drain();
    const before = requests();

    // Act
    const teammate = await clients.b.teammate.responses.create({ model: MODEL, input: 'More', conversation: { id: conversation.id } });
    const afterTeammate = requests();
    const refused = await Promise.all([
      failure(clients.b.rival.responses.create({ model: MODEL, input: 'Peek', conversation: conversation.id })),
      failure(clients.a.loner.responses.create({ model: MODEL, input: 'Peek', conversation: conversation.id, stream: true })),
    ]);

    // Assess
    expect([opening.output_text, teammate.output_text]).toEqual(['Echo: Hello', 'Echo: More']);
    expect(ACCOUNTS.map((id) => afterTeammate[id] - before[id])).toEqual(ACCOUNTS.map((id) => (id === holder ? 1 : 0)));
    for (const err of refused) {
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err).toMatchObject({ status: 404, message: `404 Conversation with id '${conversation.id}' not found.` });
    }
    expect(requests()).toEqual(afterTeammate);
    expect(fakes[holder].conversations.get(conversation.id)).toEqual({ calls: 2 });
    await instances.drain();
    expect(await homes.read(conversation.id)).toMatchObject({ ref: { kind: 'conversation', id: conversation.id }, providerId: 'pool', accountId: holder, owner: teamId, keyId: keyIds.teammate });
    const records = (await usageSince(instances.gateways[0]!.table, keyIds.rival, STARTED_AT)).slice(-1);
    expect(records.map((r) => [r.status, r.outcome, r.attempts, r.inputTokens])).toEqual([[404, 'error', 0, 0]]);
  });

  it('reads the table once for a continuation the instance does not know, and never for a plain call or one it knows', async () => {
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Count the reads' });
    // Both keys (and their team) read into B's key cache first: only the homes' reads are counted.
    for (const who of ['mine', 'teammate'] as const) await clients.b[who].models.list();
    await instances.drain();
    const calls = countCalls(instances.gateways[1]!.table);

    await clients.b.mine.responses.create({ model: MODEL, input: 'Plain' });
    const plain = calls.get('GetItemCommand') ?? 0;
    const second = await clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });
    const cold = calls.get('GetItemCommand') ?? 0;
    await clients.b.teammate.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });
    await clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: second.id });

    expect([plain, cold, calls.get('GetItemCommand') ?? 0]).toEqual([0, 1, 1]);
  });

  it("keeps to its owner a response another instance first found by asking the pool, before the maker's batch reached the table", async () => {
    // Prepare: instance A's usage batch (with the response's home) held back while B continues the response.
    const first = await withBatchesHeld(instances.gateways[0]!.table, async () => {
      const made = await clients.a.mine.responses.create({ model: MODEL, input: openingAwayFrom('More') });
      const probed = await clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: made.id });
      expect(probed.output_text).toBe('Echo: More (turn 2)');
      return made;
    });
    await instances.drain();
    expect(await homes.read(first.id)).toMatchObject({ owner: teamId });
    const before = requests();

    // Act
    const refused = await failure(clients.b.rival.responses.create({ model: MODEL, input: 'Tell me', previous_response_id: first.id }));

    // Assess
    expect(refused).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
    expect(requests()).toEqual(before);
  });

  it("refuses a call naming both a previous response and a conversation, as OpenAI does, before any upstream is asked: the owner of the one may not reach another team's other", async () => {
    // Prepare: a response of alpha's and a conversation of beta's at the same account.
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Ours' });
    const holder = holderOf(first.id)!;
    const conversation = await new OpenAI({ apiKey: 'sk-up', baseURL: fakes[holder].url, maxRetries: 0 }).conversations.create({});
    await clients.a.rival.responses.create({ model: MODEL, input: 'Theirs', conversation: conversation.id });
    await instances.drain();
    const before = requests();

    // Act
    const errors = await Promise.all([
      failure(clients.a.mine.responses.create({ model: MODEL, input: 'Peek', previous_response_id: first.id, conversation: conversation.id })),
      failure(clients.b.mine.responses.create({ model: MODEL, input: 'Peek', previous_response_id: first.id, conversation: { id: conversation.id }, stream: true })),
    ]);

    // Assess
    for (const err of errors) {
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'mutually_exclusive_parameters', message: "400 Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'." });
    }
    expect(requests()).toEqual(before);
    expect(fakes[holder].conversations.get(conversation.id)).toEqual({ calls: 1 });
  });

  it("answers an id longer than any provider's as an unknown one, reading nothing (DynamoDB refuses a key over 2 KB)", async () => {
    // Prepare
    const long = `resp_${'x'.repeat(3000)}`;
    const calls = countCalls(instances.gateways[1]!.table);
    await clients.b.mine.models.list();
    const readsBefore = calls.get('GetItemCommand') ?? 0;

    // Act
    const errors = await Promise.all([
      failure(clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: long })),
      failure(clients.b.mine.responses.create({ model: MODEL, input: 'More', conversation: `conv_${'x'.repeat(3000)}` })),
      failure(clients.b.mine.responses.retrieve(long)),
      failure(clients.b.mine.responses.delete(long)),
    ]);

    // Assess
    expect(errors.map((err) => [(err as { status?: number }).status, (err as { code?: string }).code ?? null])).toEqual([
      [400, 'previous_response_not_found'],
      [404, null],
      [404, null],
      [404, null],
    ]);
    expect((calls.get('GetItemCommand') ?? 0) - readsBefore).toBe(0);
  });

  it("fails a continuation and a retrieve closed (500, nothing revealed) when the table cannot be read, asking no upstream; the next call goes on as before", async () => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Guarded' });
    await instances.drain();
    await clients.b.mine.models.list();
    const before = requests();

    // Act
    const errors = await withReadsFailing(instances.gateways[1]!.table, () =>
      Promise.all([
        failure(clients.b.rival.responses.create({ model: MODEL, input: 'Tell me', previous_response_id: first.id })),
        failure(clients.b.rival.responses.retrieve(first.id)),
      ]),
    );
    const after = await clients.b.mine.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });

    // Assess
    for (const err of errors) {
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err).toMatchObject({ status: 500, message: '500 The gateway failed to handle this request.' });
    }
    expect(after.output_text).toBe('Echo: More (turn 2)');
    const now = requests();
    expect(ACCOUNTS.map((id) => now[id] - before[id])).toEqual(ACCOUNTS.map((id) => (id === holderOf(first.id) ? 1 : 0)));
  });

  it("finds a stored response by its exact id alone: another case, padding, '..' or a slash in the path is an unknown id, and an encoded one is the id it decodes to, for its owner only", async () => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Exact ids' });
    await instances.drain();
    const holder = holderOf(first.id)!;
    const keys = { mine: clients.b.mine.apiKey, rival: clients.b.rival.apiKey };
    // node:http sends the path as written (fetch would resolve '..' before it left).
    const get = (path: string, who: keyof typeof keys = 'mine', method = 'GET') =>
      new Promise<[number, string]>((resolve, reject) => {
        const req = request(`${instances.gateways[1]!.url}/`, { path, method, headers: { authorization: `Bearer ${keys[who]}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve([res.statusCode!, (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { message: string } }).error?.message ?? 'ok']));
        });
        req.on('error', reject);
        req.end();
      });
    const encoded = first.id.replace('_', '%5F');
    const before = requests();

    // Act
    const answers = [
      await get(`/v1/responses/${first.id.toUpperCase()}`),
      await get(`/v1/responses/%20${first.id}`),
      await get('/v1/responses/..'),
      await get('/v1/responses/%2e%2e'),
      await get(`/v1/responses/${first.id}%2Finput_items`),
      await get(`/v1/responses/${encoded}`, 'rival'),
      await get(`/v1/responses/${encoded}`),
      await get(`/v1/responses/${first.id}`, 'mine', 'PUT'),
    ];

    // Assess
    expect(answers).toEqual([
      [404, `Response with id '${first.id.toUpperCase()}' not found.`],
      [404, `Response with id ' ${first.id}' not found.`],
      [404, 'Unknown request URL: GET /v1/responses/...'],
      [404, 'Unknown request URL: GET /v1/responses/%2e%2e.'],
      [404, `Response with id '${first.id}/input_items' not found.`],
      [404, `Response with id '${first.id}' not found.`],
      [200, 'ok'],
      [405, expect.any(String)],
    ]);
    const now = requests();
    expect(ACCOUNTS.map((id) => now[id] - before[id])).toEqual(ACCOUNTS.map((id) => (id === holder ? 1 : 0)));
    expect(fakes[holder].requests.at(-1)).toMatchObject({ method: 'GET', path: `/v1/responses/${first.id}` });
  });

  it('writes no home for a response made with store: false', async () => {
    const kept = await clients.a.mine.responses.create({ model: MODEL, input: 'Keep this' });
    const unkept = await clients.a.mine.responses.create({ model: MODEL, input: 'Forget this', store: false });
    const streamedUnkept = await streamed(await clients.a.mine.responses.create({ model: MODEL, input: 'Forget this too', store: false, stream: true }));
    await instances.drain();

    expect(await homes.read(kept.id)).toBeDefined();
    expect(await homes.read(unkept.id)).toBeUndefined();
    expect(await homes.read(streamedUnkept.id)).toBeUndefined();
  });

  it('retrieves a stored response, and lists its input items, on another instance from the account that holds it, for any key of its team', async () => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: openingAwayFrom('More') });
    await instances.drain();
    const holder = holderOf(first.id)!;
    const before = requests();

    // Act
    const retrieved = await clients.b.teammate.responses.retrieve(first.id, { include: ['message.output_text.logprobs'] });
    const items = [];
    for await (const item of clients.b.mine.responses.inputItems.list(first.id, { order: 'asc' })) items.push(item);

    // Assess
    expect([retrieved.id, retrieved.output_text]).toEqual([first.id, first.output_text]);
    expect(items).toMatchObject([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: openingAwayFrom('More') }] }]);
    const after = requests();
    expect(ACCOUNTS.map((id) => after[id] - before[id])).toEqual(ACCOUNTS.map((id) => (id === holder ? 2 : 0)));
    const [retrieve, list] = fakes[holder].requests.slice(-2);
    expect([retrieve!.method, retrieve!.path, new URLSearchParams(retrieve!.search).getAll('include[]')]).toEqual(['GET', `/v1/responses/${first.id}`, ['message.output_text.logprobs']]);
    expect([list!.method, list!.path, new URLSearchParams(list!.search).get('order')]).toEqual(['GET', `/v1/responses/${first.id}/input_items`, 'asc']);
    await instances.drain();
    const records = (await usageSince(instances.gateways[1]!.table, keyIds.teammate, STARTED_AT)).slice(-1);
    expect(records.map((r) => [r.surface, r.model, r.status, r.outcome, r.account, r.inputTokens, r.outputTokens])).toEqual([['openai-responses', MODEL, 200, 'ok', holder, 0, 0]]);
  });

  it('records a streamed retrieve (stream=true) as a stream, and a plain one not', async () => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Stream it back' });
    await instances.drain();
    const started = new Date().toISOString();

    // Act
    const streamedBack = await clients.b.mine.responses.retrieve(first.id, { stream: true }).asResponse();
    await streamedBack.text();
    const plain = await clients.b.mine.responses.retrieve(first.id);

    // Assess
    expect([streamedBack.status, plain.id]).toEqual([200, first.id]);
    await instances.drain();
    const records = (await usageSince(instances.gateways[0]!.table, keyIds.mine, STARTED_AT)).filter((r) => String(r.at) >= started);
    expect(records.map((r) => [r.stream, r.status, r.model])).toEqual([
      [true, 200, MODEL],
      [false, 200, MODEL],
    ]);
  });

  it("records the model of a response and a conversation used from the memory of the instance that made them when the table has no item for them (a lost batch)", async () => {
    // Prepare: made on A, their table items then gone, as a batch lost past its retries leaves them.
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Kept in memory' });
    const conversation = await clients.a.mine.conversations.create({}, { query: { model: MODEL } });
    await instances.drain();
    for (const id of [first.id, conversation.id]) await removeHome(instances.gateways[0]!.table, id);
    const started = new Date().toISOString();

    // Act
    const retrieved = await clients.a.teammate.responses.retrieve(first.id);
    const read = await clients.a.teammate.conversations.retrieve(conversation.id);

    // Assess
    expect([retrieved.id, read.id]).toEqual([first.id, conversation.id]);
    await instances.drain();
    const records = (await usageSince(instances.gateways[0]!.table, keyIds.teammate, STARTED_AT)).filter((r) => String(r.at) >= started);
    expect(records.map((r) => [r.model, r.status, r.account])).toEqual([
      [MODEL, 200, holderOf(first.id)],
      [MODEL, 200, expect.any(String)],
    ]);
  });

  it("answers a key of another team, and an id no account is known to hold, with OpenAI's 404 for an unknown response, asking no upstream", async () => {
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Private' });
    await instances.drain();
    const before = requests();
    const started = new Date().toISOString();

    const errors = await Promise.all([
      failure(clients.b.rival.responses.retrieve(first.id)),
      failure(clients.a.rival.responses.delete(first.id)),
      failure(clients.b.loner.responses.inputItems.list(first.id)),
      failure(clients.b.rival.responses.cancel(first.id)),
      failure(clients.b.mine.responses.retrieve('resp_nowhere')),
      failure(clients.b.rival.responses.retrieve(first.id, { stream: true })),
    ]);

    for (const [i, err] of errors.entries()) {
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err).toMatchObject({ status: 404, message: `404 Response with id '${i === 4 ? 'resp_nowhere' : first.id}' not found.` });
    }
    expect(requests()).toEqual(before);
    expect(fakes[holderOf(first.id)!].stored.has(first.id)).toBe(true);
    await instances.drain();
    const records = [...(await usageSince(instances.gateways[0]!.table, keyIds.rival, STARTED_AT)), ...(await usageSince(instances.gateways[0]!.table, keyIds.loner, STARTED_AT))].filter((r) => String(r.at) >= started);
    // The refusals name no model: the response's would tell a stranger something of it.
    expect(records.map((r) => [r.surface, r.model, r.status, r.outcome, r.attempts, r.account])).toEqual(Array(5).fill(['openai-responses', '', 404, 'error', 0, undefined]));
  });

  it("deletes a stored response at its account and forgets its home: the deleting instance answers 404 itself after, another that still remembers it gets the account's 404", async () => {
    // Prepare
    const first = await clients.a.mine.responses.create({ model: MODEL, input: openingAwayFrom('More') });
    await instances.drain();
    const holder = holderOf(first.id)!;

    // Act
    await clients.b.teammate.responses.delete(first.id);
    // The home leaves the table with the delete's usage record (Lambda writes it before the instance may freeze).
    await instances.drain();
    const deleted = fakes[holder].requests.at(-1);
    const afterDelete = fakes[holder].requests.length;
    const onDeleter = await failure(clients.b.mine.responses.retrieve(first.id));
    const asked = fakes[holder].requests.length;
    const onOther = await failure(clients.a.mine.responses.retrieve(first.id));

    // Assess
    expect(deleted).toMatchObject({ method: 'DELETE', path: `/v1/responses/${first.id}` });
    expect(fakes[holder].stored.has(first.id)).toBe(false);
    expect(await homes.read(first.id)).toBeUndefined();
    for (const err of [onDeleter, onOther]) expect(err).toMatchObject({ status: 404, message: `404 Response with id '${first.id}' not found.` });
    expect([asked, fakes[holder].requests.length]).toEqual([afterDelete, afterDelete + 1]);
  });

  it("relays the holding account's own refusal to cancel a response not made in the background", async () => {
    const first = await clients.a.mine.responses.create({ model: MODEL, input: 'Quick one' });
    await instances.drain();

    const err = await failure(clients.b.mine.responses.cancel(first.id));

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, message: '400 Cannot cancel a synchronous response.' });
    expect(fakes[holderOf(first.id)!].requests.at(-1)).toMatchObject({ method: 'POST', path: `/v1/responses/${first.id}/cancel` });
  });

  it('asks the pool in turn for a response the table does not know (made directly at the provider), and lets any key continue it', async () => {
    // Prepare: made at the account itself, as by an application that holds its API key.
    const holder: AccountId = 'two';
    const direct = await new OpenAI({ apiKey: 'sk-up', baseURL: fakes[holder].url, maxRetries: 0 }).responses.create({ model: MODEL, input: 'Made elsewhere' });
    const before = requests();

    // Act
    const second = await clients.b.rival.responses.create({ model: MODEL, input: 'More', previous_response_id: direct.id });

    // Assess
    expect(second.output_text).toBe('Echo: More (turn 2)');
    const after = requests();
    expect(after[holder] - before[holder]).toBe(1);
    expect(ACCOUNTS.every((id) => after[id] - before[id] <= 1)).toBe(true);
    await instances.drain();
    expect(await homes.read(direct.id)).toBeUndefined();
    expect(await homes.read(second.id)).toMatchObject({ accountId: holder, keyId: keyIds.rival });
  });
});


describe("a conversation's home outlives OpenAI's 30 days for responses, as the conversation does", () => {
  let fake: FakeOpenAI;
  let instances: Instances;
  let shift = 0;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-up' });
    const config = parseConfig({
      providers: [{ id: 'solo', type: 'openai', accounts: [{ id: 'one', baseUrl: fake.url, apiKey: { env: 'UP' } }] }],
      models: [{ name: MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'solo', model: MODEL }] }],
    });
    instances = await startInstances({ config, count: 1, tableName: 'stored-lasting', credentials: { UP: 'sk-up' }, now: () => Date.now() + shift });
  });
  afterAll(async () => {
    await instances?.close();
    await fake?.close();
  });

  it("keeps a team's conversation, and a response made in it, from another team after 31 idle days, on an instance that never saw them", async () => {
    // Prepare
    const [alpha, beta] = [await instances.createTeam({ name: 'alpha' }), await instances.createTeam({ name: 'beta' })];
    const [mine, rival] = [await instances.createKey({ name: 'a', teamId: alpha.id }), await instances.createKey({ name: 'b', teamId: beta.id })];
    const conversation = await new OpenAI({ apiKey: 'sk-up', baseURL: fake.url, maxRetries: 0 }).conversations.create({});
    const made = await new OpenAI({ apiKey: mine.key, baseURL: `${instances.gateways[0]!.url}/v1`, maxRetries: 0 }).responses.create({ model: MODEL, input: 'Our plans', conversation: conversation.id });
    await instances.drain();
    shift = 31 * 86_400_000;
    const fresh = await instances.start();
    const client = new OpenAI({ apiKey: rival.key, baseURL: `${fresh.url}/v1`, maxRetries: 0 });
    const before = fake.requests.length;

    // Act
    const errors = await Promise.all([
      client.responses.create({ model: MODEL, input: 'Peek', conversation: conversation.id }).then(() => undefined, (e: unknown) => e),
      client.responses.create({ model: MODEL, input: 'Peek', previous_response_id: made.id }).then(() => undefined, (e: unknown) => e),
      client.responses.retrieve(made.id).then(() => undefined, (e: unknown) => e),
    ]);

    // Assess
    expect(errors.map((e) => (e as { status?: number } | undefined)?.status)).toEqual([404, 400, 404]);
    expect(fake.requests.length).toBe(before);
  });
});
/** Runs `act` with each of the table's `command` calls first going through `meddle` (which may wait, or throw). */
async function meddling<T>(table: TableRef, command: string, meddle: () => Promise<void>, act: () => Promise<T>): Promise<T> {
  const name = `meddle-${Math.random()}`;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command) await meddle();
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return await act();
  } finally {
    table.client.middlewareStack.remove(name);
  }
}

/** Runs `act` with the table's BatchWriteItem calls (usage records, stored homes) held until it ends, as a batch not yet flushed. */
async function withBatchesHeld<T>(table: TableRef, act: () => Promise<T>): Promise<T> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  return meddling(table, 'BatchWriteItemCommand', () => held, act).finally(release);
}

/** Runs `act` with the table's GetItem calls failing, as a throttled or unreachable table would. */
const withReadsFailing = <T>(table: TableRef, act: () => Promise<T>): Promise<T> =>
  meddling(table, 'GetItemCommand', () => Promise.reject(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' })), act);

/** Removes a stored object's home from the table, as a batch lost past its retries never wrote it. */
async function removeHome(table: TableRef, id: string): Promise<void> {
  const key = storedHomeKey(id);
  await table.client.send(new DeleteItemCommand({ TableName: table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));
}
