/**
 * Yields each chunk, then hands it to `read`: the bytes leave before whoever meters them looks
 * at them, so reading never holds a chunk up. A consumer that stops early still has its last
 * chunk read (it may be the one that carries the usage).
 */
export async function* passThenRead(source: AsyncIterable<Uint8Array>, read: (chunk: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  let unread: Uint8Array | undefined;
  try {
    for await (const chunk of source) {
      unread = chunk;
      yield chunk;
      unread = undefined;
      read(chunk);
    }
  } finally {
    if (unread) read(unread);
  }
}
