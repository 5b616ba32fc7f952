import { JsonArraySplitter, type ArrayState } from '../http/json-array';
import { Utf8Stream } from '../http/utf8-stream';
import { clearLogprobsOfRedacted, closedChannels, echoes, eventPaths, hasOtherText, setAt, signatureSlots, textSlots, unsignRedacted, type AnswerDialect, type SignatureSlot, type TextSlot } from './answer-dialects';
import type { GuardrailHit, Guardrails } from './scan';
import { TextChannel } from './text-channel';

/** A `block` rule matched in the answer: nothing of the match has gone out. */
export class AnswerBlocked extends Error {
  constructor(
    readonly rule: string,
    /** The param path of the string it matched in (`choices[0].delta.content`), never the text. */
    readonly path: string,
  ) {
    super(`guardrail "${rule}" matched in the answer at ${path}`);
    this.name = 'AnswerBlocked';
  }
}

export interface AnswerStreamOptions {
  dialect: AnswerDialect;
  /** Hold back text a `redact` or `block` rule could still match (false: a flag-only rule set, nothing held). */
  hold: boolean;
  /** Bytes of each running text held back (`guardrails.streamWindow`). */
  window: number;
  /** The stream is Gemini's JSON array, not SSE. */
  jsonArray?: boolean;
}

/** One event of the stream, from its arrival until it goes out. */
interface Pending {
  /** The event as it came (SSE: its lines and blank line; JSON array: the element's text). */
  raw: string;
  /** Its JSON, once parsed, when something in it must change. */
  data?: unknown;
  /** Its running text, where each piece lies in its channel. */
  slots: { slot: TextSlot; range: { start: number; end: number; escaped: Buffer } }[];
  /** Redacted outside its running text (`screenAnswer`). */
  rewritten?: boolean;
  /** Signatures over earlier running text (`signatureSlots`). */
  signatures?: SignatureSlot[];
}

/**
 * A streamed answer screened on its way to the client, event by event (SSE, or Gemini's JSON
 * array), in the client's dialect: each event's running text (`textSlots`) joins its channel
 * (`TextChannel`), so a match split across events is found; the rest of the event is looked at
 * on its own (`Guardrails.screenAnswer`).
 *
 * With `hold` off (flag rules only), every event goes out as it came, at once; hits are counted
 * as matches are decided. With `hold` on, an event goes out once all of its running text is
 * settled and every event before it has gone: so text lags by at most the window (or by a match
 * still growing), non-text events wait only behind held text, and an answer with no text passes
 * as it came. A decided `redact` match is replaced in the events that carry it before they go;
 * a `block` match throws `AnswerBlocked` while none of it has gone out.
 *
 * @example
 * const screen = new AnswerStreamScreen(guardrails, { dialect: 'openai', hold: true, window: 512 });
 * for await (const chunk of upstream) yield screen.push(chunk); // may throw AnswerBlocked
 * yield screen.end();
 * screen.hits // [{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }]
 */
export class AnswerStreamScreen {
  readonly #guardrails: Guardrails;
  readonly #options: AnswerStreamOptions;
  readonly #channels = new Map<string, TextChannel>();
  /** Where each channel's text lies in the whole answer, for a block's message. */
  readonly #paths = new Map<TextChannel, string>();
  readonly #counts = new Map<string, GuardrailHit>();
  readonly #queue: Pending[] = [];
  /** The queue's head: events before it have gone (an array's `shift` moves every event behind it, so a long held queue flushed at once cost its length squared). */
  #head = 0;
  readonly #text = new Utf8Stream();
  #pending = '';
  #blocked: AnswerBlocked | undefined;
  readonly #splitter: JsonArraySplitter | undefined;
  /** What has gone out of a JSON array (for an error element to end it validly). */
  readonly #array = { opened: false, closed: false, insideElement: false };
  #out: string[] = [];

  constructor(guardrails: Guardrails, options: AnswerStreamOptions) {
    this.#guardrails = guardrails;
    this.#options = options;
    if (options.jsonArray) this.#splitter = new JsonArraySplitter((element) => this.#event(element, element));
  }

  /** The hits so far, by rule, in the order first found. */
  get hits(): GuardrailHit[] {
    return [...this.#counts.values()].map((h) => ({ ...h }));
  }

  /** The array as the client has it so far (JSON-array streams): an error element can still end it. */
  get array(): ArrayState {
    return this.#array;
  }

  /**
   * The bytes to send for the next chunk of the answer (maybe none, while text is held).
   * Throws `AnswerBlocked` when a `block` rule matched.
   */
  push(chunk: Uint8Array): Uint8Array {
    // Not the array Gemini writes after all (an error body): it goes on as it came.
    if (!this.#options.hold || this.#splitter?.invalid) {
      // Nothing to hold: the chunk goes on as it came, read on the side.
      this.#read(chunk, false);
      return chunk;
    }
    this.#read(chunk, false);
    return this.#flush(false);
  }

  /** Whatever is still held, now that the answer has ended (or been cut): all of it settled. Throws `AnswerBlocked` as `push` does. */
  end(): Uint8Array {
    this.#read(undefined, true);
    return this.#options.hold ? this.#flush(true) : new Uint8Array();
  }

  #read(chunk: Uint8Array | undefined, final: boolean): void {
    if (this.#splitter) {
      if (chunk) this.#splitter.feed(chunk);
    } else {
      this.#pending += chunk ? this.#text.write(chunk) : this.#text.end();
      for (let m = EVENT_END.exec(this.#pending); m; m = EVENT_END.exec(this.#pending)) {
        const raw = this.#pending.slice(0, m.index + m[0].length);
        this.#pending = this.#pending.slice(raw.length);
        this.#event(raw, dataOf(raw.slice(0, m.index)));
      }
      // An event the stream ended without its blank line still goes (as it came).
      if (final && this.#pending) {
        const raw = this.#pending;
        this.#pending = '';
        this.#event(raw, dataOf(raw));
      }
    }
    for (const channel of this.#channels.values()) {
      const match = channel.scan(final);
      if (match && !this.#blocked) this.#blocked = new AnswerBlocked(match.rule, this.#paths.get(channel) ?? '');
    }
    if (this.#blocked) {
      // A block found in an echo (a Responses `…done` event's copy of a text whose channel has not decided yet, when events come a chunk each) counts no hit there: its rule's hit is booked here, once.
      if (!this.#counts.has(this.#blocked.rule)) this.#count(this.#blocked.rule, 'block', 1);
      throw this.#blocked;
    }
  }

  /** One event: its running text into its channels, the rest looked at now. */
  #event(raw: string, json: string | undefined): void {
    const pending: Pending = { raw, slots: [] };
    if (json !== undefined && json.startsWith('{')) {
      let data: unknown;
      try {
        data = JSON.parse(json);
      } catch {
        data = undefined;
      }
      if (data !== undefined) {
        const { dialect } = this.#options;
        const slots = textSlots(dialect, data);
        for (const slot of slots) pending.slots.push({ slot, range: this.#channel(slot).push(slot.text) });
        const bytes = hasOtherText(dialect, data) ? Buffer.from(json) : undefined;
        const screened = bytes && this.#guardrails.screenAnswer(bytes, eventPaths(dialect, new Set(slots.map((s) => s.path))));
        if (screened) {
          if (!echoes(dialect, data)) for (const hit of screened.hits) this.#count(hit.rule, hit.action, hit.count);
          if (screened.blocked) this.#blocked ??= new AnswerBlocked(screened.blocked.rule, screened.blocked.path);
          if (screened.body !== bytes) {
            pending.data = JSON.parse(Buffer.from(screened.body).toString()) as unknown;
            pending.rewritten = true;
          } else pending.data = data;
        } else pending.data = data;
        const signatures = signatureSlots(dialect, data);
        if (signatures.length) pending.signatures = signatures;
        for (const prefix of closedChannels(dialect, data)) this.#close(prefix);
      }
    }
    if (this.#options.hold) this.#queue.push(pending);
  }

  /** Settles the running texts the stream says are complete (a key at their end cannot grow now). */
  #close(prefix: string): void {
    for (const [key, channel] of this.#channels) {
      if (key !== prefix && !key.startsWith(prefix)) continue;
      const match = channel.scan(true);
      if (match) this.#blocked ??= new AnswerBlocked(match.rule, this.#paths.get(channel) ?? '');
    }
  }

  /** Some running text whose key starts with one of `prefixes` had a redaction. */
  #redactedIn(prefixes: readonly string[]): boolean {
    for (const [key, channel] of this.#channels) if (channel.redacted && prefixes.some((prefix) => key.startsWith(prefix))) return true;
    return false;
  }

  #channel(slot: TextSlot): TextChannel {
    let channel = this.#channels.get(slot.channel);
    if (!channel) {
      channel = new TextChannel(this.#guardrails, this.#options.window, (match) => this.#count(match.rule, match.action, 1));
      this.#channels.set(slot.channel, channel);
      this.#paths.set(channel, slot.place);
    }
    return channel;
  }

  #count(rule: string, action: GuardrailHit['action'], count: number): void {
    const hit = this.#counts.get(rule);
    if (hit) hit.count += count;
    else this.#counts.set(rule, { rule, action, count, side: 'response' });
  }

  /** The events at the head of the queue whose running text is settled, as they go out. */
  #flush(final: boolean): Uint8Array {
    while (this.#head < this.#queue.length) {
      const head = this.#queue[this.#head]!;
      if (!final && head.slots.some(({ slot, range }) => range.end > this.#channels.get(slot.channel)!.decided)) break;
      this.#head++;
      this.#out.push(this.#sent(head));
    }
    // The events gone are dropped once they are half the queue: each is moved at most once more.
    if (this.#head * 2 >= this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#splitter?.closed && !this.#queue.length && !this.#array.closed) {
      this.#out.push(this.#array.opened ? '\n]' : '[]');
      this.#array.opened = true;
      this.#array.closed = true;
    }
    const out = this.#out.join('');
    this.#out = [];
    return Buffer.from(out);
  }

  /** An event as it goes out: as it came, unless something in it was redacted. */
  #sent(event: Pending): string {
    let changed = event.rewritten === true;
    for (const { slot, range } of event.slots) {
      const text = this.#channels.get(slot.channel)!.textOf(range);
      if (text === undefined) continue;
      setAt(event.data, slot.keys, text);
      changed = true;
    }
    // A signature after its text: every event of that text has gone, so every redaction in it is known.
    for (const signature of event.signatures ?? []) {
      if (!this.#redactedIn(signature.channels)) continue;
      setAt(event.data, signature.keys, signature.value);
      changed = true;
    }
    // Only a changed event can carry logprobs of redacted text, or a signature over text redacted in it; the raw text is parsed again only then.
    let before: unknown;
    const original = () => (before ??= JSON.parse((this.#splitter ? event.raw : dataOf(event.raw)) ?? 'null') as unknown);
    if (changed && event.raw.includes('logprobs')) clearLogprobsOfRedacted(original(), event.data);
    if (changed && SIGNED.test(event.raw)) unsignRedacted(original(), event.data);
    const body = changed ? JSON.stringify(event.data) : undefined;
    if (!this.#splitter) return body === undefined ? event.raw : withData(event.raw, body);
    // JSON array: elements as Google writes them, `[` before the first and `,` between.
    const element = body ?? event.raw;
    const lead = this.#array.opened ? '\n,\r\n' : '[';
    this.#array.opened = true;
    return lead + element;
  }
}

/** An event that may carry a signature over text (`unsignRedacted`). */
const SIGNED = /"(?:signature|encrypted_content|thoughtSignature)"/;

/** The blank line that ends an SSE event: two line ends, each CRLF, LF or CR alone (as `lib/http/in-band-errors.ts` splits them; a CR before an LF is one line end, not two). */
const EVENT_END = /(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)/;
/** One SSE line end. */
const LINE_END = /\r\n|\r|\n/;

/** The JSON an SSE event carries in its `data:` lines, joined; undefined without any. */
function dataOf(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split(LINE_END)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.charCodeAt(5) === 0x20 ? 6 : 5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** The SSE event with its data replaced by `json` (one `data:` line where the first was), its other lines and ending kept. */
function withData(event: string, json: string): string {
  const end = EVENT_END.exec(event);
  const head = end ? event.slice(0, end.index) : event;
  const tail = end ? event.slice(end.index) : '';
  const newline = LINE_END.exec(head)?.[0] ?? '\n';
  const lines: string[] = [];
  let placed = false;
  for (const line of head.split(LINE_END)) {
    if (!line.startsWith('data:')) lines.push(line);
    else if (!placed) {
      lines.push(`data: ${json}`);
      placed = true;
    }
  }
  return lines.join(newline) + tail;
}
