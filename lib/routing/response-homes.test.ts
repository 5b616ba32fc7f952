import { AccountLoad } from './account-load';
import { planAttempts, type Attempt } from './attempts';
import type { Target } from './catalog';
import { continuationOrder, MAX_STORED_ID_CHARS, mayUse, notHeldHere, ownerlessWatch, ownerOf, ResponseHomes, storedRefOf, type Home, type OwnerlessWatch, type StoredRef, type UpstreamRefusal } from './response-homes';

const account = (id: string) => ({ id, weight: 1 });
const target = (provider: string, type: string, model: string, ids: string[]): Target => {
  const accounts = ids.map(account);
  return { provider: { id: provider, type, baseUrl: 'http://x', accounts }, accounts, model } as unknown as Target;
};
const refs = (plan: readonly Attempt[]) => plan.map((a) => `${a.provider.id}/${a.account.id}/${a.model}`);
const passedThrough = (a: Attempt) => a.provider.type === 'openai' || a.provider.type === 'azure-openai';

describe('storedRefOf', () => {
  it.each<[string, Record<string, unknown>, StoredRef | undefined]>([
    ['a continued response', { input: 'More', previous_response_id: 'resp_1' }, { kind: 'response', id: 'resp_1' }],
    ['a conversation by id', { input: 'More', conversation: 'conv_1' }, { kind: 'conversation', id: 'conv_1' }],
    ['a conversation as an object', { input: 'More', conversation: { id: 'conv_1' } }, { kind: 'conversation', id: 'conv_1' }],
    ['the response before the conversation (OpenAI refuses both at once; its 400 says so)', { previous_response_id: 'resp_1', conversation: 'conv_1' }, { kind: 'response', id: 'resp_1' }],
    ['neither', { input: 'Hi' }, undefined],
    ['a null previous_response_id (the SDKs send it so)', { input: 'Hi', previous_response_id: null }, undefined],
    ['an empty id', { input: 'Hi', previous_response_id: '' }, undefined],
    ['a conversation object without an id', { input: 'Hi', conversation: {} }, undefined],
  ])('reads %s', (_name, body, expected) => {
    expect(storedRefOf(body)).toEqual(expected);
  });
});

describe('ownerOf', () => {
  it.each<[string, { keyId: string; teamId?: string }, string]>([
    ["a key of a team: the team's (every key of it shares them)", { keyId: 'key_1', teamId: 'team_a' }, 'team_a'],
    ['a key without a team: its own', { keyId: 'key_1' }, 'key_1'],
    ['a key without a team, its team read as undefined', { keyId: 'key_1', teamId: undefined as unknown as string }, 'key_1'],
  ])('gives %s', (_name, caller, expected) => {
    expect(ownerOf(caller)).toBe(expected);
  });
});

describe('mayUse', () => {
  const owned: Home = { providerId: 'openai', accountId: 'a', owner: 'team_a' };
  it.each<[string, Home, string, boolean]>([
    ['its owner', owned, 'team_a', true],
    ['another team', owned, 'team_b', false],
    ["a key without a team, though its id were the team's (owners are team_… or key_…, never equal across kinds)", owned, 'key_1', false],
    ['anyone, when nothing proves whose it is (found by asking the pool)', { providerId: 'openai', accountId: 'a' }, 'team_b', true],
  ])('lets %s', (_name, home, caller, expected) => {
    expect(mayUse(home, caller)).toBe(expected);
  });
});

describe('notHeldHere', () => {
  const response: StoredRef = { kind: 'response', id: 'resp_1' };
  const conversation: StoredRef = { kind: 'conversation', id: 'conv_1' };
  it.each<[string, StoredRef, UpstreamRefusal, boolean]>([
    ["OpenAI's 400 for a response it does not hold", response, { status: 400, message: "Previous response with id 'resp_1' not found.", code: 'previous_response_not_found', param: 'previous_response_id' }, true],
    ["Codex's backend's terse 400", response, { status: 400, message: 'Invalid `previous_response_id`.', code: 'invalid_request_error' }, true],
    ['a 400 naming the param and saying not found, without the code', response, { status: 400, message: 'Previous response not found.', param: 'previous_response_id' }, true],
    ['a 400 naming the id and saying not found, without code or param', response, { status: 400, message: "Previous response with id 'resp_1' not found." }, true],
    ['a malformed id: the caller\'s mistake', response, { status: 400, message: "Invalid type for 'previous_response_id': expected a string, but got an object instead.", code: 'invalid_type', param: 'previous_response_id' }, false],
    ['another 400', response, { status: 400, message: "Unsupported parameter: 'temperature' is not supported with this model.", code: 'unsupported_parameter', param: 'temperature' }, false],
    ['a rate limit', response, { status: 429, message: 'Rate limit reached for gpt-4o', code: 'rate_limit_exceeded' }, false],
    ["a 404 for a reasoning item (another stored object, not the one the call builds on)", response, { status: 404, message: "Item with id 'rs_1' not found. Items are not persisted when `store` is set to false.", param: 'input' }, false],
    ["vLLM's 404 for a response it does not hold (`_make_not_found_error`: type invalid_request_error, param response_id, its code the status as a number, which the reader drops)", response, { status: 404, message: "Response with id 'resp_1' not found.", param: 'response_id' }, true],
    ["vLLM's 404 as older versions send it (a top-level message, no param)", response, { status: 404, message: "Response with id 'resp_1' not found." }, true],
    ["vLLM's 404 for another response", response, { status: 404, message: "Response with id 'resp_2' not found.", param: 'response_id' }, false],
    ["vLLM's 400 for an id not beginning with resp: the caller's mistake", response, { status: 400, message: "Invalid 'response_id': 'abc'. Expected an ID that begins with 'resp'.", param: 'response_id' }, false],
    ["OpenAI's 404 for a conversation it does not hold", conversation, { status: 404, message: "Conversation with id 'conv_1' not found." }, true],
    ['a 404 for another conversation', conversation, { status: 404, message: "Conversation with id 'conv_2' not found." }, false],
    ['a not-found for a response, when the call builds on a conversation: not its object', conversation, { status: 400, message: "Previous response with id 'resp_1' not found.", code: 'previous_response_not_found' }, false],
    ['a 404 for a model the account lacks', conversation, { status: 404, message: 'The model `gpt-5` does not exist or you do not have access to it.', code: 'model_not_found' }, false],
  ])('%s', (_name, ref, error, expected) => {
    expect(notHeldHere(ref, error)).toBe(expected);
  });
});

describe('continuationOrder', () => {
  const targets = [target('openai', 'openai', 'gpt-4o', ['a', 'b', 'c']), target('claude', 'anthropic', 'claude-sonnet-4-5', ['main'])];
  const plan = planAttempts(targets, { random: () => 0 });

  it('puts the account that holds the stored response first, then the others that may, and leaves out targets that cannot hold one', () => {
    const order = continuationOrder(plan, { providerId: 'openai', accountId: 'b' }, passedThrough);

    expect(refs(order)).toEqual(['openai/b/gpt-4o', 'openai/a/gpt-4o', 'openai/c/gpt-4o']);
    expect(order[0]!.balancedBy).toBe('stored');
    expect(order.slice(1).every((a) => a.balancedBy === undefined)).toBe(true);
  });

  it('keeps the plan order of the accounts that may hold it when none is remembered (another instance made it)', () => {
    expect(refs(continuationOrder(plan, undefined, passedThrough))).toEqual(['openai/a/gpt-4o', 'openai/b/gpt-4o', 'openai/c/gpt-4o']);
  });

  it('puts the remembered account first even when it rests: no other can answer', () => {
    const resting = planAttempts(targets, { random: () => 0, cooling: (ref) => ref === 'openai/b' });

    expect(refs(resting)).toEqual(['openai/a/gpt-4o', 'openai/c/gpt-4o', 'claude/main/claude-sonnet-4-5', 'openai/b/gpt-4o']);
    expect(refs(continuationOrder(resting, { providerId: 'openai', accountId: 'b' }, passedThrough))[0]).toBe('openai/b/gpt-4o');
  });

  it('puts it ahead of the sticky order, and of a hung account check', () => {
    let now = 0;
    const load = new AccountLoad(() => now);
    for (const id of ['a', 'b', 'c']) load.observe(`openai/${id}`, 'gpt-4o', false, 100);
    load.waitHeaders('openai/c', 'gpt-4o', false);
    now += 10_000;
    const sticky = planAttempts([targets[0]!], { random: () => 0, stickyKey: 'k:conversation', load });

    const order = continuationOrder(sticky, { providerId: 'openai', accountId: 'c' }, passedThrough);

    expect(refs(order)[0]).toBe('openai/c/gpt-4o');
    expect(order).toHaveLength(3);
  });

  it("puts each of the remembered account's targets first, and keeps the others' later targets (an account without the first target's model may serve the next's; `tryTargets` skips one that said it does not hold the object)", () => {
    const twoModels = planAttempts([target('openai', 'openai', 'gpt-4o', ['a', 'b']), target('openai', 'openai', 'gpt-4o-mini', ['a', 'b']), target('azure', 'azure-openai', 'gpt-4o', ['east'])], { random: () => 0 });

    const order = continuationOrder(twoModels, { providerId: 'openai', accountId: 'b' }, passedThrough);

    expect(refs(order)).toEqual(['openai/b/gpt-4o', 'openai/b/gpt-4o-mini', 'openai/a/gpt-4o', 'openai/a/gpt-4o-mini', 'azure/east/gpt-4o']);
    expect(order.map((a) => a.balancedBy === 'stored')).toEqual([true, true, false, false, false]);
  });

  it('looks for a remembered account in a later target too', () => {
    const order = continuationOrder(planAttempts([target('openai', 'openai', 'gpt-4o', ['a']), target('azure', 'azure-openai', 'gpt-4o', ['east'])], { random: () => 0 }), { providerId: 'azure', accountId: 'east' }, passedThrough);

    expect(refs(order)).toEqual(['azure/east/gpt-4o', 'openai/a/gpt-4o']);
  });

  it('ignores a remembered account the model has no target on', () => {
    expect(refs(continuationOrder(plan, { providerId: 'elsewhere', accountId: 'x' }, passedThrough))).toEqual(['openai/a/gpt-4o', 'openai/b/gpt-4o', 'openai/c/gpt-4o']);
  });

  it('keeps the whole plan when no target can hold a stored response (its translation refuses the field with its own 400)', () => {
    const claudeOnly = planAttempts([targets[1]!], { random: () => 0 });

    expect(refs(continuationOrder(claudeOnly, undefined, passedThrough))).toEqual(['claude/main/claude-sonnet-4-5']);
  });
});

describe('ResponseHomes', () => {
  it('remembers which account holds each stored object', () => {
    const homes = new ResponseHomes();

    homes.remember('resp_1', 'openai', 'b');
    homes.remember('conv_1', 'azure', 'east');

    expect([homes.homeOf('resp_1'), homes.homeOf('conv_1'), homes.homeOf('resp_2')]).toEqual([{ providerId: 'openai', accountId: 'b' }, { providerId: 'azure', accountId: 'east' }, undefined]);
  });

  it('moves an object to the account that last served it', () => {
    const homes = new ResponseHomes();
    homes.remember('conv_1', 'openai', 'a');

    homes.remember('conv_1', 'openai', 'c');

    expect(homes.homeOf('conv_1')).toEqual({ providerId: 'openai', accountId: 'c' });
    expect(homes.size).toBe(1);
  });

  it('forgets the least recently used first when full, an object read counting as used', () => {
    const homes = new ResponseHomes(3);
    homes.remember('resp_1', 'openai', 'a');
    homes.remember('resp_2', 'openai', 'b');
    homes.remember('resp_3', 'openai', 'c');
    homes.homeOf('resp_1');

    homes.remember('resp_4', 'openai', 'a');

    expect(['resp_1', 'resp_2', 'resp_3', 'resp_4'].map((id) => homes.homeOf(id)?.accountId)).toEqual(['a', undefined, 'c', 'a']);
    expect(homes.size).toBe(3);
  });

  it('keeps no id longer than MAX_STORED_ID_CHARS: the bound is in entries, and a client-chosen id an upstream accepted unread (an OpenAI-compatible server that ignores previous_response_id) may be megabytes', () => {
    const homes = new ResponseHomes(3);
    const huge = `resp_${'x'.repeat(1024 * 1024)}`;
    const longest = `resp_${'x'.repeat(MAX_STORED_ID_CHARS - 5)}`;

    homes.remember(huge, 'openai', 'a');
    homes.remember(longest, 'openai', 'b');

    expect(homes.homeOf(huge)).toBeUndefined();
    expect(homes.homeOf(longest)).toEqual({ providerId: 'openai', accountId: 'b' });
    expect(homes.size).toBe(1);
  });

  it('remembers whose each object is, when known', () => {
    const homes = new ResponseHomes();

    homes.remember('resp_1', 'openai', 'a', 'team_a');
    homes.remember('resp_2', 'openai', 'a');

    expect([homes.homeOf('resp_1'), homes.homeOf('resp_2')]).toEqual([{ providerId: 'openai', accountId: 'a', owner: 'team_a' }, { providerId: 'openai', accountId: 'a' }]);
  });

  it('shares one home object per account and owner, and keeps no more of them than entries', () => {
    const homes = new ResponseHomes(2);
    homes.remember('resp_1', 'openai', 'a', 'team_a');
    homes.remember('resp_2', 'openai', 'a', 'team_a');
    const shared = homes.homeOf('resp_1') === homes.homeOf('resp_2');

    homes.remember('resp_3', 'openai', 'a', 'team_b');
    homes.remember('resp_4', 'openai', 'a', 'team_c');

    expect(shared).toBe(true);
    expect([homes.homeOf('resp_3')?.owner, homes.homeOf('resp_4')?.owner]).toEqual(['team_b', 'team_c']);
  });

  it.each([
    ['the same account, owner and model', ['openai', 'a', 'team_a', 'gpt-4o'], ['openai', 'a', 'team_a', 'gpt-4o'], true],
    ['another model', ['openai', 'a', 'team_a', 'gpt-4o'], ['openai', 'a', 'team_a', 'gpt-4o-mini'], false],
    ['no model and a model', ['openai', 'a', 'team_a', undefined], ['openai', 'a', 'team_a', 'gpt-4o'], false],
    ['no owner and an owner', ['openai', 'a', undefined, 'gpt-4o'], ['openai', 'a', 'team_a', 'gpt-4o'], false],
    ['another account', ['openai', 'a', 'team_a', 'gpt-4o'], ['openai', 'b', 'team_a', 'gpt-4o'], false],
  ] as const)('keeps the model each object was made with, sharing a home object only for the same account, owner and model: %s', (_, [p1, a1, o1, m1], [p2, a2, o2, m2], shared) => {
    const homes = new ResponseHomes();

    homes.remember('resp_1', p1, a1, o1, m1);
    homes.remember('resp_2', p2, a2, o2, m2);

    expect([homes.homeOf('resp_1')?.model, homes.homeOf('resp_2')?.model]).toEqual([m1, m2]);
    expect([homes.homeOf('resp_1')?.owner, homes.homeOf('resp_2')?.owner]).toEqual([o1, o2]);
    expect(homes.homeOf('resp_1') === homes.homeOf('resp_2')).toBe(shared);
  });

  it('shares one home object per account, so an entry costs only its id', () => {
    const homes = new ResponseHomes();
    homes.remember('resp_1', 'openai', 'a');
    homes.remember('resp_2', 'openai', 'a');

    expect(homes.homeOf('resp_1')).toBe(homes.homeOf('resp_2'));
  });
});

describe('ownerlessWatch', () => {
  const SETTLE = 120_000;

  it.each<[string, OwnerlessWatch | undefined, number, OwnerlessWatch]>([
    ['the first read after the pool was found to hold it begins the watch', undefined, 5_000, 5_000],
    ['a read within the settle time keeps it', 5_000, 60_000, 5_000],
    ['a read a moment short of it keeps it', 5_000, 5_000 + SETTLE - 1, 5_000],
    ['a read the settle time after the first settles it for the settle time from that read', 5_000, 5_000 + SETTLE, { settledUntil: 5_000 + 2 * SETTLE }],
    ['a read long after settles it from that read', 5_000, 5_000 + 100 * SETTLE, { settledUntil: 5_000 + 101 * SETTLE }],
    ['a clock set back keeps it', 5_000, 1_000, 5_000],
    ['a read once the settle ended, still finding none, settles it for another settle time', { settledUntil: SETTLE }, SETTLE + 7_000, { settledUntil: 2 * SETTLE + 7_000 }],
    ['a read sent before the settle ended (answered after another renewed it) does not shorten it', { settledUntil: 3 * SETTLE }, SETTLE, { settledUntil: 3 * SETTLE }],
  ])('%s', (_name, watch, madeAt, expected) => {
    expect(ownerlessWatch(watch, madeAt, SETTLE)).toEqual(expected);
  });
});

describe('ResponseHomes, for a response found with no owner', () => {
  const SETTLE = 120_000;
  /** Found with no owner, then read at 0 and at the settle time, finding no item each time. */
  const settledIn = (homes: ResponseHomes, id: string) => {
    homes.remember(id, 'openai', 'a');
    return [homes.noHomeRead(id, 0, SETTLE), homes.noHomeRead(id, SETTLE, SETTLE)];
  };

  it('settles it on a read the settle time after the first (that read alone says so), and keeps it settled as continuations are served there', () => {
    const homes = new ResponseHomes();

    const reads = [...settledIn(homes, 'resp_1'), homes.noHomeRead('resp_1', 2 * SETTLE, SETTLE)];
    homes.remember('resp_1', 'openai', 'a');

    expect(reads).toEqual([false, true, false]);
    expect([homes.settledOwnerless('resp_1', 2 * SETTLE), homes.settledOwnerless('resp_2', 2 * SETTLE)]).toEqual([true, false]);
  });

  it.each<[string, number, boolean]>([
    ['settled as it settles', SETTLE, true],
    ['settled until a moment before the settle time has passed again', 2 * SETTLE - 1, true],
    ['no longer settled once it has: the next continuation reads once more', 2 * SETTLE, false],
    ['no longer settled long after', 100 * SETTLE, false],
  ])('is %s', (_name, at, settled) => {
    const homes = new ResponseHomes();
    settledIn(homes, 'resp_1');

    const answer = homes.settledOwnerless('resp_1', at);

    expect(answer).toBe(settled);
  });

  it('settles it again, with no word of settling, when the read made once the settle ended still finds none', () => {
    const homes = new ResponseHomes();
    settledIn(homes, 'resp_1');

    const settledAgain = homes.noHomeRead('resp_1', 2 * SETTLE + 5_000, SETTLE);

    expect([settledAgain, homes.settledOwnerless('resp_1', 3 * SETTLE + 4_999), homes.settledOwnerless('resp_1', 3 * SETTLE + 5_000)]).toEqual([false, true, false]);
  });

  it.each<[string, (homes: ResponseHomes) => void]>([
    ['its owner read from the table', (homes) => homes.remember('resp_1', 'openai', 'a', 'team_a')],
    ['its deletion', (homes) => homes.forget('resp_1')],
    ['a fresh start', (homes) => homes.clear()],
  ])('drops the watch on %s', (_name, act) => {
    const homes = new ResponseHomes();
    settledIn(homes, 'resp_1');

    act(homes);
    homes.remember('resp_1', 'openai', 'a');

    expect([homes.settledOwnerless('resp_1', SETTLE), homes.noHomeRead('resp_1', SETTLE, SETTLE)]).toEqual([false, false]);
  });

  it('keeps a settled watch when the home is evicted: found again by asking, the response is settled still (what settled it holds until the settle ends)', () => {
    const homes = new ResponseHomes(2);
    settledIn(homes, 'resp_1');

    homes.remember('resp_2', 'openai', 'a', 'team_a');
    homes.remember('resp_3', 'openai', 'a', 'team_a');
    const evicted = homes.homeOf('resp_1') === undefined;
    homes.remember('resp_1', 'openai', 'b');

    expect([evicted, homes.settledOwnerless('resp_1', SETTLE)]).toEqual([true, true]);
  });

  it('keeps no more watches than entries, the least recently used forgotten first', () => {
    const homes = new ResponseHomes(2);

    for (const id of ['resp_1', 'resp_2', 'resp_3']) settledIn(homes, id);

    expect(['resp_1', 'resp_2', 'resp_3'].map((id) => homes.settledOwnerless(id, SETTLE))).toEqual([false, true, true]);
  });

  it.each([
    ['before it asks', true],
    ['while it waits', false],
  ])("lets a caller whose signal aborts %s go at once with the signal's reason, the shared read going on for the others", async (_when, early) => {
    const homes = new ResponseHomes();
    let answer!: (home: Home) => void;
    let reads = 0;
    const read = () => new Promise<Home | undefined>((resolve) => ((answer = resolve), reads++));
    const leaving = new AbortController();
    if (early) leaving.abort(new Error('client left'));

    const staying = homes.readOnce('resp_1', read);
    const left = homes.readOnce('resp_1', read, leaving.signal).catch((e: unknown) => e);
    if (!early) leaving.abort(new Error('client left'));
    const reason = await left;
    answer({ providerId: 'openai', accountId: 'a' });

    expect(reason).toEqual(new Error('client left'));
    expect(await staying).toEqual({ providerId: 'openai', accountId: 'a' });
    expect(reads).toBe(1);
  });

  it("hands a caller with a signal that never aborts the shared read's answer, and its failure", async () => {
    const homes = new ResponseHomes();
    const signal = new AbortController().signal;

    const found = await homes.readOnce('resp_1', async () => ({ providerId: 'openai', accountId: 'a' }), signal);
    const failed = await homes.readOnce('resp_2', async () => Promise.reject(new Error('table unreachable')), signal).catch((e: unknown) => e);

    expect([found, failed]).toEqual([{ providerId: 'openai', accountId: 'a' }, new Error('table unreachable')]);
  });

  it('shares one read among the callers that ask while it is under way, and reads afresh after', async () => {
    const homes = new ResponseHomes();
    let reads = 0;
    const read = async (): Promise<Home | undefined> => ({ providerId: 'openai', accountId: `a${++reads}` });

    const together = await Promise.all([homes.readOnce('resp_1', read), homes.readOnce('resp_1', read), homes.readOnce('resp_2', read)]);
    const after = await homes.readOnce('resp_1', read);

    expect([...together, after].map((h) => h?.accountId)).toEqual(['a1', 'a1', 'a2', 'a3']);
  });
});
