/** Decides what of each chunk goes out, and when (`InBandErrorGuard`): `pass` may hold a chunk back, `end` gives what it still holds. */
export interface ChunkGate {
  pass(chunk: Uint8Array): Uint8Array | undefined;
  end(): Uint8Array | undefined;
  /** Whether it holds bytes back now (an event cut across chunks, waiting for its end). */
  readonly holding?: boolean;
}

/**
 * Yields each chunk, then hands it to `read`: the bytes leave before whoever meters them looks
 * at them, so reading never holds a chunk up. A consumer that stops early still has its last
 * chunk read (it may be the one that carries the usage). With a `gate`, what leaves is what the
 * gate lets through (the same chunk, for a normal event); `read` still sees the upstream's bytes.
 * `ended` is called once the source ended normally (not when it failed or the consumer stopped),
 * for a reader to read what it still holds (`SseReader.end`).
 */
export async function* passThenRead(source: AsyncIterable<Uint8Array>, read: (chunk: Uint8Array) => void, gate?: ChunkGate, ended?: () => void): AsyncGenerator<Uint8Array> {
  let unread: Uint8Array | undefined;
  try {
    for await (const chunk of source) {
      unread = chunk;
      const out = gate ? gate.pass(chunk) : chunk;
      if (out) yield out;
      unread = undefined;
      read(chunk);
    }
    ended?.();
    const rest = gate?.end();
    if (rest) yield rest;
  } finally {
    if (unread) read(unread);
  }
}
