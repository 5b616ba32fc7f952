import { RecentlyUsed } from './recently-used';

describe('RecentlyUsed', () => {
  it('forgets the least recently used entry when full: get moves an entry last, peek does not', () => {
    const recent = new RecentlyUsed<string, number>(2);
    recent.set('a', 1);
    recent.set('b', 2);
    recent.get('a');
    recent.set('c', 3);

    expect([recent.peek('a'), recent.peek('b'), recent.peek('c'), recent.size]).toEqual([1, undefined, 3, 2]);

    recent.peek('a');
    recent.set('d', 4);

    expect([recent.peek('a'), recent.peek('c'), recent.peek('d')]).toEqual([undefined, 3, 4]);
  });

  it('sets an entry again as the most recently used, without growing', () => {
    const recent = new RecentlyUsed<string, number>(2);
    recent.set('a', 1);
    recent.set('b', 2);
    recent.set('a', 10);
    recent.set('c', 3);

    expect([recent.peek('a'), recent.peek('b'), recent.size]).toEqual([10, undefined, 2]);
    recent.delete('a');
    recent.clear();
    expect(recent.size).toBe(0);
  });
});
