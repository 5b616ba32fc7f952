/**
 * A map of at most `max` entries that forgets the least recently used first: the memory of routing
 * state kept per instance (conversations moved off their account, where stored responses live).
 * A `Map` keeps insertion order, so an entry used is moved to its end and the first is the oldest.
 *
 * @example
 * const recent = new RecentlyUsed<string, string>(2);
 * recent.set('a', '1'); recent.set('b', '2'); recent.get('a'); recent.set('c', '3');
 * recent.peek('b') // undefined: forgotten, the least recently used
 */
export class RecentlyUsed<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly max: number) {}

  /** The entry's value, which is then the most recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The entry's value, its place in the order left as it is. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Sets the entry as the most recently used, forgetting the least recently used when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
