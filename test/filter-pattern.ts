/**
 * CloudWatch Logs' filter-pattern semantics, as documented in "Filter pattern syntax for metric
 * filters, subscription filters, filter log events, and Live Tail"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html), for
 * the two kinds of pattern the stack synthesizes. No maintained evaluator is published; these let
 * tests run a synthesized pattern over the real log lines the gateway writes. What the page does
 * not document is refused (thrown) rather than guessed.
 */

/**
 * Unstructured terms: a term matches an event that contains it (case-sensitive; a quoted term is
 * an exact phrase), terms side by side must all match, `-term` excludes events that contain it,
 * and a pattern of `?term`s matches an event that contains any of them. Mixing `?` with other
 * terms is not documented.
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

type Node = { op: '&&' | '||'; parts: Node[] } | { field: string[]; test: (value: unknown, present: boolean) => boolean };

/**
 * JSON patterns, `{ selector operator value }` joined by `&&` and `||` and grouped by parentheses:
 * an event that is not a JSON object matches none; a selector (`$.a.b`, `$.a[0]`) that names no
 * field fails its comparison (`NOT EXISTS` aside); strings compare with `=` and `!=` (quoted, `*`
 * a wildcard), numbers with `=`, `!=`, `<`, `<=`, `>`, `>=` and only against a JSON number;
 * `IS TRUE`, `IS FALSE` and `IS NULL` test booleans and null. `&&` and `||` mixed at one level
 * without parentheses are refused: the page does not give their precedence (CDK always groups).
 *
 * @example
 * matchesJsonPattern('{ ($.level = "ERROR") && ($.lost > 0) }', '{"level":"ERROR","lost":2}'); // true
 */
export function matchesJsonPattern(pattern: string, event: string): boolean {
  const body = pattern.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw new Error(`not a JSON pattern: ${pattern}`);
  const root = new JsonPatternParser(body.slice(1, -1)).parse();
  let json: unknown;
  try {
    json = JSON.parse(event);
  } catch {
    return false;
  }
  return typeof json === 'object' && json !== null && !Array.isArray(json) && evaluate(root, json);
}

/** Either kind of pattern, as CloudWatch tells them apart (a JSON pattern is in braces). */
export function matchesFilterPattern(pattern: string, event: string): boolean {
  return pattern.trim().startsWith('{') ? matchesJsonPattern(pattern, event) : matchesTermPattern(pattern, event);
}

/**
 * What one matching event publishes under a metric transformation's `MetricValue`: the number, or
 * the JSON event's number field `$.x` (undefined when it has none: CloudWatch publishes nothing).
 */
export function publishedValue(metricValue: string, event: string): number | undefined {
  if (!metricValue.startsWith('$.')) return Number(metricValue);
  const value = select(JSON.parse(event) as unknown, path(metricValue));
  return typeof value.value === 'number' ? value.value : undefined;
}

function evaluate(node: Node, json: unknown): boolean {
  if ('op' in node) return node.op === '&&' ? node.parts.every((p) => evaluate(p, json)) : node.parts.some((p) => evaluate(p, json));
  const { value, present } = select(json, node.field);
  return node.test(value, present);
}

function select(json: unknown, field: string[]): { value: unknown; present: boolean } {
  let at: unknown = json;
  for (const key of field) {
    if (typeof at !== 'object' || at === null || !(key in at)) return { value: undefined, present: false };
    at = (at as Record<string, unknown>)[key];
  }
  return { value: at, present: true };
}

function path(selector: string): string[] {
  if (!/^\$(\.\w+|\[\d+\])+$/.test(selector)) throw new Error(`selector not understood: ${selector}`);
  return [...selector.matchAll(/\.(\w+)|\[(\d+)\]/g)].map(([, key, index]) => key ?? index!);
}

const COMPARISON = /^\s*(\$[.\w[\]]+)\s*(?:(=|!=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)|IS\s+(TRUE|FALSE|NULL)|(NOT EXISTS))\s*/;

class JsonPatternParser {
  #rest: string;

  constructor(text: string) {
    this.#rest = text;
  }

  parse(): Node {
    const node = this.#expression();
    if (this.#rest.trim()) throw new Error(`not understood: ${this.#rest}`);
    return node;
  }

  #expression(): Node {
    const parts = [this.#operand()];
    let op: '&&' | '||' | undefined;
    for (let next = this.#operator(); next; next = this.#operator()) {
      if (op && op !== next) throw new Error('&& and || mixed without parentheses: their precedence is not documented');
      op = next;
      parts.push(this.#operand());
    }
    return op ? { op, parts } : parts[0]!;
  }

  #operator(): '&&' | '||' | undefined {
    const found = /^\s*(&&|\|\|)/.exec(this.#rest);
    if (!found) return undefined;
    this.#rest = this.#rest.slice(found[0].length);
    return found[1] as '&&' | '||';
  }

  #operand(): Node {
    const open = /^\s*\(/.exec(this.#rest);
    if (open) {
      this.#rest = this.#rest.slice(open[0].length);
      const inner = this.#expression();
      const close = /^\s*\)/.exec(this.#rest);
      if (!close) throw new Error(`unbalanced parentheses near: ${this.#rest}`);
      this.#rest = this.#rest.slice(close[0].length);
      return inner;
    }
    const found = COMPARISON.exec(this.#rest);
    if (!found) throw new Error(`comparison not understood: ${this.#rest}`);
    this.#rest = this.#rest.slice(found[0].length);
    const [, selector, op, literal, is, notExists] = found;
    return { field: path(selector!), test: comparison(op, literal, is, notExists) };
  }
}

function comparison(op: string | undefined, literal: string | undefined, is: string | undefined, notExists: string | undefined): (value: unknown, present: boolean) => boolean {
  if (notExists) return (_value, present) => !present;
  if (is) return (value, present) => present && value === (is === 'TRUE' ? true : is === 'FALSE' ? false : null);
  if (literal!.startsWith('"')) {
    if (op !== '=' && op !== '!=') throw new Error(`strings compare with = and != only, not ${op}`);
    const text = JSON.parse(literal!) as string;
    const wildcard = new RegExp(`^${text.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    return (value, present) => present && typeof value === 'string' && wildcard.test(value) === (op === '=');
  }
  const number = Number(literal);
  const compare: Record<string, (a: number) => boolean> = { '=': (a) => a === number, '!=': (a) => a !== number, '<': (a) => a < number, '<=': (a) => a <= number, '>': (a) => a > number, '>=': (a) => a >= number };
  return (value, present) => present && typeof value === 'number' && compare[op!]!(value);
}
