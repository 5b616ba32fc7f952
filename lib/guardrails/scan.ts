import { SECRETS, type GuardrailAction, type GuardrailRuleConfig, type GuardrailsConfig } from './config';
import { DETECTORS, SECRETS_PRESET, type Detector } from './detectors';
import { locate } from './json-location';

/** How often one rule matched one request's body, as the usage record and the log keep it (never the text). */
export interface GuardrailHit {
  rule: string;
  action: GuardrailAction;
  count: number;
}

/** What screening a body found: the hits, and what to do about them. */
export interface Screened {
  /** The body to send on: the client's very bytes unless a `redact` rule matched. */
  body: Uint8Array;
  /** Per rule that matched, in config order. */
  hits: GuardrailHit[];
  /** The first match of a `block` rule in the body, and the param path of the string it lies in. */
  blocked?: { rule: string; path: string };
  /** Some `flag` rule matched. */
  flagged: boolean;
  /** The body as an audit record keeps it: `body`, with a blocked call's blocked matches redacted too (it went nowhere, and the secret need not land in the log). */
  audited: Uint8Array;
}

interface Rule {
  id: string;
  action: GuardrailAction;
  /** Literals one of which any match holds, as bytes; none for user patterns (they always run). */
  prefilter?: readonly Buffer[];
  pattern: RegExp;
  secretGroup?: number;
}

interface Match {
  rule: number;
  start: number;
  end: number;
}

/**
 * The gateway's guardrails, compiled once from `guardrails.rules`: `screen` looks for every
 * rule's matches in a JSON body's text and says what to do.
 *
 * Cost: a body is first searched for each built-in rule's literals (`Buffer.indexOf` on its
 * bytes); only when one is found is the body decoded and that rule's pattern run. User patterns
 * have no literal and run on every body. A body with no match comes back as `undefined` and its
 * bytes go on untouched.
 *
 * @example
 * const guardrails = Guardrails.from({ rules: [{ detect: 'secrets', action: 'redact' }] }); // undefined with no rules
 * const screened = guardrails?.screen(raw);
 * if (screened?.blocked) throw …; else raw = screened?.body ?? raw;
 */
export class Guardrails {
  readonly #rules: readonly Rule[];

  private constructor(rules: readonly Rule[]) {
    this.#rules = rules;
  }

  /** The compiled rules, or undefined when there are none (then no body is looked at). */
  static from(config: GuardrailsConfig): Guardrails | undefined {
    const rules = config.rules.flatMap(compile);
    return rules.length ? new Guardrails(rules) : undefined;
  }

  /** The rule ids, in order (the preset spelled out). */
  get ruleIds(): string[] {
    return this.#rules.map((r) => r.id);
  }

  /** What the rules find in a JSON body's bytes, or undefined when none matches (the common case, one pass of literal searches). */
  screen(raw: Uint8Array): Screened | undefined {
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let text: string | undefined;
    const matches: Match[] = [];
    this.#rules.forEach((rule, index) => {
      if (rule.prefilter && !rule.prefilter.some((literal) => buf.indexOf(literal) !== -1)) return;
      text ??= buf.toString('utf8');
      collect(rule, index, text, matches);
    });
    if (!matches.length) return undefined;
    return this.#judge(buf, text!, matches);
  }

  #judge(raw: Buffer, text: string, found: Match[]): Screened | undefined {
    found.sort((a, b) => a.start - b.start || b.end - a.end);
    // Only matches within one JSON string count: there the text reaches the model, and there a
    // replacement keeps the JSON valid. (A user pattern may match a number or across strings.)
    const offsets = [...new Set(found.flatMap((m) => [m.start, m.end]))].sort((a, b) => a - b);
    const where = new Map(locate(text, offsets).map((loc, i) => [offsets[i]!, loc]));
    const matches = found.filter((m) => {
      const from = where.get(m.start)!;
      const to = where.get(m.end)!;
      return from.string !== undefined && from.string === to.string && !from.midEscape && !to.midEscape;
    });
    if (!matches.length) return undefined;
    const counts = new Map<number, number>();
    for (const m of matches) counts.set(m.rule, (counts.get(m.rule) ?? 0) + 1);
    const hits = [...counts.keys()].sort((a, b) => a - b).map((i) => ({ rule: this.#rules[i]!.id, action: this.#rules[i]!.action, count: counts.get(i)! }));
    const firstBlock = matches.find((m) => this.#rules[m.rule]!.action === 'block');
    const redacted = matches.filter((m) => this.#rules[m.rule]!.action === 'redact');
    const body = redacted.length ? Buffer.from(this.#replace(text, redacted)) : raw;
    const screened: Screened = { body, hits, flagged: hits.some((h) => h.action === 'flag'), audited: body };
    if (firstBlock) {
      screened.blocked = { rule: this.#rules[firstBlock.rule]!.id, path: where.get(firstBlock.start)!.path ?? '' };
      screened.audited = Buffer.from(this.#replace(text, matches.filter((m) => this.#rules[m.rule]!.action !== 'flag')));
    }
    return screened;
  }

  /** The text with each match (ascending; one that overlaps an earlier one is part of it) replaced by `[REDACTED:<rule id>]`. */
  #replace(text: string, matches: readonly Match[]): string {
    let out = '';
    let at = 0;
    for (const m of matches) {
      if (m.start < at) continue;
      out += text.slice(at, m.start) + `[REDACTED:${this.#rules[m.rule]!.id}]`;
      at = m.end;
    }
    return out + text.slice(at);
  }
}

/** A configured rule as the rules it stands for: the preset is one per built-in (named after it, unless the rule has an id). */
function compile(config: GuardrailRuleConfig): Rule[] {
  const { detect, action } = config;
  if (detect === SECRETS) return SECRETS_PRESET.map((name) => builtIn(config.id ?? name, action, DETECTORS[name]));
  if (typeof detect === 'string') return [builtIn(config.id ?? detect, action, DETECTORS[detect])];
  // Checked by the schema (`patternProblem`): it compiles and never matches emptily.
  return [{ id: config.id!, action, pattern: new RegExp(detect.regex, `gd${detect.flags}`) }];
}

function builtIn(id: string, action: GuardrailAction, detector: Detector): Rule {
  // A copy per rule: a global pattern keeps its position (`lastIndex`), and two rules may share a detector.
  const rule: Rule = { id, action, prefilter: detector.prefilter.map((l) => Buffer.from(l, 'latin1')), pattern: new RegExp(detector.pattern) };
  if (detector.secretGroup !== undefined) rule.secretGroup = detector.secretGroup;
  return rule;
}

function collect(rule: Rule, index: number, text: string, into: Match[]): void {
  const { pattern } = rule;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m[0] === '') {
      // Refused by the schema; kept from looping forever all the same.
      pattern.lastIndex++;
      continue;
    }
    const span = rule.secretGroup !== undefined ? m.indices?.[rule.secretGroup] : undefined;
    const [start, end] = span ?? [m.index, m.index + m[0].length];
    into.push({ rule: index, start, end });
  }
}
