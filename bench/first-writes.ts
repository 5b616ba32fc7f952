import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** Times from each request's arrival at `server` to the first write on its socket. */
export function firstWrites(server: Server): number[] {
  const times: number[] = [];
  let arrived: number | undefined;
  // Bench-only: the socket's one write path (`_writeGeneric` serves write and writev), wrapped once per connection.
  type Writable = Socket & { _writeGeneric: (...args: unknown[]) => unknown; firstByteWrapped?: true };
  server.prependListener('request', (req: IncomingMessage) => {
    arrived = performance.now();
    const socket = req.socket as Writable;
    if (socket.firstByteWrapped) return;
    socket.firstByteWrapped = true;
    const write = socket._writeGeneric;
    socket._writeGeneric = function firstByteWrite(this: Writable, ...args: unknown[]) {
      if (arrived !== undefined) times.push(performance.now() - arrived);
      arrived = undefined;
      return write.apply(this, args);
    };
  });
  return times;
}
