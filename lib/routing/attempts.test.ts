import { AccountLoad } from './account-load';
import { planAttempts } from './attempts';
import type { Balance } from './balance';
import type { Target } from './catalog';

const account = (id: string, weight = 1) => ({ id, weight });
const target = (provider: string, model: string, accounts: ReturnType<typeof account>[], balance?: Balance): Target =>
  ({ provider: { id: provider, type: 'openai', baseUrl: 'http://x', accounts }, accounts, model, ...(balance ? { balance } : {}) }) as unknown as Target;

describe('planAttempts', () => {
  it('tries targets in config order, each with all its accounts', () => {
    const plan = planAttempts([target('p1', 'm1', [account('a')]), target('p2', 'm2', [account('b'), account('c')])], { random: () => 0 });

    expect(plan.map((a) => `${a.provider.id}/${a.account.id}/${a.model}`)).toEqual(['p1/a/m1', 'p2/b/m2', 'p2/c/m2']);
  });

  it('spreads first attempts over accounts by weight', () => {
    const t = target('p', 'm', [account('heavy', 3), account('light', 1)]);
    const firsts = { heavy: 0, light: 0 };
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;

    for (let i = 0; i < 4000; i++) firsts[planAttempts([t], { random })[0]!.account.id as 'heavy' | 'light']++;

    expect(firsts.heavy / 4000).toBeGreaterThan(0.7);
    expect(firsts.heavy / 4000).toBeLessThan(0.8);
  });

  it('puts every account in the plan once, whatever the draw', () => {
    const t = target('p', 'm', [account('a', 5), account('b', 1), account('c', 2)]);

    for (const r of [0, 0.5, 0.999]) expect(planAttempts([t], { random: () => r }).map((a) => a.account.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['a resting account goes after its healthy siblings', ['p1/b'], ['p1/a', 'p1/c', 'p2/d', 'p1/b']],
    ['a resting target goes after a healthy fallback', ['p1/a', 'p1/b', 'p1/c'], ['p2/d', 'p1/a', 'p1/b', 'p1/c']],
    ['when all rest, all are still tried in their order', ['p1/a', 'p1/b', 'p1/c', 'p2/d'], ['p1/a', 'p1/b', 'p1/c', 'p2/d']],
    ['nothing resting changes nothing', [], ['p1/a', 'p1/b', 'p1/c', 'p2/d']],
  ])('%s', (_name, resting, expected) => {
    const targets = [target('p1', 'm1', [account('a'), account('b'), account('c')]), target('p2', 'm2', [account('d')])];

    const plan = planAttempts(targets, { random: () => 0, cooling: (ref) => resting.includes(ref) });

    expect(plan.map((a) => `${a.provider.id}/${a.account.id}`)).toEqual(expected);
  });

  describe('a hung account (a call waiting for its headers far past its average), outside conversations', () => {
    const hungLoad = (refs: string[]) => {
      let now = 0;
      const load = new AccountLoad(() => now);
      for (const ref of ['p1/a', 'p1/b', 'p1/c', 'p2/d']) load.observe(ref, ref.startsWith('p1') ? 'm1' : 'm2', false, 200);
      for (const ref of refs) load.waitHeaders(ref, ref.startsWith('p1') ? 'm1' : 'm2', false);
      now += 6_000;
      return load;
    };
    it.each<[string, Balance | undefined, string[], string[], string[]]>([
      ['goes after its siblings and a healthy fallback, in a weighted pool', undefined, ['p1/a'], [], ['p1/b', 'p1/c', 'p2/d', 'p1/a']],
      ['goes after them by headroom too', 'headroom', ['p1/a'], [], ['p1/b', 'p1/c', 'p2/d', 'p1/a']],
      ['goes before a resting account', undefined, ['p1/a'], ['p1/b'], ['p1/c', 'p2/d', 'p1/a', 'p1/b']],
      ['when all hang, all are still tried in their order', undefined, ['p1/a', 'p1/b', 'p1/c', 'p2/d'], [], ['p1/a', 'p1/b', 'p1/c', 'p2/d']],
      ['a call merely in flight changes nothing', undefined, [], [], ['p1/a', 'p1/b', 'p1/c', 'p2/d']],
    ])('%s', (_name, balance, hung, resting, expected) => {
      const targets = [target('p1', 'm1', [account('a'), account('b'), account('c')], balance), target('p2', 'm2', [account('d')])];

      const plan = planAttempts(targets, { random: () => 0, load: hungLoad(hung), cooling: (ref) => resting.includes(ref) });

      expect(plan.map((a) => `${a.provider.id}/${a.account.id}`)).toEqual(expected);
    });
  });

  it('orders a pool by the sticky key, whatever the draw, and gives the call of a conversation whose account rests to the weighted draw, that account last', () => {
    const t = target('p', 'm', [account('a'), account('b'), account('c')]);
    const order = (options: Parameters<typeof planAttempts>[1]) => planAttempts([t], options).map((a) => a.account.id);

    const home = order({ stickyKey: 'conversation-1', random: () => 0 });
    const resting = planAttempts([t], { stickyKey: 'conversation-1', random: () => 0, cooling: (ref) => ref === `p/${home[0]}` });

    expect(order({ stickyKey: 'conversation-1', random: () => 0.99 })).toEqual(home);
    // The draw at 0 takes the accounts in config order.
    expect(resting.map((a) => a.account.id)).toEqual([...['a', 'b', 'c'].filter((id) => id !== home[0]), home[0]]);
    expect(resting.every((a) => a.balancedBy === 'weighted' && a.stickyHome === home[0])).toBe(true);
  });

  describe('with a balance', () => {
    /** A load with the first account of pool p busy twice over. */
    const busyA = () => {
      const load = new AccountLoad();
      load.begin('p/a');
      load.begin('p/a');
      return load;
    };

    it('orders a least-busy pool by its calls in flight, and says so', () => {
      const plan = planAttempts([target('p', 'm', [account('a'), account('b')], 'least-busy')], { random: () => 0, load: busyA() });

      expect(plan.map((a) => [a.account.id, a.balancedBy])).toEqual([
        ['b', 'least-busy'],
        ['a', 'least-busy'],
      ]);
    });

    it('orders a weighted pool as before, whatever the load, and marks nothing', () => {
      const plan = planAttempts([target('p', 'm', [account('a'), account('b')])], { random: () => 0, load: busyA() });

      expect(plan.map((a) => a.account.id)).toEqual(['a', 'b']);
      expect(plan.every((a) => !('balancedBy' in a))).toBe(true);
    });

    it('keeps the sticky order over the balance while the home account is healthy, and says so', () => {
      const t = target('p', 'm', [account('a'), account('b'), account('c')], 'least-busy');
      const home = planAttempts([target('p', 'm', [account('a'), account('b'), account('c')])], { stickyKey: 'conversation-1' }).map((a) => a.account.id);
      const load = new AccountLoad();
      for (let i = 0; i < 5; i++) load.begin(`p/${home[0]}`);

      const plan = planAttempts([t], { stickyKey: 'conversation-1', load });

      expect(plan.map((a) => a.account.id)).toEqual(home);
      expect(plan[0]!.balancedBy).toBe('sticky');
    });

    it("gives the call of a conversation whose own account rests to the balance, not to the conversation's next account", () => {
      const accounts = () => [account('a'), account('b'), account('c')];
      const home = planAttempts([target('p', 'm', accounts())], { stickyKey: 'conversation-1' }).map((a) => a.account.id);
      const load = new AccountLoad();
      // The conversation's next account is the busiest: the balance puts it after the idle one.
      for (let i = 0; i < 5; i++) load.begin(`p/${home[1]}`);

      const plan = planAttempts([target('p', 'm', accounts(), 'least-busy')], { stickyKey: 'conversation-1', load, cooling: (ref) => ref === `p/${home[0]}` });

      expect(plan.map((a) => [a.account.id, a.balancedBy])).toEqual([
        [home[2], 'least-busy'],
        [home[1], 'least-busy'],
        [home[0], 'least-busy'],
      ]);
    });

    describe('a sticky conversation against the balance', () => {
      let now = 0;
      const accounts = () => [account('a'), account('b'), account('c')];
      const home = planAttempts([target('p', 'm', accounts())], { stickyKey: 'conversation-1' }).map((a) => a.account.id);
      const homeRef = `p/${home[0]}`;
      const quota = (remaining: number) => ({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': '60s' });
      beforeEach(() => {
        now = 1_000_000;
      });

      // What each case does to the conversation's own account, and whether it then keeps the call.
      it.each<[string, Balance, 'keeps' | 'yields', (load: AccountLoad) => void]>([
        ['busier than the others', 'least-busy', 'keeps', (load) => [1, 2, 3, 4, 5].forEach(() => load.begin(homeRef))],
        ['slower than the others', 'latency', 'keeps', (load) => load.observe(homeRef, 'm', false, 900)],
        ['with a call waiting a little past its average', 'latency', 'keeps', (load) => (load.observe(homeRef, 'm', false, 2_000), load.waitHeaders(homeRef, 'm', false), (now += 6_000))],
        ['with less quota left than the others, but some', 'headroom', 'keeps', (load) => load.quota.record(homeRef, 'm', quota(3), true)],
        ['hung: a call waiting far past its average', 'latency', 'yields', (load) => (load.observe(homeRef, 'm', false, 200), load.waitHeaders(homeRef, 'm', false), (now += 6_000))],
        ['hung, in a pool that balances by calls in flight', 'least-busy', 'yields', (load) => (load.observe(homeRef, 'm', true, 200), load.waitHeaders(homeRef, 'm', true), (now += 6_000))],
        ['out of quota by its last answer', 'headroom', 'yields', (load) => load.quota.record(homeRef, 'm', quota(0), false)],
      ])('an account %s (%s pool) %s the conversation', (_name, balance, expected, setUp) => {
        const load = new AccountLoad(() => now);
        // The others timed fast and read full, so that only the home account's state decides.
        for (const id of home.slice(1)) {
          load.observe(`p/${id}`, 'm', false, 100);
          load.quota.record(`p/${id}`, 'm', quota(100), true);
        }
        setUp(load);

        const plan = planAttempts([target('p', 'm', accounts(), balance)], { stickyKey: 'conversation-1', load, random: () => 0.5 });

        if (expected === 'keeps') {
          expect(plan.map((a) => a.account.id)).toEqual(home);
          expect(plan[0]!.balancedBy).toBe('sticky');
        } else {
          expect(plan.at(-1)!.account.id).toBe(home[0]);
          expect(plan[0]!.balancedBy).toBe(balance);
        }
      });

      it('keeps a conversation on the account it was moved to, before its own, while that one is well', () => {
        const load = new AccountLoad(() => now);
        load.pins.served('conversation-1', 'p', 'm', home[2]!, home[0]!);

        const plan = planAttempts([target('p', 'm', accounts(), 'least-busy')], { stickyKey: 'conversation-1', load });

        expect(plan.map((a) => [a.account.id, a.balancedBy, a.stickyHome])).toEqual([
          [home[2], 'sticky', home[0]],
          [home[0], 'sticky', home[0]],
          [home[1], 'sticky', home[0]],
        ]);
      });

      it('moves a conversation on from the account it was moved to when that one hangs in turn', () => {
        const load = new AccountLoad(() => now);
        load.pins.served('conversation-1', 'p', 'm', home[2]!, home[0]!);
        load.observe(`p/${home[2]}`, 'm', true, 300);
        load.waitHeaders(`p/${home[2]}`, 'm', true);
        now += 10_000;

        const plan = planAttempts([target('p', 'm', accounts(), 'latency')], { stickyKey: 'conversation-1', load, stream: true, random: () => 0.5 });

        expect(plan.at(-1)!.account.id).toBe(home[2]);
        expect(plan.slice(0, 2).map((a) => a.account.id).sort()).toEqual([home[0], home[1]].sort());
      });

      it('ignores a pin to an account the pool no longer has', () => {
        const load = new AccountLoad(() => now);
        load.pins.served('conversation-1', 'p', 'm', 'gone', home[0]!);

        const plan = planAttempts([target('p', 'm', accounts(), 'least-busy')], { stickyKey: 'conversation-1', load });

        expect(plan.map((a) => a.account.id)).toEqual(home);
      });

      // Moving costs the conversation its cache; it buys nothing when no other account of the pool is any better.
      it.each<[string, Balance | undefined, (load: AccountLoad) => ((ref: string) => boolean) | undefined]>([
        ['every account rests (a provider-wide burst of 429s)', 'least-busy', () => () => true],
        ['every account rests, in a pool without a balance', undefined, () => () => true],
        [
          'every account is hung',
          'latency',
          (load) => {
            for (const id of home) (load.observe(`p/${id}`, 'm', false, 200), load.waitHeaders(`p/${id}`, 'm', false));
            now += 6_000;
            return undefined;
          },
        ],
        [
          'its own is hung and the others rest',
          'least-busy',
          (load) => {
            load.observe(homeRef, 'm', false, 200);
            load.waitHeaders(homeRef, 'm', false);
            now += 6_000;
            return (ref) => ref !== homeRef;
          },
        ],
      ])('keeps a conversation on its own account, in its own order, when %s', (_name, balance, setUp) => {
        const load = new AccountLoad(() => now);
        const cooling = setUp(load);

        const plan = planAttempts([target('p', 'm', accounts(), balance)], { stickyKey: 'conversation-1', load, random: () => 0.5, ...(cooling ? { cooling } : {}) });

        expect(plan.map((a) => a.account.id)).toEqual(home);
        expect(plan.every((a) => a.balancedBy === (balance ? 'sticky' : undefined))).toBe(true);
      });

      it.each<[string, Balance | undefined]>([
        ['without a balance', undefined],
        ['balanced by headroom', 'headroom'],
      ])('gives the call of a conversation whose account hangs to an account that can serve before one hung too (%s)', (_name, balance) => {
        const load = new AccountLoad(() => now);
        // The hung account that is not the conversation's has the more quota left.
        load.quota.record(`p/${home[1]}`, 'm', quota(90), true);
        load.quota.record(`p/${home[2]}`, 'm', quota(40), true);
        for (const id of home.slice(0, 2)) (load.observe(`p/${id}`, 'm', false, 200), load.waitHeaders(`p/${id}`, 'm', false));
        now += 6_000;

        const plans = [0, 0.99].map((r) => planAttempts([target('p', 'm', accounts(), balance)], { stickyKey: 'conversation-1', load, random: () => r }).map((a) => a.account.id));

        expect(plans).toEqual([
          [home[2], home[1], home[0]],
          [home[2], home[1], home[0]],
        ]);
      });

      it('lets a hung account of a pool without a balance yield to the weighted draw, and says so', () => {
        const load = new AccountLoad(() => now);
        load.observe(homeRef, 'm', false, 100);
        load.waitHeaders(homeRef, 'm', false);
        now += 6_000;

        const plan = planAttempts([target('p', 'm', accounts())], { stickyKey: 'conversation-1', load, random: () => 0 });

        expect(plan.map((a) => [a.account.id, a.balancedBy])).toEqual([...['a', 'b', 'c'].filter((id) => id !== home[0]), home[0]].map((id) => [id, 'weighted']));
      });
    });

    it('still puts a resting account after the healthy ones, however idle it is', () => {
      const plan = planAttempts([target('p', 'm', [account('a'), account('b'), account('c')], 'least-busy')], { random: () => 0, load: busyA(), cooling: (ref) => ref === 'p/b' });

      expect(plan.map((a) => a.account.id)).toEqual(['c', 'a', 'b']);
    });

    describe('by headroom', () => {
      let now = 0;
      const quota = (remaining: number, reset = '20s') => ({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': reset });
      /** A load whose readings say what is left of each account's 100 requests (`{ 'p/a': 0 }`) for the model. */
      const readLoad = (left: Record<string, number>, model = 'm') => {
        const load = new AccountLoad(() => now);
        for (const [ref, remaining] of Object.entries(left)) load.quota.record(ref, model, quota(remaining), true);
        return load;
      };
      beforeEach(() => {
        now = 0;
      });

      it('orders the pool by quota left, says so, and marks each attempt with the scope its answer is read for', () => {
        const plan = planAttempts([target('p', 'gpt-4o', [account('a'), account('b')], 'headroom')], { random: () => 0, load: readLoad({ 'p/a': 30, 'p/b': 80 }, 'gpt-4o') });

        expect(plan.map((a) => [a.account.id, a.balancedBy, a.quotaScope])).toEqual([
          ['b', 'headroom', 'gpt-4o'],
          ['a', 'headroom', 'gpt-4o'],
        ]);
      });

      it('puts an account with nothing left after every healthy one, a fallback target included, until its reset', () => {
        const targets = [target('p', 'm', [account('a'), account('b')], 'headroom'), target('q', 'm', [account('c')])];
        const load = readLoad({ 'p/a': 0, 'p/b': 0 });

        const before = planAttempts(targets, { random: () => 0, load }).map((a) => `${a.provider.id}/${a.account.id}`);
        now = 20_000;
        const after = planAttempts(targets, { random: () => 0, load }).map((a) => `${a.provider.id}/${a.account.id}`);

        expect(before).toEqual(['q/c', 'p/a', 'p/b']);
        expect(after).toEqual(['p/a', 'p/b', 'q/c']);
      });

      it("gives a sticky conversation's call to the balance when its account has nothing left, and keeps that account last", () => {
        const accounts = () => [account('a'), account('b'), account('c')];
        const home = planAttempts([target('p', 'm', accounts())], { stickyKey: 'conversation-1' }).map((a) => a.account.id);
        const others = ['a', 'b', 'c'].filter((id) => id !== home[0]);

        const plan = planAttempts([target('p', 'm', accounts(), 'headroom')], { stickyKey: 'conversation-1', random: () => 0, load: readLoad({ [`p/${home[0]}`]: 0, [`p/${others[0]}`]: 40, [`p/${others[1]}`]: 90 }) });

        expect(plan.map((a) => a.account.id)).toEqual([others[1], others[0], home[0]]);
        expect(plan.every((a) => a.balancedBy === 'headroom' && a.quotaScope === 'm')).toBe(true);
      });

      it('benches nothing in a pool that does not balance by headroom, whatever the readings say', () => {
        const plan = planAttempts([target('p', 'm', [account('a'), account('b')], 'least-busy')], { random: () => 0, load: readLoad({ 'p/a': 0 }) });

        expect(plan.map((a) => a.account.id)).toEqual(['a', 'b']);
        expect(plan.every((a) => !('quotaScope' in a))).toBe(true);
      });

      it('reads an Anthropic pool by model class: what one Sonnet 4 model spent, another cannot', () => {
        const t = { ...target('p', 'claude-sonnet-4-6', [account('a'), account('b')], 'headroom'), provider: { id: 'p', type: 'anthropic', accounts: [] } } as unknown as Target;

        const plan = planAttempts([t], { random: () => 0, load: readLoad({ 'p/a': 0 }, 'claude-sonnet-4') });

        expect(plan.map((a) => [a.account.id, a.quotaScope])).toEqual([
          ['b', 'claude-sonnet-4'],
          ['a', 'claude-sonnet-4'],
        ]);
      });
    });

    it('draws by weight when given no load to balance by', () => {
      const plan = planAttempts([target('p', 'm', [account('a'), account('b')], 'latency')], { random: () => 0.99 });

      expect(plan.map((a) => a.account.id)).toEqual(['b', 'a']);
    });
  });
});
