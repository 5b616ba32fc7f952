const LF = 0x0a;
const CR = 0x0d;

/**
 * A stored stream cut back into its events, so that a replay arrives as the first one did, event
 * by event, not as one blob: SSE events end at a blank line, a line end right after a line end, in
 * any of the spec's three kinds (`\n`, `\r\n`, `\r`: `\n\n`, `\r\n\r\n` as Gemini writes them,
 * `\r\r`). Bytes after the last blank line (none, for a whole stream) come last. The bytes are
 * whole here, so a CR is never the first half of a CRLF yet to come, as it may be at a live
 * chunk's end (`SseEventEnds`).
 *
 * @example
 * [...sseEvents(Buffer.from('data: 1\n\ndata: 2\n\n'))].map(String) // ['data: 1\n\n', 'data: 2\n\n']
 */
export function* sseEvents(bytes: Uint8Array): Generator<Uint8Array> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    if (buf[i] !== LF && buf[i] !== CR) {
      i++;
      continue;
    }
    const next = lineEndAt(buf, i);
    if (buf[next] === LF || buf[next] === CR) {
      const end = lineEndAt(buf, next);
      yield buf.subarray(start, end);
      start = end;
      i = end;
    } else {
      i = next;
    }
  }
  if (start < buf.length) yield buf.subarray(start);
}

/** Just past the line end at `i` (a CR or LF): CRLF counts as one. */
function lineEndAt(buf: Buffer, i: number): number {
  return buf[i] === CR && buf[i + 1] === LF ? i + 2 : i + 1;
}
