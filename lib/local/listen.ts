/**
 * Where `npm start` listens (`PORT`, `HOST`) and, when it cannot, a message that says what to do:
 * the errors node:net gives (`listen EADDRINUSE: address already in use 127.0.0.1:8787`) name
 * the problem but not the way out.
 */

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';

export interface ListenAddress {
  port: number;
  host: string;
}

/** A value a user set wrong; its message names the variable. */
export class ListenAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenAddressError';
  }
}

/**
 * `PORT` (default 8787; 0 picks a free one) and `HOST` (default 127.0.0.1) from the environment.
 *
 * @example
 * listenAddress({ PORT: '9000' }) // { port: 9000, host: '127.0.0.1' }
 */
export function listenAddress(env: NodeJS.ProcessEnv): ListenAddress {
  const text = env.PORT?.trim();
  // Digits only: Number() would take '0x1f90' or '1e3' for a port the user did not write.
  const port = !text ? DEFAULT_PORT : /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ListenAddressError(`PORT must be a port number from 0 to 65535, not ${JSON.stringify(env.PORT)}`);
  return { port, host: env.HOST?.trim() || DEFAULT_HOST };
}

/** What to tell the user when the server could not listen; undefined for any other failure. */
export function listenFailureMessage(err: unknown, { port, host }: ListenAddress): string | undefined {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (another aigw, or another program): stop it, or start on another port: PORT=${port === 65535 ? 8788 : port + 1} npm start`;
    case 'EACCES':
      return `port ${port} on ${host} needs privileges this user lacks: use a port above 1023, e.g. PORT=${DEFAULT_PORT} npm start`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST ${host} is not an address of this machine: use one of its addresses (${DEFAULT_HOST}, the default; 0.0.0.0 for all)`;
    default:
      return undefined;
  }
}
