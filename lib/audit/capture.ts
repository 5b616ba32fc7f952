import type { GatewayResponse } from '../http/types';
import { isStreamBody } from '../http/types';
import { auditBody, isTextType, type AuditBody } from './record';

/**
 * The bodies of one audited request, gathered as it goes: the client's body once it is read, and
 * the answer as it leaves (a stream's chunks as they are relayed, kept by reference up to the
 * limit, never copied and never waited for). Only requests the audit log covers have one, so
 * others pay nothing.
 */
export class AuditCapture {
  readonly #maxBytes: number;
  #request: AuditBody;
  #responseType: string | undefined;
  /** A whole answer, as the door was given it: a string is encoded (up to the limit) only when the record is made. */
  #whole: Uint8Array | string | undefined;
  /** A stream's chunks kept so far (their bytes up to `maxBytes`, plus at most one chunk's worth). */
  readonly #chunks: Uint8Array[] = [];
  #kept = 0;
  #relayed = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.#request = { bytes: 0 };
  }

  /**
   * The client's body, as read. `asText`: the gateway reads it as text (JSON) whatever its
   * content type says, so it is kept as text too: a label must not keep a prompt out of the record.
   */
  request(raw: Uint8Array, contentType: string | undefined, asText = false): void {
    this.#request = auditBody(raw, contentType, this.#maxBytes, raw.byteLength, asText || isTextType(contentType));
  }

  /** The client's body, refused unread (too large): only its type and the size it declared (`content-length`) are known. */
  unread(contentType: string | undefined, declared: number): void {
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
    return { request: this.#request, response };
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
