import { isUtf8 } from 'node:buffer';
import { appliesTo, DEFAULT_STREAM_HOLD_MAX, SECRETS, type GuardrailAction, type GuardrailRuleConfig, type GuardrailSide, type GuardrailsConfig } from './config';
import { DETECTORS, SECRETS_PRESET, type DetectorName } from './detectors';
import { looksLikeOpenAIEncrypted, REDACTED_SIGNATURE } from '../canonical/signatures';
import { isGatewaySignature, REDACTED_THOUGHT_SIGNATURE } from '../surfaces/gemini/carried-thinking';
import { locate, segment, valuesAt, type Location } from './json-location';

/** How often one rule matched one request's body, as the usage record and the log keep it (never the text). */
export interface GuardrailHit {
  rule: string;
  action: GuardrailAction;
  count: number;
  /** `response` for a hit in the answer; absent for one in the request (as records made before answers were screened have it). */
  side?: 'response';
}

/** Where a scan of a string's text starts (`Guardrails.matchesInString`): the built-ins together, each user pattern by its rule id; byte offsets. */
export interface ScanFrom {
  builtIns: number;
  pattern: (rule: string) => number;
}

/** One match in a JSON string's text (`Guardrails.matchesInString`): its rule and byte offsets. */
export interface StringMatch {
  rule: string;
  action: GuardrailAction;
  start: number;
  end: number;
  /** The rule is the operator's own pattern (a built-in's match is known whole once a byte follows it; a pattern's may grow). */
  own?: true;
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
  /** A user pattern (run on its own, on the decoded text); built-ins run together in `#builtIns`. */
  pattern?: RegExp;
}

/** Every built-in detector the rules use, as one pattern: one pass over the body finds them all. */
interface BuiltIns {
  pattern: RegExp;
  /** Per top-level group (`d0`, `d1`, …): the rules of that detector, and its secret's group if it has one. */
  groups: { name: string; rules: number[]; secretGroup?: string }[];
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
 * Cost: every built-in detector the rules use runs at once, as one pattern, over the body's bytes
 * as a one-byte string; each detector's pattern starts with its literal, so V8 looks for those
 * (as `indexOf` would) rather than trying every pattern at every character. User patterns run on
 * their own over the decoded text. A body with no match comes back as `undefined` and its
 * bytes go on untouched.
 *
 * @example
 * const guardrails = Guardrails.from({ rules: [{ detect: 'secrets', action: 'redact' }] }); // undefined with no rules
 * const screened = guardrails?.screen(raw);
 * if (screened?.blocked) throw …; else raw = screened?.body ?? raw;
 */
export class Guardrails {
  readonly #rules: readonly Rule[];
  readonly #builtIns: BuiltIns | undefined;
  readonly #openings: Openings | undefined;
  /** The most bytes of a stream's text held from the start of a candidate or a growing match (`guardrails.streamHoldMax`). */
  readonly holdMax: number;

  private constructor(rules: readonly Rule[], detectors: readonly (DetectorName | undefined)[], holdMax: number) {
    this.#rules = rules;
    this.#builtIns = builtIns(detectors);
    this.#openings = openings(detectors);
    this.holdMax = holdMax;
  }

  /**
   * The compiled rules that look at `side` (the request body by default), or undefined when there
   * are none (then nothing is looked at on that side). A stream screened by them holds a candidate
   * at most `streamHoldMax` bytes (`DEFAULT_STREAM_HOLD_MAX` when the config does not say).
   */
  static from(config: Pick<GuardrailsConfig, 'rules'> & { on?: readonly GuardrailSide[]; streamHoldMax?: number }, side: GuardrailSide = 'request'): Guardrails | undefined {
    const compiled = config.rules.filter((rule) => appliesTo(rule, config.on ?? ['request'], side)).flatMap(compile);
    return compiled.length ? new Guardrails(compiled.map((c) => c.rule), compiled.map((c) => c.detector), config.streamHoldMax ?? DEFAULT_STREAM_HOLD_MAX) : undefined;
  }

  /**
   * The earliest text of a JSON string's text (`inner`, as `matchesInString` reads it) that may
   * still become a match of a built-in with an `opening` (a JWT before its signature): starting
   * at or after `from` and before `before`, and running to the end of the text; with the rules of
   * its detector. Undefined when there is none, which the text's last `end - before` bytes tell
   * alone in the common case (one of them is no candidate's character): a stream pays that much
   * per scan when nothing is open.
   *
   * @example
   * guardrails.openingIn(Buffer.from('see eyJhbGciOi'), 0, 5) // { start: 4, rules: [{ rule: 'jwt', action: 'redact' }], spans }
   */
  openingIn(inner: Uint8Array, from: number, before: number): Opening | undefined {
    const openings = this.#openings;
    const end = inner.length;
    if (!openings || before <= from || before > end) return undefined;
    // A candidate that starts before `before` and runs to the end spans every byte between: the last of them that is no candidate's character rules all out.
    const { chars } = openings;
    let at = end;
    while (at > before && chars[inner[at - 1]!] === 1) at--;
    if (at > before) return undefined;
    while (at > from && chars[inner[at - 1]!] === 1) at--;
    // A long run that holds no candidate (base64 data) ends here: a candidate's literal must start before `before`.
    const buf = view(inner);
    const literalBefore = (literal: string) => {
      const found = buf.indexOf(literal, at, 'latin1');
      return found >= 0 && found < before;
    };
    if (!openings.literals.some(literalBefore)) return undefined;
    const bytes = buf.toString('latin1');
    openings.pattern.lastIndex = at;
    const m = openings.pattern.exec(bytes);
    if (!m || m.index >= before) return undefined;
    const group = openings.groups.find((g) => m.groups![g.name] !== undefined)!;
    return { start: m.index, rules: group.rules.map((index) => ({ rule: this.#rules[index]!.id, action: this.#rules[index]!.action })), spans: group.spans };
  }

  /** Every rule only flags: nothing it finds changes what goes on, so a stream need hold nothing back. */
  get flagsOnly(): boolean {
    return this.#rules.every((r) => r.action === 'flag');
  }

  /** Some rule flags: on answers, a hit may put the call in the audit log (`audit.mode: "flagged"`). */
  get flags(): boolean {
    return this.#rules.some((r) => r.action === 'flag');
  }

  /** The rule ids, in order (the preset spelled out). */
  get ruleIds(): string[] {
    return this.#rules.map((r) => r.id);
  }

  /** What the rules find in a JSON body's bytes, or undefined when none matches (the common case: one pass of one pattern). */
  screen(raw: Uint8Array): Screened | undefined {
    const found = this.#find(raw);
    const screened = found.matches.length ? this.#judge(found, requestPath, true) : undefined;
    return this.#documents(raw, found, screened) ?? screened;
  }

  /**
   * What the rules find in an answer's JSON (a whole answer, or one event of a stream), counting
   * only the strings at paths `keep` takes (the model's text, not the request's settings an answer
   * echoes, nor signatures): the same judging and redaction as `screen`, without text documents.
   *
   * @example
   * guardrails.screenAnswer(bytes, (path) => path.startsWith('choices')) // undefined, or { body, hits, blocked? }
   */
  screenAnswer(raw: Uint8Array, keep: (path: string) => boolean): Screened | undefined {
    const found = this.#find(raw);
    return found.matches.length ? this.#judge(found, keep) : undefined;
  }

  /**
   * The matches in one JSON string's text (the bytes between its quotes, escapes as they are), by
   * byte offset, ascending: what a streamed answer's text is looked at with, piece by piece. A
   * match that would cut an escape is not one (as in `screen`). With `from`, the built-ins and
   * each user pattern (by rule id) start where it says, and the bytes before that are context
   * their look-behinds read: a stream's text kept from a cut (`TextChannel`) must be read on from
   * where the whole text's scan would be, or a match found at the cut (a token's left bound met by
   * the start of the string) or inside one already reported would hide one the whole text has.
   *
   * @example
   * guardrails.matchesInString(Buffer.from('key AKIA…\\n')) // [{ rule: 'aws-access-key', action: 'redact', start: 4, end: 24 }]
   */
  matchesInString(inner: Uint8Array, from?: ScanFrom): StringMatch[] {
    const found = this.#find(Buffer.concat([QUOTE, inner, QUOTE]), from && { builtIns: from.builtIns + QUOTE.length, pattern: (rule) => from.pattern(rule) + QUOTE.length });
    if (!found.matches.length) return [];
    const { matches } = usable(found.bytes, found.matches, () => true);
    return matches.map((m) => {
      const rule = this.#rules[m.rule]!;
      return { rule: rule.id, action: rule.action, start: m.start - 1, end: m.end - 1, ...(rule.pattern ? { own: true as const } : {}) };
    });
  }

  /**
   * The body's text documents and files sent as base64 (Gemini's `inlineData`, a `media_type`
   * beside `data`, a `data:text/…;base64,` URL such as OpenAI's `file_data`), screened as text: to the patterns their base64 is
   * not text at all. Undefined when the body has none, or nothing in them matched; else `screened`
   * with their hits added, their matches replaced in their base64, and their first block if the
   * body had none.
   */
  #documents(raw: Uint8Array, found: Found, screened: Screened | undefined): Screened | undefined {
    // One pattern of literals over the text already made (15–40 µs per 100 KB); the parse and the walk only for a body with a text document.
    if (!DOCUMENT_WORDS.test(found.bytes) || !DOCUMENT.test(found.bytes)) return undefined;
    // Both as scanned (ordinary escapes read): the body, or what the rules made of it.
    const base = screened && screened.body !== found.sent ? view(screened.body) : found.raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(base.toString('utf8'));
    } catch {
      return undefined;
    }
    const counts = new Map<string, number>();
    const body: [string, string][] = [];
    const audited: [string, string][] = [];
    let blocked: Screened['blocked'];
    let flagged = false;
    for (const doc of textDocuments(parsed)) {
      const input = Buffer.from(JSON.stringify(Buffer.from(doc.data, 'base64').toString('utf8')));
      const inner = this.screen(input);
      if (!inner) continue;
      for (const hit of inner.hits) counts.set(hit.rule, (counts.get(hit.rule) ?? 0) + hit.count);
      flagged ||= inner.flagged;
      blocked ??= inner.blocked && { rule: inner.blocked.rule, path: doc.path };
      // The data as the body's text holds it (base64 has no escapes, but for a wrapped one's line breaks), and again with the matches replaced.
      const was = JSON.stringify(doc.data).slice(1, -1);
      const encoded = (text: Uint8Array) => Buffer.from(JSON.parse(view(text).toString()) as string).toString('base64');
      if (inner.body !== input) body.push([was, encoded(inner.body)]);
      if (inner.audited !== input) audited.push([was, encoded(inner.audited)]);
    }
    if (!counts.size) return undefined;
    for (const hit of screened?.hits ?? []) counts.set(hit.rule, (counts.get(hit.rule) ?? 0) + hit.count);
    const hits = this.#rules.filter((r) => counts.has(r.id)).map((r) => ({ rule: r.id, action: r.action, count: counts.get(r.id)! }));
    const replaced = (from: Buffer, pairs: [string, string][]) => {
      let text = from.toString('latin1');
      for (const [was, now] of pairs) text = text.replaceAll(was, now);
      return Buffer.from(text, 'latin1');
    };
    const out: Screened = {
      body: body.length ? replaced(base, body) : (screened?.body ?? raw),
      hits,
      flagged: flagged || (screened?.flagged ?? false),
      audited: audited.length ? replaced(withOrdinaryCharacters(view(screened?.audited ?? raw)), audited) : (screened?.audited ?? raw),
    };
    const block = screened?.blocked ?? blocked;
    if (block) out.blocked = block;
    return out;
  }

  /** Every rule's matches in a body (none, often), and the body as they were looked for in. */
  /** `from`: the bytes the patterns start at (what is before only look-behinds read). */
  #find(raw: Uint8Array, from?: ScanFrom): Found {
    const sent = view(raw);
    // Patterns read JSON text: a token with an ordinary character escaped (`\/`, `\u002B`) would slip past them, so such escapes are read first.
    // A byte that is not UTF-8 is read as U+FFFD, as the parse reads it (three bytes): user patterns' offsets are counted so.
    const buf = withOrdinaryCharacters(isUtf8(sent) ? sent : Buffer.from(sent.toString('utf8')));
    // One byte, one character: built-in patterns are ASCII, so they match here as in the decoded
    // text, at byte offsets, and decoding is a copy (5 µs for 100 KB, against 0.2 ms or more to
    // decode UTF-8 with a few emoji in it).
    const bytes = buf.toString('latin1');
    const matches: Match[] = [];
    if (this.#builtIns) collectBuiltIns(this.#builtIns, bytes, matches, from?.builtIns ?? 0);
    let text: string | undefined;
    let strings: Span[] | undefined;
    this.#rules.forEach((rule, index) => {
      if (!rule.pattern) return;
      // A user pattern may hold any character, so it runs on the decoded text; its offsets are made byte offsets.
      text ??= buf.toString('utf8');
      const { pattern } = rule;
      const bytesAt = byteOffsets(text);
      const splits = escapeWalker(text);
      // The character `from` is in (a character cut there is one U+FFFD, and a match starting inside it starts before `from`).
      const start = from?.pattern(rule.id) ?? 0;
      pattern.lastIndex = start && buf.subarray(0, start).toString('utf8').length;
      for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
        // Refused by the schema (`patternProblem`); kept from looping forever all the same.
        if (m[0] === '') {
          pattern.lastIndex++;
          continue;
        }
        const start = m.index;
        const end = start + m[0].length;
        strings ??= stringSpans(text);
        const at = spanAt(strings, start);
        const span = at === undefined ? undefined : strings[at]!;
        if (!span || start >= span.to) {
          // Outside any string nothing counts: on to the next string.
          const next = strings[at === undefined ? 0 : at + 1];
          if (!next) break;
          pattern.lastIndex = next.from;
          continue;
        }
        if (end <= span.to && !splits(start) && !splits(end)) {
          matches.push({ rule: index, start: bytesAt(start), end: bytesAt(end) });
          continue;
        }
        // A match that runs past its string (`password=\S+` on past the closing quote) or cuts an
        // escape cannot be replaced: the pattern is looked for again in this string's text alone.
        collectPattern(pattern, index, text, span, start, bytesAt, matches);
        splits(span.to + 1);
        pattern.lastIndex = span.to + 1;
      }
    });
    return { raw: buf, bytes, matches, sent };
  }

  /** `unsign`: a request's redaction inside signed thinking replaces the signature that covers it too (`unsignedSpans`). */
  #judge({ raw, bytes, matches: found, sent }: Found, keep: (path: string) => boolean = requestPath, unsign = false): Screened | undefined {
    const { matches, where } = usable(bytes, found, keep);
    if (!matches.length) return undefined;
    const counts = new Map<number, number>();
    for (const m of matches) counts.set(m.rule, (counts.get(m.rule) ?? 0) + 1);
    const hits = [...counts.keys()].sort((a, b) => a - b).map((i) => ({ rule: this.#rules[i]!.id, action: this.#rules[i]!.action, count: counts.get(i)! }));
    const firstBlock = matches.find((m) => this.#rules[m.rule]!.action === 'block');
    const redacted = matches.filter((m) => this.#rules[m.rule]!.action === 'redact');
    const signatures = unsign && redacted.length ? unsignedSpans(bytes, redacted.map((m) => where.get(m.start)!.path ?? '')) : [];
    const body = redacted.length ? this.#replace(raw, redacted, signatures) : sent;
    const screened: Screened = { body, hits, flagged: hits.some((h) => h.action === 'flag'), audited: body };
    if (firstBlock) {
      screened.blocked = { rule: this.#rules[firstBlock.rule]!.id, path: this.#pathShown(where.get(firstBlock.start)!.path ?? '') };
      screened.audited = this.#replace(raw, matches.filter((m) => this.#rules[m.rule]!.action !== 'flag'));
    }
    return screened;
  }

  /** A param path as the error shows it: a key on the way that any rule matches (`input.AKIA…`) redacted, since the error goes back and to the logs. */
  #pathShown(path: string): string {
    if (!path) return path;
    // A path is one JSON string: looked at as a body of its own.
    const found = this.#find(Buffer.from(JSON.stringify(path)));
    if (!found.matches.length) return path;
    const { matches } = usable(found.bytes, found.matches, requestPath);
    return JSON.parse(this.#replace(found.raw, matches).toString()) as string;
  }

  /**
   * The bytes with each match (ascending; one that overlaps an earlier one is part of it, to its own end) replaced by `[REDACTED:<rule id>]`,
   * and each of `signatures` (never inside a match: signatures are not screened) by its mark.
   */
  #replace(raw: Buffer, matches: readonly Match[], signatures: readonly Unsigned[] = []): Buffer {
    const edits = matches.map((m) => ({ start: m.start, end: m.end, text: `[REDACTED:${this.#rules[m.rule]!.id}]` }));
    // Few (one per redacted thinking block), so merged by a sort rather than a walk of both lists.
    if (signatures.length) edits.push(...signatures.map((s) => ({ start: s.from, end: s.to, text: s.mark })));
    if (signatures.length) edits.sort((a, b) => a.start - b.start || b.end - a.end);
    const parts: Buffer[] = [];
    let at = 0;
    for (const m of edits) {
      // Overlapping matches lie in the same string, so their union does too: a later match's tail goes with the earlier one's replacement.
      if (m.start < at) {
        at = Math.max(at, m.end);
        continue;
      }
      parts.push(raw.subarray(at, m.start), Buffer.from(m.text));
      at = m.end;
    }
    parts.push(raw.subarray(at));
    return Buffer.concat(parts);
  }
}

/** An escape of a printable ASCII character other than a quote or a backslash (`\/`, `\u0041`), or any other escape, kept as it is. */
const ESCAPE = /\\(?:\/|u00([2-7][0-9A-Fa-f])|[^])/g;
/** Present when a body has an escape `ESCAPE` reads: one test of a body without any. */
const ORDINARY_ESCAPE = /\\(?:\/|u00[2-7])/i;

/**
 * The JSON text with escapes of ordinary characters written as the characters (the same JSON
 * value), so a pattern sees `+` where a client's encoder wrote `\u002B` (.NET does) and `/` where it
 * wrote `\/` (PHP does); the very same buffer when there is none.
 * Every backslash of valid JSON opens an escape in a string, so reading them in pairs from the left
 * keeps `\\/` (a backslash, then `/`) as it is.
 */
function withOrdinaryCharacters(raw: Buffer): Buffer {
  const bytes = raw.toString('latin1');
  if (!ORDINARY_ESCAPE.test(bytes)) return raw;
  return Buffer.from(
    bytes.replace(ESCAPE, (escape, hex: string | undefined) => {
      if (escape === '\\/') return '/';
      if (hex === undefined) return escape;
      const code = parseInt(hex, 16);
      return code === 0x22 || code === 0x5c || code === 0x7f ? escape : String.fromCharCode(code);
    }),
    'latin1',
  );
}

/** The bytes as a Buffer, not copied. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** What a body with a base64 text document holds. */
const DOCUMENT_WORDS = /media_type|mimeType|mime_type|data:text/;

/** A text document's media type in a body, or a text `data:` URL in base64. */
const DOCUMENT = /"(?:media_type|mimeType|mime_type)"\s*:\s*"text\/|"data:text\/[^";,]*(?:;[^";,]*)*;base64,/;

const BASE64 = /^[A-Za-z0-9+/=\s]*$/;

/** The base64 text documents of a parsed body, with the param path of their data. */
function textDocuments(value: unknown, path = '', into: { path: string; data: string }[] = []): { path: string; data: string }[] {
  if (typeof value === 'string') {
    const comma = value.indexOf(',');
    if (value.startsWith('data:text/') && comma !== -1 && value.slice(0, comma).endsWith(';base64')) into.push({ path, data: value.slice(comma + 1) });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => textDocuments(item, path + segment(i, path === ''), into));
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const mediaType = o.media_type ?? o.mimeType ?? o.mime_type;
    for (const [key, item] of Object.entries(o)) {
      const at = path + segment(key, path === '');
      // Anthropic's `{ type: "text", media_type: "text/plain", data }` holds its text as it is: scanned as any string.
      const base64 = key === 'data' && typeof item === 'string' && o.type !== 'text' && BASE64.test(item);
      if (base64 && typeof mediaType === 'string' && mediaType.startsWith('text/')) into.push({ path: at, data: item });
      else textDocuments(item, at, into);
    }
  }
  return into;
}

/** What `#find` found: the body as scanned (`raw`, and as one character a byte), the client's bytes (`sent`), and every match. */
interface Found {
  raw: Buffer;
  bytes: string;
  matches: Match[];
  sent: Buffer;
}

/**
 * The matches that count, sorted, and where their ends lie. Only matches within one JSON string
 * count: there the text reaches the model, and there a replacement keeps the JSON valid. (A
 * user pattern may match a number or across strings.)
 */
function usable(bytes: string, found: Match[], keep: (path: string) => boolean): { matches: Match[]; where: Map<number, Location> } {
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const offsets = [...new Set(found.flatMap((m) => [m.start, m.end]))].sort((a, b) => a - b);
  const where = new Map(locate(bytes, offsets).map((loc, i) => [offsets[i]!, loc]));
  const matches = found.filter((m) => {
    const from = where.get(m.start)!;
    const to = where.get(m.end)!;
    return from.string !== undefined && from.string === to.string && !from.midEscape && !to.midEscape && keep(from.path ?? '');
  });
  return { matches, where };
}

const QUOTE = Buffer.from('"');

/** A request's strings that count: all but the `OPAQUE` ones. */
const requestPath = (path: string) => !OPAQUE.test(path);

/**
 * Fields whose bytes the provider checks and no one reads: Anthropic's thinking `signature` and
 * `redacted_thinking` `data`, Responses' `encrypted_content`, Gemini's thought signatures. A broad
 * user pattern (six digits) meets their base64 by chance, and a replacement there fails the call.
 */
const OPAQUE = /^(?:messages\[\d+\]\.content\[\d+\]\.(?:signature|data)|input\[\d+\]\.encrypted_content|contents\[\d+\]\.parts\[\d+\]\.(?:thoughtSignature|thought_signature))$/;

/**
 * Signed text a client sends back, and the signature over it: Claude's thinking (a Messages
 * thinking block's `signature`), and the gateway's own carried forms of it (a Responses reasoning
 * item's `encrypted_content` the gateway wrote, over its summary and reasoning text; OpenAI's own
 * Fernet token does not cover them, and OpenAI does not check them). An empty signature signs nothing.
 */
const SIGNED_TEXT: readonly { text: RegExp; signature: (at: RegExpExecArray) => string; signs: (value: string) => boolean }[] = [
  { text: /^messages\[(\d+)\]\.content\[(\d+)\]\.thinking$/, signature: (at) => `messages[${at[1]!}].content[${at[2]!}].signature`, signs: (value) => value !== '' },
  { text: /^input\[(\d+)\]\.(?:summary|content)\[\d+\]\.text$/, signature: (at) => `input[${at[1]!}].encrypted_content`, signs: (value) => value !== '' && !looksLikeOpenAIEncrypted(value) },
];

/** A Gemini part's text; where it is a thought, the gateway's thoughtSignatures in its content (Claude's signature marked, Claude's thinking carried on a call) cover it. */
const GEMINI_TEXT = /^contents\[(\d+)\]\.parts\[(\d+)\]\.text$/;
const GEMINI_SIGNATURE = /^contents\[(\d+)\]\.parts\[\d+\]\.(?:thoughtSignature|thought_signature)$/;

/** The keys of the values `unsignedSpans` reads: signatures, and Gemini's thought flag. */
const SIGNATURE_KEYS: ReadonlySet<string> = new Set(['signature', 'encrypted_content', 'thought', 'thoughtSignature', 'thought_signature']);

/** A signature to replace, and its mark. */
interface Unsigned {
  from: number;
  to: number;
  mark: string;
}

/**
 * The signatures over text a request's redaction changed (`paths`: where the redacted matches
 * lie), whose bytes become the gateway's mark in the same pass: the provider would refuse the
 * changed text under its old signature, and the turn with it (and every later one). The mark
 * makes the gateway leave the thinking out instead (`readThinkingSignature`,
 * `withoutGatewayThinking`, `readEncryptedContent`, Gemini's `readGatewaySignature`), as on the
 * answer side (`unsignRedacted`). One more walk over the body, only when a redaction lies in
 * signed text (or in a Gemini part's text).
 */
function unsignedSpans(bytes: string, paths: readonly string[]): Unsigned[] {
  const signs = new Map<string, (value: string) => boolean>();
  // Gemini: the `thought` flag of each part whose text changed, to its content's index.
  const thoughts = new Map<string, string>();
  for (const path of paths) {
    for (const signed of SIGNED_TEXT) {
      const at = signed.text.exec(path);
      if (at) signs.set(signed.signature(at), signed.signs);
    }
    const part = GEMINI_TEXT.exec(path);
    if (part) thoughts.set(`contents[${part[1]!}].parts[${part[2]!}].thought`, part[1]!);
  }
  if (!signs.size && !thoughts.size) return [];
  const contents = new Set(thoughts.values());
  const signatureOf = (path: string) => GEMINI_SIGNATURE.exec(path)?.[1];
  // Signatures are base64 or the gateway's marks: ASCII, so the scan's one-byte-a-character text reads them as they are.
  const found = valuesAt(bytes, SIGNATURE_KEYS, (path) => signs.has(path) || thoughts.has(path) || contents.has(signatureOf(path) ?? ''));
  const value = (at: { from: number; to: number }) => bytes.slice(at.from, at.to);
  const thinking = new Set(found.filter((at) => !at.string && thoughts.has(at.path) && value(at) === 'true').map((at) => thoughts.get(at.path)!));
  return found.flatMap((at): Unsigned[] => {
    if (!at.string) return [];
    if (signs.get(at.path)?.(value(at))) return [{ from: at.from, to: at.to, mark: REDACTED_SIGNATURE }];
    const content = signatureOf(at.path);
    const gateways = content !== undefined && thinking.has(content) && isGatewaySignature(value(at)) && value(at) !== REDACTED_THOUGHT_SIGNATURE;
    return gateways ? [{ from: at.from, to: at.to, mark: REDACTED_THOUGHT_SIGNATURE }] : [];
  });
}

/** A JSON string's text, between its quotes: `from` its first character `to` its closing quote. */
interface Span {
  from: number;
  to: number;
}

/** Where each JSON string of `text` lies (one left open runs to the end). Outside strings JSON has no quote, so the next quote opens one. */
function stringSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (let open = text.indexOf('"'); open !== -1; ) {
    let close = text.indexOf('"', open + 1);
    // A quote after an odd run of backslashes is escaped.
    while (close !== -1 && escaped(text, open, close)) close = text.indexOf('"', close + 1);
    spans.push({ from: open + 1, to: close === -1 ? text.length : close });
    open = close === -1 ? -1 : text.indexOf('"', close + 1);
  }
  return spans;
}

/** The index of the last span that starts at or before `index`, if any. */
function spanAt(spans: readonly Span[], index: number): number | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  let found: number | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.from <= index) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Whether an index of `text` (asked in ascending order) falls inside an escape, after its backslash: each costs the text since the last one. */
function escapeWalker(text: string): (at: number) => boolean {
  let cursor = 0; // never inside an escape
  // The first backslash at or after the cursor (-1: none): looked for again only once passed, so a body without one is searched once, not once per match.
  let slash = -2;
  return (at) => {
    for (;;) {
      if (slash !== -1 && slash < cursor) slash = text.indexOf('\\', cursor);
      if (slash === -1 || slash >= at) {
        cursor = Math.max(cursor, at);
        return false;
      }
      const width = text.charCodeAt(slash + 1) === 0x75 /* u */ ? 6 : 2;
      if (at < slash + width) {
        cursor = slash;
        return true;
      }
      cursor = slash + width;
    }
  };
}

function escaped(text: string, open: number, at: number): boolean {
  let run = 0;
  for (let i = at - 1; i > open && text.charCodeAt(i) === 0x5c /* \ */; i--) run++;
  return run % 2 === 1;
}

/**
 * After this many matches in one string that would cut an escape, a pattern looks no further in
 * it: each look again runs from just past the escape, and a pattern whose every match starts on
 * an escape's letter would otherwise cost the string's length once per escape.
 */
const MAX_RETRIES = 64;

/**
 * A user pattern's matches in one JSON string's text, from `first` on. A match that would start or
 * end inside an escape (the `n` of `\n`: `[a-z_]*password=\S+` with `i` on a `.env` line takes it)
 * cannot be replaced without breaking the JSON: the pattern is looked for again from past its start.
 */
function collectPattern(pattern: RegExp, rule: number, text: string, { from, to }: Span, first: number, bytesAt: (index: number) => number, into: Match[]): void {
  const inner = text.slice(from, to);
  let inEscape: Uint8Array | undefined;
  let retries = 0;
  pattern.lastIndex = first - from;
  for (let m = pattern.exec(inner); m; m = pattern.exec(inner)) {
    const start = m.index;
    const end = start + m[0].length;
    // Refused by the schema (`patternProblem`); kept from looping forever all the same.
    if (m[0] === '') {
      pattern.lastIndex++;
      continue;
    }
    inEscape ??= insideEscapes(inner);
    if (inEscape[start] || inEscape[end]) {
      if (++retries > MAX_RETRIES) return;
      pattern.lastIndex = start + 1;
      continue;
    }
    into.push({ rule, start: bytesAt(from + start), end: bytesAt(from + end) });
  }
}

/** Per character of a JSON string's text (and one past its end), whether it lies inside an escape, after its backslash. */
function insideEscapes(inner: string): Uint8Array {
  const inside = new Uint8Array(inner.length + 1);
  for (let i = inner.indexOf('\\'); i !== -1 && i < inner.length; i = inner.indexOf('\\', i)) {
    const width = inner.charCodeAt(i + 1) === 0x75 /* u */ ? 6 : 2;
    inside.fill(1, i + 1, Math.min(i + width, inner.length));
    i += width;
  }
  return inside;
}

/** UTF-16 offsets of `text` as UTF-8 byte offsets, for offsets asked in ascending order: each costs the text since the last one. */
function byteOffsets(text: string): (index: number) => number {
  let chars = 0;
  let bytes = 0;
  return (index) => {
    if (index < chars) {
      chars = 0;
      bytes = 0;
    }
    bytes += Buffer.byteLength(text.slice(chars, index));
    chars = index;
    return bytes;
  };
}

/** A configured rule as the rules it stands for: the preset is one per built-in (named after it, unless the rule has an id). */
function compile(config: GuardrailRuleConfig): { rule: Rule; detector?: DetectorName }[] {
  const { detect, action } = config;
  if (detect === SECRETS) return SECRETS_PRESET.map((name) => ({ rule: { id: config.id ?? name, action }, detector: name }));
  if (typeof detect === 'string') return [{ rule: { id: config.id ?? detect, action }, detector: detect }];
  // Checked by the schema (`patternProblem`): it compiles and never matches emptily.
  return [{ rule: { id: config.id!, action, pattern: new RegExp(detect.regex, `g${detect.flags}`) } }];
}

/** A candidate in a stream's text (`Guardrails.openingIn`): where it starts, its detector's rules, and the bytes its run may hold (1 for each). */
export interface Opening {
  start: number;
  rules: { rule: string; action: GuardrailAction }[];
  spans: Uint8Array;
}

/** The openings (`Detector.opening`) of the built-ins the rules use, as one pattern, and a byte table of the characters any of them spans. */
interface Openings {
  pattern: RegExp;
  groups: { name: string; rules: number[]; spans: Uint8Array }[];
  /** 1 for a byte some opening may span. */
  chars: Uint8Array;
  /** What their candidates start with. */
  literals: string[];
}

/** The openings of the built-ins the rules use (rule index to detector), whatever the rules' actions: a flag's hit must not be lost either; undefined when none has one. */
function openings(detectors: readonly (DetectorName | undefined)[]): Openings | undefined {
  const byDetector = new Map<DetectorName, number[]>();
  detectors.forEach((name, rule) => {
    if (name && DETECTORS[name].opening) byDetector.set(name, [...(byDetector.get(name) ?? []), rule]);
  });
  if (!byDetector.size) return undefined;
  const names = [...byDetector.keys()];
  const chars = new Uint8Array(256);
  const groups = names.map((name, i) => {
    const spans = new Uint8Array(256);
    const spanned = new RegExp(`^${DETECTORS[name].opening!.chars}$`);
    for (let byte = 0; byte < 256; byte++) if (spanned.test(String.fromCharCode(byte))) spans[byte] = chars[byte] = 1;
    return { name: `o${i}`, rules: byDetector.get(name)!, spans };
  });
  const literals = names.map((name) => DETECTORS[name].opening!.literal);
  return { pattern: new RegExp(names.map((name, i) => `(?<o${i}>${DETECTORS[name].opening!.source})`).join('|'), 'g'), groups, chars, literals };
}

/** The built-in detectors the rules use (rule index to detector), as one pattern with a named group per detector. */
function builtIns(detectors: readonly (DetectorName | undefined)[]): BuiltIns | undefined {
  const byDetector = new Map<DetectorName, number[]>();
  detectors.forEach((name, rule) => {
    if (name) byDetector.set(name, [...(byDetector.get(name) ?? []), rule]);
  });
  if (!byDetector.size) return undefined;
  const groups = [...byDetector].map(([name, rules], i) => ({ name: `d${i}`, rules, ...(DETECTORS[name].secretGroup ? { secretGroup: DETECTORS[name].secretGroup } : {}) }));
  const source = [...byDetector.keys()].map((name, i) => `(?<d${i}>${DETECTORS[name].source})`).join('|');
  return { pattern: new RegExp(source, 'gd'), groups };
}

function collectBuiltIns({ pattern, groups }: BuiltIns, bytes: string, into: Match[], from = 0): void {
  pattern.lastIndex = from;
  for (let m = pattern.exec(bytes); m; m = pattern.exec(bytes)) {
    const group = groups.find((g) => m!.groups![g.name] !== undefined)!;
    const [start, end] = (group.secretGroup && m.indices!.groups![group.secretGroup]) || [m.index, m.index + m[0].length];
    for (const rule of group.rules) into.push({ rule, start, end });
  }
}
