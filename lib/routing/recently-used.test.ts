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

  /** The reference: the order of use as a plain array, least recently used first. */
  class ListModel {
    entries: Array<[number, number]> = [];
    constructor(readonly max: number) {}
    #at = (key: number) => this.entries.findIndex(([k]) => k === key);
    get(key: number): number | undefined {
      const at = this.#at(key);
      if (at < 0) return undefined;
      const [entry] = this.entries.splice(at, 1);
      this.entries.push(entry!);
      return entry![1];
    }
    peek = (key: number) => this.entries[this.#at(key)]?.[1];
    set(key: number, value: number): void {
      const at = this.#at(key);
      if (at >= 0) this.entries.splice(at, 1);
      else if (this.entries.length >= this.max) this.entries.shift();
      this.entries.push([key, value]);
    }
    delete(key: number): void {
      const at = this.#at(key);
      if (at >= 0) this.entries.splice(at, 1);
    }
    clear(): void {
      this.entries = [];
    }
  }

  it.each([
    [1, 1],
    [2, 2],
    [7, 3],
    [50, 4],
  ])('agrees with a plain list after every step of a random mix of get, peek, set, delete and clear (max %i, seed %i)', (max, seed) => {
    // Prepare: a seeded generator (mulberry32), so a failure replays.
    let state = seed;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const keys = max * 3;
    const recent = new RecentlyUsed<number, number>(max);
    const model = new ListModel(max);

    for (let step = 0; step < 4_000; step++) {
      // Act
      const key = Math.floor(random() * keys);
      const roll = random();
      if (roll < 0.3) {
        const [got, want] = [recent.get(key), model.get(key)];
        if (got !== want) expect({ step, get: got }).toEqual({ step, get: want });
      } else if (roll < 0.4) {
        const [got, want] = [recent.peek(key), model.peek(key)];
        if (got !== want) expect({ step, peek: got }).toEqual({ step, peek: want });
      }
      else if (roll < 0.8) {
        recent.set(key, step);
        model.set(key, step);
      } else if (roll < 0.995) {
        recent.delete(key);
        model.delete(key);
      } else {
        recent.clear();
        model.clear();
      }

      // Assess: the same entries with the same values (peek leaves the order be); one expect per step, and only on a difference (jest's matchers are the slow part).
      const got = Array.from({ length: keys }, (_, k) => recent.peek(k));
      const want = Array.from({ length: keys }, (_, k) => model.peek(k));
      if (recent.size !== model.entries.length || got.some((v, k) => v !== want[k])) expect({ step, size: recent.size, got }).toEqual({ step, size: model.entries.length, got: want });
    }
  });
});
