import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountLoad } from '../../lib/routing/account-load';
import { AccountHealth } from '../../lib/routing/health';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { firstAccountFor as firstFor, openingAwayFrom as awayFrom, streamedResponse as streamedText } from './stored-pool';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

const ACCOUNTS = ['one', 'two', 'three'] as const;
type AccountId = (typeof ACCOUNTS)[number];
const MODEL = 'gpt-4o-mini';
const TIERED = 'tiered';

/**
 * The Responses API's stored responses across a pool of three accounts (each its own fake
 * OpenAI, which keeps the responses it made as OpenAI keeps them per organisation), behind two
 * gateway instances on one table, as two Lambda instances are: a continuation
 * (`previous_response_id`) goes to the account that made its response, found from this instance's
 * memory, the table (`stored-response-owners.test.ts`) or, for a response neither knows, by asking
 * the pool's accounts in turn. A
 * fallback target on Anthropic is never asked: it cannot hold an OpenAI response.
 */
describe('continuing stored responses across a pool of accounts', () => {
  const fakes = {} as Record<AccountId, FakeOpenAI>;
  let anthropicUp: FakeAnthropic;
  let dynamo: EmbeddedDynamo;
  const instances: { gw: LocalGateway; health: AccountHealth; load: AccountLoad; client: OpenAI }[] = [];
  let keyId: string;

  beforeAll(async () => {
    for (const id of ACCOUNTS) fakes[id] = await startFakeOpenAI({ apiKey: 'sk-up' });
    anthropicUp = await startFakeAnthropic({ apiKey: 'sk-ant' });
    dynamo = await startDynalite();
    const config = parseConfig({
      providers: [
        { id: 'pool', type: 'openai', accounts: ACCOUNTS.map((id) => ({ id, baseUrl: fakes[id].url, apiKey: { env: 'UP' } })) },
        { id: 'ant', type: 'anthropic', baseUrl: anthropicUp.url, accounts: [{ id: 'main', apiKey: { env: 'ANT' } }] },
      ],
      models: [
        { name: MODEL, price: { input: 1, output: 2 }, targets: [{ provider: 'pool', model: MODEL }, { provider: 'ant', model: 'claude-sonnet-4-5' }] },
        // gpt-5 first, on the same pool as its fallback: an account without gpt-5 answers 404 model_not_found, and its fallback target may serve.
        { name: TIERED, price: { input: 1, output: 2 }, targets: [{ provider: 'pool', model: 'gpt-5' }, { provider: 'pool', model: MODEL }] },
      ],
    });
    for (let i = 0; i < 2; i++) {
      const health = new AccountHealth();
      const load = new AccountLoad();
      const gw = await startLocalGateway({ config, adminToken: 'admin', store: { endpoint: dynamo.endpoint }, tableName: 'stored-responses', health, load, credentials: new LocalCredentials({ UP: 'sk-up', ANT: 'sk-ant' }) });
      instances.push({ gw, health, load, client: undefined as unknown as OpenAI });
    }
    const res = await fetch(`${instances[0]!.gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: JSON.stringify({ name: 'stored' }) });
    const created = (await res.json()) as { key: string; id: string };
    keyId = created.id;
    for (const instance of instances) instance.client = new OpenAI({ apiKey: created.key, baseURL: `${instance.gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    for (const { gw } of instances) await gw.close();
    await dynamo?.close();
    for (const id of ACCOUNTS) await fakes[id]?.close();
    await anthropicUp?.close();
  });
  beforeEach(() => {
    for (const id of ACCOUNTS) fakes[id].reset();
    anthropicUp.reset();
    for (const { health, load } of instances) {
      health.clear();
      load.homes.clear();
    }
  });

  const a = () => instances[0]!;
  const b = () => instances[1]!;
  /** How many requests each account has had since the case began. */
  const requests = () => Object.fromEntries(ACCOUNTS.map((id) => [id, fakes[id].requests.length])) as Record<AccountId, number>;
  /** The account that stored the response. */
  const holderOf = (id: string) => ACCOUNTS.find((account) => fakes[account].stored.has(id));
  const openingAwayFrom = (next: string) => awayFrom(MODEL, next);
  const resting = () => instances.flatMap(({ health }) => ACCOUNTS.filter((id) => health.isCooling(`pool/${id}`)));

  it('sends a continuation straight to the account that made its response, on the instance that saw it made (whole and streamed)', async () => {
    // Prepare
    const opening = openingAwayFrom('More');
    const first = await a().client.responses.create({ model: MODEL, input: opening });
    const holder = holderOf(first.id)!;
    const before = requests();

    // Act
    const second = await a().client.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });
    const third = await streamedText(await a().client.responses.create({ model: MODEL, input: 'More', previous_response_id: second.id, stream: true }));

    // Assess
    expect(holder).not.toBe(firstFor({ model: MODEL, input: 'More', previous_response_id: first.id }));
    expect([second.output_text, third.text]).toEqual(['Echo: More (turn 2)', 'Echo: More (turn 3)']);
    const after = requests();
    expect(ACCOUNTS.map((id) => after[id] - before[id])).toEqual(ACCOUNTS.map((id) => (id === holder ? 2 : 0)));
    expect([holderOf(second.id), holderOf(third.id)]).toEqual([holder, holder]);
  });

  it('remembers a streamed response as soon as its stream names it', async () => {
    const opening = openingAwayFrom('Go on');
    const first = await streamedText(await a().client.responses.create({ model: MODEL, input: opening, stream: true }));
    const holder = holderOf(first.id)!;
    const before = requests();

    const second = await a().client.responses.create({ model: MODEL, input: 'Go on', previous_response_id: first.id });

    expect(second.output_text).toBe('Echo: Go on (turn 2)');
    const after = requests();
    expect(ACCOUNTS.filter((id) => after[id] !== before[id])).toEqual([holder]);
  });

  it('finds the account of a response the table does not know by asking the pool, without resting any, and books one usage record for the call', async () => {
    // Prepare: made at the account itself (as by an application with its API key), so no instance nor the table knows it.
    const holder = ACCOUNTS.find((id) => id !== firstFor({ model: MODEL, input: 'More', previous_response_id: 'resp_x' }))!;
    const first = await new OpenAI({ apiKey: 'sk-up', baseURL: fakes[holder].url, maxRetries: 0 }).responses.create({ model: MODEL, input: 'Task 0: plan the migration.' });
    const before = requests();

    // Act
    const second = await b().client.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });
    const third = await b().client.responses.create({ model: MODEL, input: 'More', previous_response_id: second.id });
    await Promise.all(instances.map(({ gw }) => gw.gateway.drain()));

    // Assess
    expect([second.output_text, third.output_text]).toEqual(['Echo: More (turn 2)', 'Echo: More (turn 3)']);
    const after = requests();
    const asked = ACCOUNTS.filter((id) => id !== holder && after[id] > before[id]);
    // At least the account the continuation's sticky key picks was asked first, once, and answered 400.
    expect(asked).toContain(firstFor({ model: MODEL, input: 'More', previous_response_id: first.id }));
    expect(asked.every((id) => after[id] - before[id] === 1 && (fakes[id].requests.at(-1)!.body as { previous_response_id?: string }).previous_response_id === first.id)).toBe(true);
    // The second continuation went straight there: B now knows the account.
    expect(after[holder] - before[holder]).toBe(2);
    expect(resting()).toEqual([]);
    expect(anthropicUp.requests).toHaveLength(0);
    const records = (await usageSince(instances[1]!.gw.table, keyId, STARTED_AT)).slice(-2);
    expect(records.map((r) => [r.status, r.outcome, r.account, r.attempts, r.balancedBy])).toEqual([
      [200, 'ok', holder, 1 + asked.length, undefined],
      [200, 'ok', holder, 1, 'stored'],
    ]);
    expect(records[0]!.costMicros).toBeGreaterThan(0);
  });

  it.each([false, true])("gives the client OpenAI's own 400 when no account holds the response (stream: %s), asking each account once and no other provider", async (stream) => {
    const err = await a()
      .client.responses.create({ model: MODEL, input: 'More', previous_response_id: 'resp_unknown', stream })
      .then(() => undefined, (e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id', message: "400 Previous response with id 'resp_unknown' not found." });
    expect(requests()).toEqual({ one: 1, two: 1, three: 1 });
    expect(anthropicUp.requests).toHaveLength(0);
    expect(resting()).toEqual([]);
  });

  it('keeps a chain of four turns on its account while the turns alternate between instances', async () => {
    const opening = openingAwayFrom('Next step');
    const first = await a().client.responses.create({ model: MODEL, input: opening });
    const holder = holderOf(first.id)!;
    const texts: string[] = [];
    let previous = first.id;

    for (const [turn, instance] of [b, a, b].entries()) {
      const stream = turn % 2 === 1;
      const answer = stream
        ? await streamedText(await instance().client.responses.create({ model: MODEL, input: 'Next step', previous_response_id: previous, stream: true }))
        : await instance().client.responses.create({ model: MODEL, input: 'Next step', previous_response_id: previous }).then((r) => ({ id: r.id, text: r.output_text }));
      texts.push(answer.text);
      expect(holderOf(answer.id)).toBe(holder);
      previous = answer.id;
    }

    expect(texts).toEqual(['Echo: Next step (turn 2)', 'Echo: Next step (turn 3)', 'Echo: Next step (turn 4)']);
    expect(fakes[holder].requests).toHaveLength(4);
    expect(resting()).toEqual([]);
  });

  it("answers with the account's own error when the account that holds the response fails, without asking the others (none can answer)", async () => {
    const opening = openingAwayFrom('More');
    const first = await a().client.responses.create({ model: MODEL, input: opening });
    const holder = holderOf(first.id)!;
    fakes[holder].reply({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    const before = requests();

    const err = await a()
      .client.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id })
      .then(() => undefined, (e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('7');
    const after = requests();
    expect(ACCOUNTS.filter((id) => after[id] !== before[id])).toEqual([holder]);
    expect(anthropicUp.requests).toHaveLength(0);
  });

  it.each([
    ['the instance that saw it made', 0],
    ['another instance', 1],
  ] as const)("continues on the holding account's fallback target when that account lacks the first target's model (%s), asking each other account once", async (_, instance) => {
    const first = await a().client.responses.create({ model: MODEL, input: openingAwayFrom('More') });
    const holder = holderOf(first.id)!;
    // This account's organisation has no gpt-5: its 404 model_not_found is a failed precondition, its gpt-4o-mini target may serve.
    fakes[holder].reply((req) => ((req.body as { model?: string }).model === 'gpt-5' ? { kind: 'error', status: 404 } : defaultReply(req)));
    const before = requests();

    const second = await instances[instance]!.client.responses.create({ model: TIERED, input: 'More', previous_response_id: first.id });

    expect(second.output_text).toBe('Echo: More (turn 2)');
    expect(holderOf(second.id)).toBe(holder);
    const after = requests();
    expect(after[holder] - before[holder]).toBe(2);
    expect(ACCOUNTS.every((id) => after[id] - before[id] <= (id === holder ? 2 : 1))).toBe(true);
    expect(resting()).toEqual([]);
  });

  it('asks each account once when none holds the response, though two targets list the pool', async () => {
    const err = await a()
      .client.responses.create({ model: TIERED, input: 'More', previous_response_id: 'resp_unknown' })
      .then(() => undefined, (e: unknown) => e);

    expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found' });
    expect(requests()).toEqual({ one: 1, two: 1, three: 1 });
  });

  it('goes to a resting account that holds the response first: it is the only one that can answer', async () => {
    const opening = openingAwayFrom('More');
    const first = await a().client.responses.create({ model: MODEL, input: opening });
    const holder = holderOf(first.id)!;
    a().health.failed(`pool/${holder}`, 'rate_limited', 30_000);
    const before = requests();

    const second = await a().client.responses.create({ model: MODEL, input: 'More', previous_response_id: first.id });

    expect(second.output_text).toBe('Echo: More (turn 2)');
    const after = requests();
    expect(ACCOUNTS.filter((id) => after[id] !== before[id])).toEqual([holder]);
  });
});
