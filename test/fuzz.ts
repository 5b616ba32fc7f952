/**
 * Seeded random JSON for fuzz tests: the same seed gives the same values, so a failure
 * reproduces. `value` builds scalars, arrays and objects (keys from `names`) up to depth 3.
 *
 * @example
 * const { random, pick, value, some } = fuzzer(7, { names: ['role', 'content'], scalars: [null, '', 'user'] });
 * const bodies = Array.from({ length: 1000 }, () => ({ messages: some(() => value(1)) }));
 */
export function fuzzer(seed: number, options: { names: readonly string[]; scalars: readonly unknown[] }) {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.4) return pick(options.scalars);
    if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [pick(options.names), value(depth + 1)]));
  };
  /** Zero to three of `make`'s values. */
  const some = <T>(make: () => T): T[] => Array.from({ length: Math.floor(random() * 4) }, make);
  return { random, pick, value, some };
}
