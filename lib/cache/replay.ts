/**
 * A stored stream cut back into its events, so that a replay arrives as the first one did, event
 * by event, not as one blob: SSE events end at a blank line (`\n\n`, or `\r\n\r\n` as Gemini
 * writes them). Bytes after the last blank line (none, for a whole stream) come last.
 *
 * @example
 * [...sseEvents(Buffer.from('data: 1\n\ndata: 2\n\n'))].map(String) // ['data: 1\n\n', 'data: 2\n\n']
 */
export function* sseEvents(bytes: Uint8Array): Generator<Uint8Array> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    // A blank line: "\n\n", or "\n\r\n" (the end of "\r\n\r\n").
    const end = buf[i + 1] === 0x0a ? i + 2 : buf[i + 1] === 0x0d && buf[i + 2] === 0x0a ? i + 3 : -1;
    if (end < 0) continue;
    yield buf.subarray(start, end);
    start = end;
    i = end - 1;
  }
  if (start < buf.length) yield buf.subarray(start);
}
