/**
 * Lambda's streaming runtime installs a global `awslambda`; handlers that use it cannot even be
 * imported without one. This stand-in keeps the handler unwrapped and records the prelude
 * (status and headers) on the stream, so tests can assert what Lambda would send first.
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
      stream.prelude = prelude;
      return stream;
    },
  },
};
