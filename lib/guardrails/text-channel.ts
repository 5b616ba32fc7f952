import type { Guardrails, StringMatch } from './scan';

/**
 * Bytes kept before the first undecided byte: a built-in detector looks back past its literal
 * (up to `github_pat_`, 11 characters) for what precedes it (up to a `\u201c` escape, 6): what
 * comes first must be the text's own, not a cut that looks like its start.
 */
const CONTEXT = 32;

/** A decided match to replace in the text on its way out, by absolute byte offsets of the channel. */
export interface Redaction {
  start: number;
  end: number;
  rule: string;
  /** Goes on from the redaction before it (a candidate's run past `holdMax`): replaced by nothing, so the text reads one `[REDACTED:<rule>]`. */
  unmarked?: true;
}

/**
 * One running text of a streamed answer (a choice's content, a tool call's arguments, a content
 * block), as a JSON string's text (its pieces escaped as JSON writes them, so patterns read it as
 * they read a request body), looked at as it grows, in bounded memory.
 *
 * Every byte before `decided` is settled: every match starting there is known (and was reported
 * once). A byte is settled once `window` more bytes follow it (no match is longer to recognise),
 * no match starting at or before it is still growing at the end of the text, and no candidate
 * (`Guardrails.openingIn`: text that may still become a match of a built-in known only late, a
 * JWT before its signature) starts at or before it; so the text that may go out lags the text
 * that came by at most `window` bytes, or by a growing match or an open candidate, each held at
 * most `guardrails.holdMax` bytes from its start: past that it is decided as a match of its
 * rule as it stands (redacted or blocked, never released; under `redact`, the rest of a
 * candidate's run is redacted on with it), and what follows is new text. A
 * built-in's match is known whole once a byte follows it (each is bounded by a look-ahead); a
 * pattern of the operator's once `window` bytes follow its start (it has no candidates: it must
 * be recognisable within the window).
 *
 * @example
 * const text = new TextChannel(guardrails, 512, (match) => …);
 * const range = text.push('my key is AKIA');   // byte offsets of the piece
 * const blocked = text.scan(false);           // undefined; nothing decided yet near the end
 * text.decided                                // the bytes that may go out
 */
export class TextChannel {
  /** The text from `#base` on, as of the last scan; then the pieces pushed since (joined once per scan, not once per piece). */
  #buf: Buffer = Buffer.alloc(0);
  #added: Buffer[] = [];
  #addedBytes = 0;
  #base = 0;
  #decided = 0;
  /** Text came since the last scan: a scan of the same text decides nothing new. */
  #grown = false;
  /** Where a match still growing at the end of the text began, as of the last scan (none: -1). */
  #pinned = -1;
  /** The text's end at the last scan. */
  #scannedTo = 0;
  /** The end of the last match reported, per pattern (user patterns by rule id; the built-ins, one pattern, under undefined). */
  readonly #reportedTo = new Map<string | undefined, number>();
  #redacted = false;
  /** A candidate decided at `holdMax` under a `redact` rule whose run may still go on: redacted on, unmarked, while its characters (`spans`) do. */
  #runOn: { rule: string; spans: Uint8Array } | undefined;
  /** Decided redactions not yet sent on, by start. */
  readonly redactions: Redaction[] = [];

  constructor(
    private readonly guardrails: Guardrails,
    private readonly window: number,
    private readonly onMatch: (match: StringMatch) => void,
  ) {}

  /** Absolute byte length of the text so far. */
  get end(): number {
    return this.#base + this.#buf.length + this.#addedBytes;
  }

  /** A redaction was decided somewhere in the text (a signature over it no longer holds). */
  get redacted(): boolean {
    return this.#redacted;
  }

  /** Every byte before this is settled. */
  get decided(): number {
    return this.#decided;
  }

  /** Appends a piece of text (as the model wrote it); returns its range, and its bytes as JSON text. */
  push(text: string): { start: number; end: number; escaped: Buffer } {
    // Escaped piece by piece: a JSON string's text is the concatenation of its pieces' texts.
    const escaped = Buffer.from(JSON.stringify(text).slice(1, -1));
    const start = this.end;
    this.#added.push(escaped);
    this.#addedBytes += escaped.length;
    this.#grown = true;
    return { start, end: this.end, escaped };
  }

  /**
   * Looks at the undecided text; `final` when no more will come. Reports each match once it is
   * decided (`onMatch`), records redactions, and returns the first `block` match, if any.
   */
  scan(final: boolean): StringMatch | undefined {
    const end = this.end;
    if (this.#decided >= end || (!final && !this.#grown)) return undefined;
    if (!final && this.#pinned >= 0 && !this.#rescanDue(end)) return undefined;
    this.#grown = false;
    this.#scannedTo = end;
    if (this.#added.length) {
      this.#buf = Buffer.concat([this.#buf, ...this.#added]);
      this.#added = [];
      this.#addedBytes = 0;
    }
    if (this.#runOn) this.#redactRunOn(end, final);
    let pinned = Infinity;
    let lastEnd = this.#decided;
    let blocked: StringMatch | undefined;
    // Each pattern from where the whole text's scan of it would be: `decided` (every match before it was reported), or the end of its last match when that runs past (`decided` held back by another pattern's match growing inside it).
    const base = this.#base;
    const from = (reported: number | undefined) => Math.max(this.#decided, reported ?? 0) - base;
    const scanFrom = { builtIns: from(this.#reportedTo.get(undefined)), pattern: (rule: string) => from(this.#reportedTo.get(rule)) };
    for (const m of this.guardrails.matchesInString(this.#buf, scanFrom)) {
      const start = this.#base + m.start;
      const stop = this.#base + m.end;
      if (start < this.#decided) continue;
      const settled = final || (m.own ? end - start >= this.window : stop < end) || end - start >= this.guardrails.holdMax;
      if (!settled) {
        // A match still growing; those after it are looked at again with it.
        pinned = start;
        break;
      }
      const match = { ...m, start, end: stop };
      this.onMatch(match);
      this.#reportedTo.set(m.own ? m.rule : undefined, stop);
      if (m.action === 'redact') {
        this.redactions.push({ start, end: stop, rule: m.rule });
        this.#redacted = true;
      } else if (m.action === 'block') blocked ??= match;
      lastEnd = Math.max(lastEnd, stop);
    }
    if (!final) {
      // Text that may still become a match known only late (a JWT before its signature) is held from its start, as a growing match is; not where the window holds it anyway.
      const release = Math.min(pinned, Math.max(end - this.window, lastEnd));
      const from = Math.max(this.#decided, this.#reportedTo.get(undefined) ?? 0);
      const open = release > from ? this.guardrails.openingIn(this.#buf, from - base, release - base) : undefined;
      if (open && end - (base + open.start) >= this.guardrails.holdMax) {
        // Held as long as anything is: decided as a match of its rules as it stands, rather than released.
        const start = base + open.start;
        for (const { rule, action } of open.rules) {
          const match: StringMatch = { rule, action, start, end };
          this.onMatch(match);
          if (action === 'redact') {
            this.redactions.push({ start, end, rule });
            this.#redacted = true;
          } else if (action === 'block') blocked ??= match;
        }
        this.#reportedTo.set(undefined, end);
        lastEnd = end;
        // Its run may go on: the rest of it is the same candidate, redacted too as it comes (`#redactRunOn`), never new text.
        const redacting = open.rules.find((r) => r.action === 'redact');
        if (redacting) this.#runOn = { rule: redacting.rule, spans: open.spans };
      } else if (open) pinned = Math.min(pinned, base + open.start);
    }
    this.#decided = final ? end : Math.max(this.#decided, Math.min(pinned, Math.max(end - this.window, lastEnd)));
    this.#pinned = !final && pinned !== Infinity ? pinned : -1;
    this.#trim();
    return blocked;
  }

  /**
   * The run of a candidate decided at `holdMax`, as far as it goes on from `decided`: redacted,
   * unmarked, and settled (it fails safe as its start did); once a byte that its run cannot hold
   * comes (or the text ends), what follows is new text.
   */
  #redactRunOn(end: number, final: boolean): void {
    const runOn = this.#runOn!;
    const buf = this.#buf;
    let at = this.#decided - this.#base;
    while (at < buf.length && runOn.spans[buf[at]!] === 1) at++;
    const stop = this.#base + at;
    if (stop > this.#decided) {
      this.redactions.push({ start: this.#decided, end: stop, rule: runOn.rule, unmarked: true });
      this.#reportedTo.set(undefined, stop);
      this.#decided = stop;
    }
    if (stop < end || final) this.#runOn = undefined;
  }

  /**
   * Whether to look again at a text held behind a match still growing (a PEM block before its
   * footer, a long run after a JWT's dots) or an open candidate (a JWT before its signature).
   * Each scan reads all of the held text, so scanning it on every small delta costs its length
   * squared (7.7 s of CPU for one 64 KB key in 4-byte deltas, the event loop blocked for every
   * other call). Once the held text is longer than the
   * window, it is scanned again only when it has grown by an eighth since the last scan (or has
   * reached `holdMax`, or the text ended): the held lengths scanned grow geometrically, so a
   * stream's scans cost at most about nine times its length. Skipping a scan only holds text
   * longer (nothing is decided, so nothing goes out): a match that ends waits at most an eighth
   * of what was held for the next scan to see it.
   */
  #rescanDue(end: number): boolean {
    const held = this.#scannedTo - this.#pinned;
    return held <= this.window || end - this.#scannedTo >= held / 8 || end - this.#pinned >= this.guardrails.holdMax;
  }

  /**
   * A piece's text as it goes out: its escaped bytes (`push`) with the redactions that touch its
   * range applied, a match's replacement where it starts; then redactions wholly before `upTo`
   * (the channel's text sent so far) are forgotten.
   */
  textOf(range: { start: number; end: number; escaped: Buffer }): string | undefined {
    const touching = this.redactions.filter((r) => r.start < range.end && r.end > range.start);
    const out = touching.length ? redacted(range, touching) : undefined;
    // Pieces go out in order: nothing before this one's end is asked for again.
    while (this.redactions.length && this.redactions[0]!.end <= range.end) this.redactions.shift();
    return out;
  }

  /** Drops what no scan needs: everything but `CONTEXT` bytes before `decided`, cut at the edge of an escape and of a UTF-8 character (a cut character would be read as U+FFFD, three bytes, and shift every offset after it). */
  #trim(): void {
    const keepFrom = this.#decided - CONTEXT;
    if (keepFrom <= this.#base) return;
    // Walk escapes and characters from the start (a known edge) to the last edge at or before `keepFrom`.
    const buf = this.#buf;
    const limit = keepFrom - this.#base;
    let at = 0;
    while (at < limit) {
      const width = widthAt(buf, at);
      if (at + width > limit) break;
      at += width;
    }
    this.#buf = buf.subarray(at);
    this.#base += at;
  }
}

/** The bytes of the escape or UTF-8 character at `at` of JSON text. */
function widthAt(buf: Buffer, at: number): number {
  const byte = buf[at]!;
  if (byte === 0x5c /* \ */) return buf[at + 1] === 0x75 /* u */ ? 6 : 2;
  if (byte < 0x80) return 1;
  return byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
}

/** A piece's text with redactions applied (their offsets absolute, the piece's at `range.start`), decoded from JSON text. */
function redacted(range: { start: number; end: number; escaped: Buffer }, redactions: readonly Redaction[]): string {
  const parts: string[] = [];
  let at = range.start;
  for (const r of [...redactions].sort((a, b) => a.start - b.start)) {
    if (r.start >= at) {
      parts.push(range.escaped.subarray(at - range.start, r.start - range.start).toString());
      if (!r.unmarked) parts.push(`[REDACTED:${r.rule}]`);
    }
    // A match that began in an earlier piece takes this one's text up to its end.
    at = Math.max(at, Math.min(range.end, r.end));
  }
  parts.push(range.escaped.subarray(at - range.start).toString());
  return JSON.parse(`"${parts.join('')}"`) as string;
}
