/**
 * Median nanoseconds per call of `fn` over `rounds` rounds of `n` calls each, after a warm-up of
 * `n` calls: the micro-benchmarks' one timer (`lib/**\/*.bench.ts`, run with `npx tsx`). The
 * median of rounds, not the mean, so a round that a GC pause or the other core's work hit does
 * not move the figure.
 *
 * @example
 * medianNsPerCall(() => JSON.parse(body), 500); // e.g. 41_250
 */
export function medianNsPerCall(fn: () => unknown, n: number, rounds = 15): number {
  for (let i = 0; i < n; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    times.push(Number(process.hrtime.bigint() - start) / n);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

/** `medianNsPerCall` for a call that must be awaited (a body read, a stream's start): each call awaited before the next. */
export async function medianNsPerAsyncCall(fn: () => Promise<unknown>, n: number, rounds = 15): Promise<number> {
  for (let i = 0; i < n; i++) await fn();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    times.push(Number(process.hrtime.bigint() - start) / n);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}
