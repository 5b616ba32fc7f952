import { sseFeed } from '../../http/sse';

// The response's own id leads its object in what OpenAI and Azure send (`{"id":"resp_…","object":"response",…}`),
// so it is read without parsing the rest: `response.created` echoes the request's instructions and
// tools (Codex's are tens of KB). An event written in another key order is parsed as a whole.
const CREATED_ID = /"response"\s*:\s*\{\s*"id"\s*:\s*"([^"\\]+)"/;

/** How much of a stream's start the quick read looks at (UTF-16 code units): the id comes within its first 200 or so. */
const HEAD_CHARS = 1024;

// A stream that opens with `response.created` (its event line, or its data's type first) whose
// response leads with its id, as OpenAI and Azure write it.
const HEAD = /^(?:event:[ \t]*response\.created\r?\n)?data:[ \t]*\{\s*"type"\s*:\s*"response\.created"[^\n]*?"response"\s*:\s*\{\s*"id"\s*:\s*"([^"\\]+)"/;

/**
 * The id of the response a Responses API event stream is about, from its `response.created`
 * event (the first a stream sends), as soon as that event has come; the rest of the stream costs
 * nothing. The id is read from the stream's first kilobyte where it stands as OpenAI and Azure
 * write it (no event parsed: `response.created` echoes the request's instructions and tools, tens
 * of KB for Codex); otherwise the first event is read whole and parsed. A stream that starts with
 * another event (an error) tells nothing.
 *
 * @example
 * const ids = new ResponseIdReader((id) => homes.remember(id, 'openai', 'b'));
 * ids.feed('event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1",…}}\n\n'); // tells 'resp_1'
 */
export class ResponseIdReader {
  #done = false;
  #head = '';
  /** The chunks read so far, while the quick read has not decided: the whole reader starts from them. */
  readonly #chunks: (Uint8Array | string)[] = [];
  #whole: ((chunk: Uint8Array | string) => void) | undefined;

  constructor(readonly onId: (id: string) => void) {}

  /** Reads raw bytes of the stream until its first event has been read; later chunks are not looked at. */
  feed(chunk: Uint8Array | string): void {
    if (this.#done) return;
    if (this.#whole) return this.#whole(chunk);
    this.#chunks.push(chunk);
    if (this.#head.length < HEAD_CHARS) {
      // A character cut at a chunk's end reads as a replacement here: the id and the words before it are ASCII.
      this.#head += typeof chunk === 'string' ? chunk.slice(0, HEAD_CHARS) : Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, HEAD_CHARS)).toString('utf8');
    }
    const id = HEAD.exec(this.#head)?.[1];
    if (id !== undefined) {
      this.#done = true;
      this.#chunks.length = 0;
      return this.onId(id);
    }
    // Not yet: wait for more of the head, unless the first event has ended or the head is full.
    if (this.#head.length < HEAD_CHARS && !/\r?\n\r?\n/.test(this.#head)) return;
    this.#whole = sseFeed((event) => {
      if (this.#done) return;
      // Only the first event names the response; whatever it is, nothing later is read.
      this.#done = true;
      if ((event.event ?? typeOf(event.data)) !== 'response.created') return;
      const found = createdResponseId(event.data);
      if (found !== undefined) this.onId(found);
    });
    for (const read of this.#chunks.splice(0)) if (!this.#done) this.#whole(read);
  }
}

/**
 * The response id in a `response.created` event's data: read where it leads the response object,
 * else from the parsed event.
 *
 * @example
 * createdResponseId('{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response"}}') // 'resp_1'
 */
export function createdResponseId(data: string): string | undefined {
  const fast = CREATED_ID.exec(data)?.[1];
  if (fast !== undefined) return fast;
  try {
    const id = (JSON.parse(data) as { response?: { id?: unknown } } | null)?.response?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The id of a whole Responses answer, parsed.
 *
 * @example
 * responseIdOf({ id: 'resp_1', object: 'response' }) // 'resp_1'
 */
export function responseIdOf(json: unknown): string | undefined {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** An event's `type` from its data, where the `event:` line is missing (Azure sends it; some proxies drop it). */
function typeOf(data: string): string | undefined {
  return /^\s*\{\s*"type"\s*:\s*"([^"\\]+)"/.exec(data)?.[1];
}
