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

  it('keeps its order through many uses, sets and deletes, as a plain list of the order of use would', () => {
    const recent = new RecentlyUsed<number, number>(50);
    const order: number[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 120;

    for (let i = 0; i < 5_000; i++) {
      const key = next();
      const at = order.indexOf(key);
      if (i % 7 === 0) {
        recent.delete(key);
        if (at >= 0) order.splice(at, 1);
      } else if (i % 3 === 0) {
        const got = recent.get(key);
        expect(got).toBe(at >= 0 ? key : undefined);
        if (at >= 0) order.push(...order.splice(at, 1));
      } else {
        recent.set(key, key);
        if (at >= 0) order.splice(at, 1);
        else if (order.length >= 50) order.shift();
        order.push(key);
      }
    }

    expect(Array.from({ length: 120 }, (_, k) => recent.peek(k)).filter((v) => v !== undefined).sort((a, b) => a! - b!)).toEqual([...order].sort((a, b) => a - b));
    expect(recent.size).toBe(order.length);
  });
});
