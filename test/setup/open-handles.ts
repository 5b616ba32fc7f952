/** Resource kinds (`Timeout`, `TCPServerWrap`, … as `process.getActiveResourcesInfo()` lists them) counted. */
export function tally(kinds: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** The kinds of which there are more `now` than at the `start`, as `Kind+n`, in the order `now` has them. */
export function beyond(start: ReadonlyMap<string, number>, now: ReadonlyMap<string, number>): string[] {
  return [...now].filter(([kind, n]) => n > (start.get(kind) ?? 0)).map(([kind, n]) => `${kind}+${n - (start.get(kind) ?? 0)}`);
}
