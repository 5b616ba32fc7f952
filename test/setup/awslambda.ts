/**
 * Lambda's streaming runtime installs a global `awslambda`; handlers that use it cannot even be
 * imported without one. This stand-in keeps the handler unwrapped and records the prelude
 * (status and headers) on the stream at its first write, so tests can assert what Lambda would send first.
 */
import type { Writable } from 'node:stream';

export interface RecordedPrelude {
  statusCode?: number;
  headers?: Record<string, string>;
}

const g = globalThis as unknown as { awslambda?: unknown };
g.awslambda = {
  streamifyResponse: <F>(fn: F): F => fn,
  HttpResponseStream: {
    from(stream: Writable & { prelude?: RecordedPrelude }, prelude: RecordedPrelude) {
      // As Lambda's runtime does, the prelude goes with the first write: a response with none loses it.
      const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      stream.write = ((...args: unknown[]) => {
        stream.prelude ??= prelude;
        return write(...args);
      }) as Writable['write'];
      return stream;
    },
  },
};
