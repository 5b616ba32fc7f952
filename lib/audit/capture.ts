import type { GatewayResponse } from '../http/types';
import { isStreamBody } from '../http/types';
import { auditBody, isTextType, type AuditBody } from './record';

/**
 * The bodies of one audited request, gathered as it goes: the client's body once it is read, and
 * the answer as it leaves (a stream's chunks as they are relayed, kept by reference up to the
 * limit, never copied and never waited for). Only requests the audit log covers have one, so
 * others pay nothing.
 *
 * A capture begun `onFlag` is for a call only a `flag` rule on its answer would put in the audit
 * log (`audit.mode: "flagged"`): a hit may come after most of a stream has gone, so its bodies are
 * gathered from the start all the same (by reference, as for any capture), and its record is
 * written only once something flagged the call (`keep`); else it is dropped unread.
 */
export class AuditCapture {
  readonly #maxBytes: number;
  #wanted: boolean;
  #request: AuditBody;
  /** The client's body as read, made into its record form only when the record is made (a capture that is dropped never decodes it). */
  #requestRaw: { raw: Uint8Array; contentType: string | undefined; asText: boolean } | undefined;
  #responseType: string | undefined;
  /** A whole answer, as the door was given it: a string is encoded (up to the limit) only when the record is made. */
  #whole: Uint8Array | string | undefined;
  /** A stream's chunks kept so far (their bytes up to `maxBytes`, plus at most one chunk's worth). */
  readonly #chunks: Uint8Array[] = [];
  #kept = 0;
  #relayed = 0;

  constructor(maxBytes: number, { onFlag = false }: { onFlag?: boolean } = {}) {
    this.#maxBytes = maxBytes;
    this.#wanted = !onFlag;
    this.#request = { bytes: 0 };
  }

  /** Whether the call's record is to be written: always, but for a capture begun `onFlag` that nothing has flagged yet. */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** Something flagged the call: its record is written (a no-op for a capture that always was). */
  keep(): void {
    this.#wanted = true;
  }

  /**
   * The client's body, as read. `asText`: the gateway reads it as text (JSON) whatever its
   * content type says, so it is kept as text too: a label must not keep a prompt out of the record.
   */
  request(raw: Uint8Array, contentType: string | undefined, asText = false): void {
    // Kept by reference: the gateway never writes into a body it has read.
    this.#requestRaw = { raw, contentType, asText: asText || isTextType(contentType) };
  }

  /** The client's body, refused unread (too large): only its type and the size it declared (`content-length`) are known. */
  unread(contentType: string | undefined, declared: number): void {
    this.#requestRaw = undefined;
    this.#request = { ...(contentType ? { contentType } : {}), bytes: Number.isSafeInteger(declared) && declared > 0 ? declared : 0 };
  }

  /**
   * Watches the answer the client gets: a whole body is kept as it is; a streamed body is given
   * back as a stream that hands on each chunk as it came, keeping it on the side.
   */
  answer(res: GatewayResponse): void {
    this.#responseType = res.headers['content-type'];
    const { body } = res;
    if (!isStreamBody(body)) {
      // Kept as it is: nothing is copied or encoded while the client waits for the answer.
      this.#whole = body;
      return;
    }
    res.body = this.#tee(body);
  }

  async *#tee(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.#keep(chunk);
      yield chunk;
    }
  }

  #keep(chunk: Uint8Array): void {
    this.#relayed += chunk.byteLength;
    // One byte past the limit is enough to know the text was cut; the rest is only counted.
    if (this.#kept > this.#maxBytes) return;
    this.#chunks.push(chunk);
    this.#kept += chunk.byteLength;
  }

  /** The two bodies, as the record keeps them. */
  bodies(): { request: AuditBody; response: AuditBody } {
    const whole = this.#whole;
    let response: AuditBody;
    if (typeof whole === 'string') response = textBody(whole, this.#responseType, this.#maxBytes);
    else if (whole) response = auditBody(whole, this.#responseType, this.#maxBytes);
    else response = auditBody(this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks), this.#responseType, this.#maxBytes, this.#relayed);
    const read = this.#requestRaw;
    const request = read ? auditBody(read.raw, read.contentType, this.#maxBytes, read.raw.byteLength, read.asText) : this.#request;
    return { request, response };
  }
}

/**
 * A whole answer given as a string, for the record: its UTF-8 size, and its text as it is when it
 * fits, else its first `maxBytes` characters encoded (at least `maxBytes` bytes, as no character
 * takes less than one) and cut at a character boundary: never the whole string encoded.
 */
function textBody(text: string, contentType: string | undefined, maxBytes: number): AuditBody {
  const bytes = Buffer.byteLength(text);
  if (!isTextType(contentType)) return { ...(contentType ? { contentType } : {}), bytes };
  if (bytes <= maxBytes) return { ...(contentType ? { contentType } : {}), bytes, text };
  return auditBody(Buffer.from(text.slice(0, maxBytes)), contentType, maxBytes, bytes);
}
