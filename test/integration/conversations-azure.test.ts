import OpenAI from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { silentLogger } from '../../lib/observe/logger';
import { openAIClient, startHarness, type Harness } from './harness';

const AZURE_KEY = 'azure-key-0123456789';
/** Served first by a resource without conversations, then by one with them. */
const MODEL = 'gpt-4o';
/** Served only by the resource without conversations. */
const OLD_MODEL = 'gpt-4o-old';
/** Served first by an OpenAI account (with conversations), then by the resource without them. */
const MIXED_MODEL = 'gpt-4o-mixed';
const OPENAI_KEY = 'openai-key-0123456789';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Conversations at Azure OpenAI accounts, with the official `openai` client as caller: Azure serves
 * them beside its Responses path (`/openai/v1/conversations`), with the account's `api-key`; a
 * resource that does not serve them answers its 404, which says the account cannot make one: the
 * next account of the model that can is asked, and a model none of whose accounts can gets a 400
 * saying so. An account that answered so is not asked again by this instance's creates for an
 * hour. Two fake Azure resources behind one gateway on dynalite, on a clock the cases move.
 */
describe('conversations at Azure OpenAI accounts', () => {
  let withConversations: FakeAzureOpenAI;
  let withoutConversations: FakeAzureOpenAI;
  let openai: FakeOpenAI;
  let h: Harness;
  let client: OpenAI;
  let keyId: string;
  /**
   * How far the gateway's clock runs ahead of the wall clock: from a minute past today's midnight
   * (UTC), so that the hours the cases move it on stay in one day, the day `h.usage` reads.
   */
  let ahead = new Date().setUTCHours(0, 1, 0, 0) - Date.now();
  /** The gateway's info lines: message and fields. */
  const infos: [string, Record<string, unknown>][] = [];

  beforeAll(async () => {
    withConversations = await startFakeAzureOpenAI({ apiKey: AZURE_KEY });
    withoutConversations = await startFakeAzureOpenAI({ apiKey: AZURE_KEY, conversations: false });
    openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
    h = await startHarness({
      now: () => Date.now() + ahead,
      logger: { ...silentLogger, info: (...args: unknown[]) => void infos.push([String(args[0]), (args[1] ?? {}) as Record<string, unknown>]) },
      credentials: { AZURE_KEY, OPENAI_KEY },
      config: () => ({
        providers: [
          { id: 'az-old', type: 'azure-openai', baseUrl: withoutConversations.url, apiVersion: '2024-10-21', accounts: [{ id: 'west', apiKey: { env: 'AZURE_KEY' } }] },
          { id: 'az', type: 'azure-openai', baseUrl: withConversations.url, accounts: [{ id: 'east', apiKey: { env: 'AZURE_KEY' } }] },
          { id: 'oai', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'main', apiKey: { env: 'OPENAI_KEY' } }] },
        ],
        models: [
          { name: MODEL, targets: [{ provider: 'az-old', model: 'gpt4o' }, { provider: 'az', model: 'gpt4o' }] },
          { name: OLD_MODEL, targets: [{ provider: 'az-old', model: 'gpt4o' }] },
          { name: MIXED_MODEL, targets: [{ provider: 'oai', model: 'gpt-4o' }, { provider: 'az-old', model: 'gpt4o' }] },
        ],
      }),
    });
    const made = await h.createKey({ name: 'azure-conversations', models: [MODEL, OLD_MODEL, MIXED_MODEL] });
    client = openAIClient(h.gw, made.key);
    keyId = made.id;
  });
  afterAll(async () => {
    await h?.close();
    await withConversations?.close();
    await withoutConversations?.close();
    await openai?.close();
  });
  beforeEach(() => {
    withConversations.reset();
    withoutConversations.reset();
    openai.reset();
    h.health.clear();
    // Each case starts after what the one before remembered (the accounts that make no conversations) has lapsed.
    ahead += HOUR + MINUTE;
  });

  const conversationCalls = (fake: FakeAzureOpenAI) => fake.requests.filter((r) => r.path.startsWith('/openai/v1/conversations')).map((r) => `${r.method} ${r.path.replace(/conv_\w+/, '{id}').replace(/msg_\w+/, '{item}')}`);

  it('makes a conversation at the next account of the model when the first answers 404, then retrieves it and its items there', async () => {
    // Act
    const conversation = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Plan the trip.' }], metadata: { topic: 'travel' } }, { headers: { 'x-aigw-model': MODEL } });
    await h.gw.gateway.drain();
    const read = await client.conversations.retrieve(conversation.id);
    const added = await client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'assistant', content: 'Rome, then Naples.' }] });
    const listed = await client.conversations.items.list(conversation.id, { order: 'asc' });
    const item = await client.conversations.items.retrieve(added.data[0]!.id!, { conversation_id: conversation.id });
    const turn = await client.responses.create({ model: MODEL, input: 'And then?', conversation: conversation.id });
    const after = await client.conversations.items.list(conversation.id, { order: 'asc' });

    // Assess
    expect(read).toMatchObject({ id: conversation.id, object: 'conversation', metadata: { topic: 'travel' } });
    expect(listed.data.map((i) => (i.type === 'message' ? [i.role, i.content] : i.type))).toEqual([
      ['user', [{ type: 'input_text', text: 'Plan the trip.' }]],
      ['assistant', [{ type: 'output_text', text: 'Rome, then Naples.' }]],
    ]);
    expect(item).toMatchObject({ id: added.data[0]!.id, role: 'assistant' });
    // A Responses call in the conversation goes to the account that holds it, not to the model's first target.
    expect(turn.status).toBe('completed');
    expect(withConversations.requests.find((r) => r.path === '/openai/v1/responses')?.body).toMatchObject({ model: 'gpt4o', input: 'And then?', conversation: conversation.id });
    expect(after.data.map((i) => i.type === 'message' && i.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(withoutConversations.requests.filter((r) => r.path === '/openai/v1/responses')).toEqual([]);
    expect(withConversations.conversations.ids).toEqual([conversation.id]);
    expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations']);
    expect(conversationCalls(withConversations)).toEqual([
      'POST /openai/v1/conversations',
      'GET /openai/v1/conversations/{id}',
      'POST /openai/v1/conversations/{id}/items',
      'GET /openai/v1/conversations/{id}/items',
      'GET /openai/v1/conversations/{id}/items/{item}',
      'GET /openai/v1/conversations/{id}/items',
    ]);
    // Azure's key header on each call; the resource without conversations is not resting: it serves the model's calls as before.
    for (const r of withConversations.requests) expect(r.headers['api-key']).toBe(AZURE_KEY);
    expect(h.health.isCooling('az-old/west')).toBe(false);
    const made = (await h.usage(keyId)).find((r) => r.status === 200 && r.account === 'east' && r.attempts === 2);
    expect(made).toMatchObject({ model: MODEL, provider: 'az', inputTokens: 0, outputTokens: 0 });
  });

  it("passes on as it came a 404 about the body's items (a reasoning item stored nowhere): the client's mistake, not an account without conversations", async () => {
    // Act
    const err = await client.conversations
      .create({ items: [{ type: 'reasoning', id: 'rs_gone', summary: [] }] }, { headers: { 'x-aigw-model': MODEL } })
      .then(() => undefined, (e: unknown) => e);

    // Assess: the resource without conversations is passed over as before; the other's answer is the client's.
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, param: 'items' });
    expect((err as Error).message).toContain("Item with id 'rs_gone' not found.");
    expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations']);
    expect(conversationCalls(withConversations)).toEqual(['POST /openai/v1/conversations']);
    expect([h.health.isCooling('az-old/west'), h.health.isCooling('az/east')]).toEqual([false, false]);
    const refused = (await h.usage(keyId)).at(-1);
    expect(refused).toMatchObject({ status: 404, provider: 'az', account: 'east', attempts: 2 });
  });

  it("refuses with a 400 saying so a model none of whose accounts makes conversations, each asked once, resting none", async () => {
    // Act
    const err = await client.conversations.create({}, { query: { model: OLD_MODEL } }).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'model_keeps_no_conversations', param: 'model' });
    expect((err as Error).message).toContain(`The model \`${OLD_MODEL}\` is served by no account that keeps conversations`);
    expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations']);
    expect(conversationCalls(withConversations)).toEqual([]);
    expect(h.health.isCooling('az-old/west')).toBe(false);
    const refused = (await h.usage(keyId)).at(-1);
    expect(refused).toMatchObject({ status: 400, errorCode: 'model_keeps_no_conversations', attempts: 1 });
  });

  it.each<[string, number, abstract new (...args: never[]) => InstanceType<typeof OpenAI.APIError>]>([
    ['a rate limit', 429, OpenAI.RateLimitError],
    ['a server error', 500, OpenAI.InternalServerError],
  ])('answers with the failure of an account that keeps conversations (%s), not the 400, when the only other one answered 404', async (_, status, type) => {
    // Prepare: the OpenAI account fails; the resource tried after it makes none.
    openai.reply({ kind: 'error', status });

    // Act
    const err = await client.conversations.create({}, { headers: { 'x-aigw-model': MIXED_MODEL } }).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(type);
    expect(err).not.toMatchObject({ code: 'model_keeps_no_conversations' });
    expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations']);
    expect(openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/conversations']);
    const refused = (await h.usage(keyId)).at(-1);
    expect(refused).toMatchObject({ status, attempts: 2 });
    expect(refused?.errorCode).not.toBe('model_keeps_no_conversations');
  });

  it('asks an account that answered 404 to a create no more for an hour: the next creates go straight to the account that keeps conversations, and its model calls are not affected', async () => {
    // Prepare: the resource without conversations answers the first create's 404.
    const first = await client.conversations.create({}, { headers: { 'x-aigw-model': MODEL } });

    // Act
    ahead += HOUR - 2 * MINUTE;
    const second = await client.conversations.create({}, { headers: { 'x-aigw-model': MODEL } });
    const third = await client.conversations.create({}, { headers: { 'x-aigw-model': MODEL } });
    const chat = await client.chat.completions.create({ model: OLD_MODEL, messages: [{ role: 'user', content: 'hi' }] });

    // Assess
    expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations']);
    expect(conversationCalls(withConversations)).toEqual(['POST /openai/v1/conversations', 'POST /openai/v1/conversations', 'POST /openai/v1/conversations']);
    expect(withConversations.conversations.ids).toEqual([first.id, second.id, third.id]);
    const made = (await h.usage(keyId)).filter((r) => r.status === 200 && r.model === MODEL).slice(-3);
    expect(made.map((r) => [r.account, r.attempts])).toEqual([['east', 2], ['east', 1], ['east', 1]]);
    expect(chat.choices[0]!.message.content).toEqual(expect.any(String));
    expect(withoutConversations.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1);
  });

  it('refuses at once, asking no account, a model each of whose accounts answered 404 within the hour; asks again after it, and makes the conversation once the resource serves them', async () => {
    // Prepare: the model's only account answers the first create's 404.
    const first = await client.conversations.create({}, { query: { model: OLD_MODEL } }).then(() => undefined, (e: unknown) => e);
    const asked = conversationCalls(withoutConversations).length;

    try {
      // Act
      ahead += HOUR - MINUTE;
      const within = await client.conversations.create({}, { query: { model: OLD_MODEL } }).then(() => undefined, (e: unknown) => e);
      const callsWithin = conversationCalls(withoutConversations).length;
      const refusedWithin = (await h.usage(keyId)).at(-1);
      withoutConversations.serveConversations(true);
      ahead += 2 * MINUTE;
      const after = await client.conversations.create({}, { query: { model: OLD_MODEL } });

      // Assess
      expect(first).toMatchObject({ status: 400, code: 'model_keeps_no_conversations' });
      expect(asked).toBe(1);
      expect(within).toBeInstanceOf(OpenAI.BadRequestError);
      expect(within).toMatchObject({ status: 400, code: 'model_keeps_no_conversations', param: 'model' });
      expect((within as Error).message).toContain('in the last hour');
      expect(callsWithin).toBe(1);
      expect(refusedWithin).toMatchObject({ status: 400, errorCode: 'model_keeps_no_conversations', attempts: 0 });
      expect(after).toMatchObject({ object: 'conversation' });
      expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations', 'POST /openai/v1/conversations']);
      expect(withoutConversations.conversations.ids).toEqual([after.id]);
    } finally {
      withoutConversations.serveConversations(false);
    }
  });

  it.each<[string, Parameters<OpenAI['conversations']['create']>[0], Record<string, string>, unknown]>([
    ["items it references (a file no account holds, in words no reader knows)", { items: [{ type: 'message', role: 'user', content: [{ type: 'input_file', file_id: 'file-gone' }] }] }, {}, { error: { message: "The file 'file-gone' was not found.", type: 'invalid_request_error', param: null, code: null } }],
    ["a query of its own (an api-version the account does not serve)", {}, { 'api-version': '2020-01-01' }, { error: { code: '404', message: 'Resource not found' } }],
  ])("does not remember an account whose 404 answered a create that gave %s: another client's create is made there", async (_case, body, query, notFound) => {
    // Prepare: the OpenAI account (which keeps conversations) answers this create's 404, as it could for what the client gave; the resource after it makes none.
    openai.reply((req) => (openai.requests.length === 1 ? { kind: 'error', status: 404, body: notFound } : defaultReply(req)));
    await client.conversations.create(body, { headers: { 'x-aigw-model': MIXED_MODEL }, query }).catch(() => undefined);

    // Act: another create of the model, with nothing of its own that could be missing.
    const made = await client.conversations.create({}, { headers: { 'x-aigw-model': MIXED_MODEL } });

    // Assess: the OpenAI account was asked again and made it; the resource's own 404 (to a bare create) was not needed.
    expect(made).toMatchObject({ object: 'conversation' });
    expect(openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/conversations', 'POST /v1/conversations']);
    expect(openai.conversations.has(made.id)).toBe(true);
  });

  it('logs an account that makes no conversations once, when two creates racing both heard its 404', async () => {
    // Prepare: the OpenAI account answers 404 to both creates, once both have reached it.
    let arrived!: () => void;
    const both = new Promise<void>((resolve) => (arrived = resolve));
    openai.reply(async () => {
      if (openai.requests.length === 2) arrived();
      await both;
      return { kind: 'error', status: 404, body: { error: { message: 'Not Found', type: 'invalid_request_error', param: null, code: null } } };
    });
    infos.length = 0;

    // Act
    const answers = await Promise.all([1, 2].map(() => client.conversations.create({}, { headers: { 'x-aigw-model': MIXED_MODEL } }).then(() => undefined, (e: unknown) => e)));

    // Assess: both were refused after asking; the OpenAI account was asked by both, and logged once.
    expect(answers).toEqual([expect.objectContaining({ status: 400, code: 'model_keeps_no_conversations' }), expect.objectContaining({ status: 400, code: 'model_keeps_no_conversations' })]);
    expect(openai.requests).toHaveLength(2);
    const lines = infos.filter(([message, fields]) => message.startsWith('account makes no conversations') && fields.provider === 'oai');
    expect(lines).toEqual([[expect.any(String), expect.objectContaining({ provider: 'oai', account: 'main' })]]);
  });

  it("answers with the failure of the account it asked, not the 400, when the model's other account answered 404 within the hour", async () => {
    // Prepare: the resource without conversations answered a create of another model.
    await client.conversations.create({}, { query: { model: OLD_MODEL } }).catch(() => undefined);
    openai.reply({ kind: 'error', status: 429 });

    // Act
    const err = await client.conversations.create({}, { headers: { 'x-aigw-model': MIXED_MODEL } }).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(conversationCalls(withoutConversations)).toEqual(['POST /openai/v1/conversations']);
    expect(openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/conversations']);
    expect((await h.usage(keyId)).at(-1)).toMatchObject({ status: 429, attempts: 1 });
  });
});
