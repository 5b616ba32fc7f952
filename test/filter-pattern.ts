/**
 * CloudWatch Logs' filter-pattern semantics for unstructured terms, as documented in "Filter
 * pattern syntax for metric filters": a term matches an event that contains it (case-sensitive; a
 * quoted term is an exact phrase), terms side by side must all match, `-term` excludes events that
 * contain it, and a pattern of `?term`s matches an event that contains any of them. Mixing `?`
 * with other terms is not documented, so it is refused here rather than guessed. No maintained
 * evaluator is published; this one lets tests run a synthesized pattern over real log lines.
 *
 * @example
 * matchesTermPattern('"Task timed out after" -"sampling_rate"', '2026-01-01T00:00:00.000Z id Task timed out after 3.00 seconds'); // true
 */
export function matchesTermPattern(pattern: string, event: string): boolean {
  const terms = [...pattern.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map(([, sign, quoted, bare]) => ({ sign, text: quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare! }));
  if (pattern.trim().startsWith('{') || pattern.trim().startsWith('[') || pattern.includes('%')) throw new Error(`not an unstructured term pattern: ${pattern}`);
  const anyOf = terms.filter((t) => t.sign === '?');
  if (anyOf.length > 0 && anyOf.length < terms.length) throw new Error(`?-terms mixed with other terms are not documented: ${pattern}`);
  if (anyOf.length > 0) return anyOf.some((t) => event.includes(t.text));
  return terms.every((t) => (t.sign === '-' ? !event.includes(t.text) : event.includes(t.text)));
}
