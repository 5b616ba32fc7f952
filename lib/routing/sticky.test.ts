import { createHash } from 'node:crypto';
import { loadFixture, type FixtureBody, type FixtureName } from '../../test/integration/claude-code/fixtures';
import { fuzzer } from '../../test/fuzz';
import { HASHED_CHARS_PER_PART, rendezvousOrder, stickyKeyOf, type StickySurface } from './sticky';

type Body = Record<string, unknown>;

const KEY_SHAPE = /^[skumh]:[A-Za-z0-9_-]{22}$/;
const chat = (body: Body, headers: Record<string, string | undefined> = {}) => stickyKeyOf('openai', headers, body);
const messages = (body: Body, headers: Record<string, string | undefined> = {}) => stickyKeyOf('anthropic', headers, body);

/** A capture's body as a client without `metadata.user_id` would send it, so the key comes from the hash. */
function withoutMetadata(name: FixtureName): Body & Pick<FixtureBody, 'system' | 'messages'> {
  const { metadata: _metadata, ...body } = loadFixture(name).request.body;
  return body;
}

const CHAT_CONVERSATION: Body = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is a monad?' },
  ],
};
const ANTHROPIC_CONVERSATION: Body = {
  model: 'claude-sonnet-4-20250514',
  max_tokens: 100,
  system: 'You are terse.',
  messages: [{ role: 'user', content: 'What is a monad?' }],
};

const RESPONSES_CONVERSATION: Body = {
  model: 'gpt-4.1',
  instructions: 'You are terse.',
  input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is a monad?' }] }],
};

describe('stickyKeyOf', () => {
  describe('sources, first match wins', () => {
    it.each<[string, StickySurface, Body, Record<string, string | undefined>, string]>([
      ['the session header wins over every body field (OpenAI)', 'openai', { ...CHAT_CONVERSATION, prompt_cache_key: 'pck', user: 'u1' }, { 'x-session-id': 'sess' }, 's'],
      ['the session header wins over every body field (Anthropic)', 'anthropic', { ...ANTHROPIC_CONVERSATION, metadata: { user_id: 'u1' } }, { 'x-session-id': 'sess' }, 's'],
      ['prompt_cache_key wins over user', 'openai', { ...CHAT_CONVERSATION, prompt_cache_key: 'pck', user: 'u1' }, {}, 'k'],
      ['user wins over the conversation', 'openai', { ...CHAT_CONVERSATION, user: 'u1' }, {}, 'u'],
      ['metadata.user_id wins over the conversation', 'anthropic', { ...ANTHROPIC_CONVERSATION, metadata: { user_id: 'u1' } }, {}, 'm'],
      ['an OpenAI conversation alone is hashed', 'openai', CHAT_CONVERSATION, {}, 'h'],
      ['an Anthropic conversation alone is hashed', 'anthropic', ANTHROPIC_CONVERSATION, {}, 'h'],
      ['an empty session header is no session', 'openai', { ...CHAT_CONVERSATION, user: 'u1' }, { 'x-session-id': '' }, 'u'],
      ['empty prompt_cache_key and user are skipped', 'openai', { ...CHAT_CONVERSATION, prompt_cache_key: '', user: '' }, {}, 'h'],
      ['a non-string user is skipped', 'openai', { ...CHAT_CONVERSATION, user: 42 }, {}, 'h'],
      ['an empty metadata.user_id is skipped', 'anthropic', { ...ANTHROPIC_CONVERSATION, metadata: { user_id: '' } }, {}, 'h'],
      ['Anthropic metadata means nothing on the OpenAI surface', 'openai', { ...CHAT_CONVERSATION, metadata: { user_id: 'u1' } }, {}, 'h'],
      ['OpenAI fields mean nothing on the Anthropic surface', 'anthropic', { ...ANTHROPIC_CONVERSATION, user: 'u1', prompt_cache_key: 'pck' }, {}, 'h'],
      ['Responses: prompt_cache_key wins over user', 'openai-responses', { ...RESPONSES_CONVERSATION, prompt_cache_key: 'pck', user: 'u1' }, {}, 'k'],
      ['Responses: user wins over safety_identifier', 'openai-responses', { ...RESPONSES_CONVERSATION, user: 'u1', safety_identifier: 's1' }, {}, 'u'],
      ['Responses: safety_identifier (which replaces user) wins over the conversation', 'openai-responses', { ...RESPONSES_CONVERSATION, safety_identifier: 's1' }, {}, 'u'],
      ['a Responses conversation alone is hashed', 'openai-responses', RESPONSES_CONVERSATION, {}, 'h'],
    ])('%s', (_name, surface, body, headers, source) => {
      // Act
      const key = stickyKeyOf(surface, headers, body);

      // Assess
      expect(key).toMatch(KEY_SHAPE);
      expect(key!.slice(0, 2)).toBe(`${source}:`);
    });

    it('keeps equal values from different sources apart', () => {
      // Act
      const keys = [chat({ messages: [] }, { 'x-session-id': 'same' }), chat({ prompt_cache_key: 'same' }), chat({ user: 'same' }), messages({ metadata: { user_id: 'same' } })];

      // Assess
      expect(new Set(keys).size).toBe(4);
    });

    it('gives equal values the same key and different values different keys', () => {
      expect(chat({ user: 'alice' })).toBe(chat({ user: 'alice', messages: [{ role: 'user', content: 'other' }] }));
      expect(chat({ user: 'alice' })).not.toBe(chat({ user: 'bob' }));
    });

    it('carries neither the value nor the prompt in the key', () => {
      // Act
      const keys = [chat({ user: 'alice@example.com' }), chat(CHAT_CONVERSATION)];

      // Assess
      for (const key of keys) expect(key).not.toMatch(/alice|monad/);
    });
  });

  describe('Responses API conversations', () => {
    const responses = (body: Body) => stickyKeyOf('openai-responses', {}, body);

    it('keeps one key as the conversation grows by output items, tool calls and their outputs', () => {
      // Prepare
      const later = {
        ...RESPONSES_CONVERSATION,
        input: [
          ...(RESPONSES_CONVERSATION.input as unknown[]),
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'x' },
        ],
      };

      // Act, assess
      expect(responses(later)).toBe(responses(RESPONSES_CONVERSATION));
    });

    it('hashes a string input as the first user message, and tells conversations apart', () => {
      const asString = responses({ instructions: 'You are terse.', input: 'What is a monad?' });

      expect(asString).toBe(responses(RESPONSES_CONVERSATION));
      expect(responses({ instructions: 'You are terse.', input: 'What is a functor?' })).not.toBe(asString);
    });

    it('counts developer messages before the first user message as the system prompt', () => {
      const withDeveloper = { model: 'm', input: [{ role: 'developer', content: 'You are terse.' }, { role: 'user', content: 'What is a monad?' }] };

      expect(responses(withDeveloper)).toMatch(KEY_SHAPE);
      expect(responses(withDeveloper)).not.toBe(responses({ model: 'm', input: [{ role: 'user', content: 'What is a monad?' }] }));
    });
  });

  describe('Claude Code captures', () => {
    it('puts the first turn, the tool loop and the title request of one session on one key by metadata.user_id', () => {
      // Prepare
      const firstTurn = loadFixture('cc-1.0.6-first-turn').request;
      const toolLoop = loadFixture('cc-1.0.6-tool-loop').request;
      const title = loadFixture('cc-1.0.6-haiku-title').request;

      // Act
      const keys = [firstTurn, toolLoop, title].map((r) => messages(r.body, r.headers));

      // Assess: the captures share one user_id (a same-length placeholder for the real one).
      expect(toolLoop.body.metadata.user_id).toBe(firstTurn.body.metadata.user_id);
      expect(keys[0]).toMatch(/^m:/);
      expect(new Set(keys).size).toBe(1);
    });

    it('without metadata, hashes the first turn and the tool loop of one conversation to one key', () => {
      // Act
      const firstTurn = messages(withoutMetadata('cc-1.0.6-first-turn'));
      const toolLoop = messages(withoutMetadata('cc-1.0.6-tool-loop'));

      // Assess
      expect(firstTurn).toMatch(/^h:/);
      expect(toolLoop).toBe(firstTurn);
    });

    it('without metadata, gives other conversations other keys', () => {
      // Act
      const keys = (['cc-1.0.6-first-turn', 'cc-1.0.6-haiku-title', 'cc-0.2.107-tool-loop'] as const).map((n) => messages(withoutMetadata(n)));

      // Assess
      expect(keys.every((k) => k?.startsWith('h:'))).toBe(true);
      expect(new Set(keys).size).toBe(3);
    });

    it('tells apart two conversations that share the system prompt and CLAUDE.md context but ask different things', () => {
      // Prepare: 14 KB of system prompt and 4.7 KB of CLAUDE.md context come before the prompt itself.
      const other = withoutMetadata('cc-1.0.6-tool-loop');
      const first = other.messages[0]!.content as { type: string; text: string }[];
      first[1]!.text = 'write a haiku about graz instead';

      // Act
      const key = messages(other);

      // Assess
      expect(key).not.toBe(messages(withoutMetadata('cc-1.0.6-tool-loop')));
    });

    it('keeps the key as later turns arrive, with thinking blocks and moved cache_control', () => {
      // Prepare: the first turn, then what newer Claude Code versions send on later turns.
      const body = withoutMetadata('cc-1.0.6-first-turn');
      const before = messages(body);
      for (const block of body.messages[0]!.content as Record<string, unknown>[]) delete block.cache_control;
      for (const block of body.system) delete block.cache_control;
      body.messages.push(
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Plan the folder.', signature: 'c2ln' },
            { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'mkdir weather' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '', cache_control: { type: 'ephemeral' } }] },
      );

      // Act
      const after = messages({ ...body, thinking: { type: 'enabled', budget_tokens: 1024 } });

      // Assess
      expect(after).toBe(before);
    });
  });

  describe('the hash of the conversation start', () => {
    it.each<[string, Body, Body]>([
      [
        'later turns appended',
        CHAT_CONVERSATION,
        { ...CHAT_CONVERSATION, messages: [...(CHAT_CONVERSATION.messages as Body[]), { role: 'assistant', content: 'A monoid.' }, { role: 'user', content: 'Go on.' }] },
      ],
      [
        'a system message later in the conversation',
        CHAT_CONVERSATION,
        { ...CHAT_CONVERSATION, messages: [...(CHAT_CONVERSATION.messages as Body[]), { role: 'system', content: 'Be verbose now.' }] },
      ],
      [
        'content as text parts instead of a string, with an image beside them',
        CHAT_CONVERSATION,
        {
          messages: [
            { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
            {
              role: 'user',
              content: [
                { type: 'text', text: 'What is ' },
                { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
                { type: 'text', text: 'a monad?' },
              ],
            },
          ],
        },
      ],
      [
        'a developer message in place of the system message',
        CHAT_CONVERSATION,
        {
          messages: [
            { role: 'developer', content: 'You are terse.' },
            { role: 'user', content: 'What is a monad?' },
          ],
        },
      ],
      [
        'Anthropic system blocks with cache_control in place of a string',
        ANTHROPIC_CONVERSATION,
        { ...ANTHROPIC_CONVERSATION, system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }] },
      ],
      [
        'the model, sampling settings and tools',
        CHAT_CONVERSATION,
        { ...CHAT_CONVERSATION, model: 'gpt-4.1', temperature: 0, tools: [{ type: 'function', function: { name: 'f' } }] },
      ],
      [
        'text past the cap in the first user message',
        { messages: [{ role: 'user', content: 'x'.repeat(HASHED_CHARS_PER_PART) + 'one ending' }] },
        { messages: [{ role: 'user', content: 'x'.repeat(HASHED_CHARS_PER_PART) + 'another ending' }] },
      ],
    ])('is unchanged by %s', (_name, a, b) => {
      const surface: StickySurface = 'system' in a ? 'anthropic' : 'openai';

      expect(stickyKeyOf(surface, {}, b)).toBe(stickyKeyOf(surface, {}, a));
    });

    it.each<[string, Body, Body]>([
      ['a different system prompt', CHAT_CONVERSATION, { messages: [{ role: 'system', content: 'You are verbose.' }, { role: 'user', content: 'What is a monad?' }] }],
      ['a different first question', CHAT_CONVERSATION, { messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'What is a functor?' }] }],
      [
        'the same text moved from the system prompt into the message',
        { messages: [{ role: 'system', content: 'ab' }, { role: 'user', content: 'c' }] },
        { messages: [{ role: 'system', content: 'a' }, { role: 'user', content: 'bc' }] },
      ],
      [
        'a different question after a system prompt longer than the cap',
        { messages: [{ role: 'system', content: 's'.repeat(3 * HASHED_CHARS_PER_PART) }, { role: 'user', content: 'one' }] },
        { messages: [{ role: 'system', content: 's'.repeat(3 * HASHED_CHARS_PER_PART) }, { role: 'user', content: 'two' }] },
      ],
    ])('changes with %s', (_name, a, b) => {
      expect(chat(b)).not.toBe(chat(a));
    });

    it('hashes the system prompt alone when the first user message has no text', () => {
      // Act
      const key = messages({ system: 'You are terse.', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] }] });

      // Assess
      expect(key).toMatch(/^h:/);
    });
  });

  describe('Gemini bodies', () => {
    const gemini = (body: Body, headers: Record<string, string | undefined> = {}) => stickyKeyOf('gemini', headers, body);
    const start = { systemInstruction: { parts: [{ text: 'You are terse.' }] }, contents: [{ role: 'user', parts: [{ text: 'What is a monad?' }] }] };

    it('keeps a conversation on one key as turns are added, by the system instruction and first user turn', () => {
      // Prepare
      const later = { ...start, contents: [...start.contents, { role: 'model', parts: [{ text: 'A monoid.' }] }, { role: 'user', parts: [{ text: 'And?' }] }] };

      // Act
      const first = gemini(start);

      // Assess
      expect(first).toMatch(/^h:/);
      expect(gemini(later)).toBe(first);
      expect(gemini({ ...start, contents: [{ parts: [{ text: 'What is a functor?' }] }] })).not.toBe(first);
    });

    it('hashes a Gemini conversation as its OpenAI equivalent, and prefers the session header', () => {
      expect(gemini({ systemInstruction: 'You are terse.', contents: start.contents })).toBe(chat(CHAT_CONVERSATION));
      expect(gemini(start, { 'x-session-id': 's1' })).toBe(chat(CHAT_CONVERSATION, { 'x-session-id': 's1' }));
    });

    it.each<[string, unknown]>([
      ['no contents', {}],
      ['contents that are not a list', { contents: 'hi' }],
      ['only a model turn', { contents: [{ role: 'model', parts: [{ text: 'hi' }] }] }],
      ['parts without text', { contents: [{ parts: [{ inlineData: {} }, null, 3] }] }],
    ])('gives no key for %s', (_name, body) => {
      expect(gemini(body as Body)).toBeUndefined();
    });
  });

  describe('odd shapes', () => {
    it.each<[string, unknown]>([
      ['an empty body', {}],
      ['messages that are not a list', { messages: 'hello' }],
      ['an empty message list', { messages: [] }],
      ['messages that are not objects', { messages: [null, 1, 'user', ['user']] }],
      ['a user message without content', { messages: [{ role: 'user' }] }],
      ['content that is a number', { messages: [{ role: 'user', content: 7 }] }],
      ['parts that are not objects or have no text', { messages: [{ role: 'user', content: [null, 3, { type: 'text' }, { type: 'text', text: 5 }, { text: 'no type' }] }] }],
      ['only an image', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }],
      ['only assistant messages', { messages: [{ role: 'assistant', content: 'hi' }] }],
      ['a system prompt that is a number and metadata that is a string', { system: 7, metadata: 'u1', messages: [] }],
      ['a user_id that is an object', { metadata: { user_id: { id: 1 } }, messages: [] }],
      ['a body that is null', null],
      ['a body that is a list', [{ role: 'user', content: 'hi' }]],
      ['a body that is a string', 'hello'],
    ])('gives no key, on either surface, for %s', (_name, body) => {
      for (const surface of ['openai', 'anthropic', 'openai-responses'] as const) expect(stickyKeyOf(surface, {}, body as Body)).toBeUndefined();
    });

    it('skips a session header that is not a string', () => {
      const headers = { 'x-session-id': ['a', 'b'] } as unknown as Record<string, string>;

      expect(chat({}, headers)).toBeUndefined();
    });

    it('never throws on arbitrary JSON, and gives a well-formed key or none (fuzz)', () => {
      // Prepare: a seeded generator, so a failure reproduces.
      const { random, pick, value, some } = fuzzer(7, {
        names: ['role', 'content', 'type', 'text', 'system', 'messages', 'metadata', 'user_id', 'user', 'prompt_cache_key', 'cache_control'],
        scalars: [null, 0, -1, true, '', 'user', 'system', 'developer', 'text', 'é\u0000\ud800'],
      });

      // Mostly message-like shapes with odd parts, so the text walk is reached, not only the early exits.
      const part = () => (random() < 0.6 ? { type: pick(['text', 'image', value(3)]), text: value(3), cache_control: value(3) } : value(2));
      const message = () => (random() < 0.8 ? { role: pick(['user', 'system', 'developer', 'assistant', value(3)]), content: random() < 0.5 ? value(3) : some(part) } : value(2));
      const body = () =>
        random() < 0.2
          ? value(0)
          : { messages: random() < 0.8 ? some(message) : value(1), input: random() < 0.8 ? some(message) : value(1), system: random() < 0.5 ? value(1) : some(part), instructions: value(1), metadata: value(1) };
      const bodies = Array.from({ length: 2000 }, () => body() as Body);

      // Act
      const keys = bodies.flatMap((body) => (['openai', 'anthropic', 'openai-responses'] as const).map((surface) => stickyKeyOf(surface, {}, body)));

      // Assess
      const given = keys.filter((k) => k !== undefined);
      expect(given.filter((k) => !KEY_SHAPE.test(k))).toEqual([]);
      expect(given.filter((k) => k.startsWith('h:')).length).toBeGreaterThan(200);
    });
  });
});

describe('rendezvousOrder', () => {
  const account = (id: string, weight = 1) => ({ id, weight });
  const ids = (accounts: readonly { id: string }[]) => accounts.map((a) => a.id);
  const KEYS = Array.from({ length: 20_000 }, (_, i) => `h:key-${i}`);

  /** How many of KEYS each account comes first for. */
  function firstCounts(accounts: readonly { id: string; weight: number }[]): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(accounts.map((a) => [a.id, 0]));
    for (const key of KEYS) counts[rendezvousOrder(accounts, key)[0]!.id]!++;
    return counts;
  }

  it('orders the same accounts the same way for a key, whatever their input order', () => {
    // Prepare
    const accounts = [account('a'), account('b', 2), account('c', 3), account('d')];

    // Act
    const orders = [accounts, [...accounts].reverse(), [accounts[2]!, accounts[0]!, accounts[3]!, accounts[1]!]].map((list) => ids(rendezvousOrder(list, 'm:session-1')));

    // Assess
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });

  it('gives the same order in every process (pinned, since a change reshuffles every conversation at deploy)', () => {
    // Act
    const order = rendezvousOrder([account('a'), account('b', 2), account('c', 3), account('d')], 'm:session-1');

    // Assess
    expect(ids(order)).toEqual(PINNED_ORDER);
  });

  // A pool of eight weighted accounts, as the bench has it: each key's whole order, pinned.
  const POOL_OF_EIGHT = Array.from({ length: 8 }, (_, i) => account(`acct-${i}`, 1 + (i % 3)));
  it.each([
    ['h:AbCdEfGhIjKlMnOpQrStUv', 'acct-1 acct-4 acct-7 acct-2 acct-5 acct-6 acct-3 acct-0'],
    ['m:0123456789abcdefghijkl', 'acct-1 acct-0 acct-6 acct-4 acct-7 acct-3 acct-2 acct-5'],
    ['s:session-42', 'acct-0 acct-5 acct-3 acct-2 acct-1 acct-7 acct-6 acct-4'],
    ['k:x', 'acct-2 acct-5 acct-7 acct-4 acct-1 acct-6 acct-3 acct-0'],
    ['u:', 'acct-1 acct-0 acct-5 acct-7 acct-3 acct-2 acct-6 acct-4'],
    ['h:-_-_-_-_-_-_-_-_-_-_-_', 'acct-0 acct-6 acct-1 acct-5 acct-3 acct-7 acct-2 acct-4'],
  ])('gives key %s the order it has always had in a pool of eight weighted accounts', (key, expected) => {
    expect(ids(rendezvousOrder(POOL_OF_EIGHT, key)).join(' ')).toBe(expected);
  });

  it('gives 5 000 keys the orders they have always had in a pool of eight weighted accounts (their digest, pinned)', () => {
    const all = createHash('sha256');

    for (let i = 0; i < 5_000; i++) all.update(`${ids(rendezvousOrder(POOL_OF_EIGHT, `h:key-${i}`)).join(',')};`);

    expect(all.digest('hex')).toBe('a1ed463041a2b0fffc778be1c39091b5a1679c728c09d5cba5808897436877c9');
  });

  it('returns every account once, in a new array, and leaves the input as it was', () => {
    // Prepare
    const accounts = [account('a'), account('b'), account('c')];
    const copy = structuredClone(accounts);

    // Act
    const order = rendezvousOrder(accounts, 'k:x');

    // Assess
    expect(order).not.toBe(accounts);
    expect(ids(order).sort()).toEqual(['a', 'b', 'c']);
    expect(accounts).toEqual(copy);
  });

  it.each([
    ['no accounts', [], []],
    ['one account', [account('only', 5)], ['only']],
  ])('orders %s trivially', (_name, accounts, expected) => {
    // Act
    const order = rendezvousOrder(accounts, 'h:any');

    // Assess
    expect(ids(order)).toEqual(expected);
    expect(order).not.toBe(accounts);
  });

  it('spreads different keys over the accounts', () => {
    const firsts = new Set(KEYS.slice(0, 50).map((key) => rendezvousOrder([account('a'), account('b'), account('c')], key)[0]!.id));

    expect(firsts.size).toBe(3);
  });

  // 20 000 keys: a share's standard deviation is at most 0.0035, so ±0.015 is over 4σ.
  it.each([
    ['equal weights', [account('a'), account('b')], { a: 1 / 2, b: 1 / 2 }],
    ['2:1 weights', [account('a', 2), account('b', 1)], { a: 2 / 3, b: 1 / 3 }],
    ['1:2:3 weights', [account('a', 1), account('b', 2), account('c', 3)], { a: 1 / 6, b: 2 / 6, c: 3 / 6 }],
    ['9:1 weights', [account('a', 9), account('b', 1)], { a: 0.9, b: 0.1 }],
  ])('puts each account first for its weight share of keys: %s', (_name, accounts, shares) => {
    // Act
    const counts = firstCounts(accounts);

    // Assess
    for (const [id, share] of Object.entries(shares)) expect(Math.abs(counts[id]! / KEYS.length - share)).toBeLessThan(0.015);
  });

  it('moves only the keys of a removed account, and keeps every other order as it was', () => {
    // Prepare
    const accounts = [account('a', 1), account('b', 2), account('c', 3)];
    const without = accounts.filter((a) => a.id !== 'b');

    // Act
    const changes = KEYS.map((key) => ({ before: ids(rendezvousOrder(accounts, key)), after: ids(rendezvousOrder(without, key)) }));

    // Assess
    const reordered = changes.filter(({ before, after }) => after.join() !== before.filter((id) => id !== 'b').join());
    const moved = changes.filter(({ before, after }) => before[0] !== after[0]);
    expect(reordered).toEqual([]);
    expect(moved.every(({ before }) => before[0] === 'b')).toBe(true);
    // b's share moved, about 2/6 of the keys.
    expect(Math.abs(moved.length / KEYS.length - 2 / 6)).toBeLessThan(0.015);
  });

  it('moves keys only onto an account that is added or given more weight', () => {
    // Prepare
    const base = [account('a', 1), account('b', 1)];
    const changes = [
      ['added', [...base, account('c', 1)], 'c'],
      ['weighted up', [account('a', 1), account('b', 3)], 'b'],
    ] as const;

    for (const [name, changed, gainer] of changes) {
      // Act
      const moves = KEYS.slice(0, 5000).map((key) => ({ before: rendezvousOrder(base, key)[0]!.id, after: rendezvousOrder(changed, key)[0]!.id }));

      // Assess
      const moved = moves.filter(({ before, after }) => before !== after);
      expect({ name, strays: moved.filter(({ after }) => after !== gainer) }).toEqual({ name, strays: [] });
      expect(moved.length).toBeGreaterThan(0);
    }
  });

  it('puts an account of no weight last rather than failing', () => {
    const order = rendezvousOrder([account('zero', 0), account('a'), account('nan', Number.NaN), account('b')], 'h:x');

    expect(ids(order).slice(2).sort()).toEqual(['nan', 'zero']);
  });
});

/** Worked out once with this implementation; in any process, on any instance, it must stay so. */
const PINNED_ORDER = ['b', 'c', 'a', 'd'];
