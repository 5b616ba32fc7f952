/**
 * How the CLI words a gateway it could not reach or that refused it: shared by the admin client
 * and `check stream`.
 */
import { isLocalUrl } from '../http/local-host';
import { CliError } from './errors';

/** The network error's code, looking inside fetch's `cause` (and an AggregateError's errors). */
function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? (err as { code?: string }).code;
}

const DESCRIBED: Record<string, string> = { ENOTFOUND: 'host not found', EAI_AGAIN: 'host lookup failed', ECONNRESET: 'connection reset', ETIMEDOUT: 'connection timed out' };

/**
 * No connection to the gateway at all: any later request to it would fail the same way. Not a
 * timeout: a gateway that took a connection may be slow at one call (a big roll-up) and quick at the next.
 */
export class GatewayUnreachable extends CliError {
  constructor(message: string, cause: unknown) {
    super('failed', message, { cause });
    this.name = 'GatewayUnreachable';
  }
}

/** A request that got no answer, as a message that says what to do about it. */
export function unreachable(err: unknown, url: string, timeoutMs: number): CliError {
  const name = (err as Error).name;
  if (name === 'TimeoutError') return new CliError('failed', `the gateway at ${url} did not answer within ${timeoutMs / 1000} s`, { cause: err });
  // `npm start` only helps when the gateway is meant to run on this machine.
  const hint = isLocalUrl(url)
    ? 'Start it with `npm start`, or point --url (or GATEWAY_URL) at a running gateway.'
    : 'Check the URL (--url or GATEWAY_URL) and your network.';
  const code = networkCode(err);
  if (code === 'ECONNREFUSED') return new GatewayUnreachable(`the gateway isn't running at ${url} (connection refused). ${hint}`, err);
  const detail = (code && DESCRIBED[code]) ?? code ?? ((err as { cause?: Error }).cause?.message || (err as Error).message);
  return new GatewayUnreachable(`cannot reach the gateway at ${url} (${detail}). ${hint}`, err);
}

/** The message of an OpenAI-shaped error body (`{"error":{"message",…}}`), or of AWS's `{"Message"}`. */
export function errorMessageOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; Message?: unknown; message?: unknown };
    const message = body.error?.message ?? body.Message ?? body.message;
    return typeof message === 'string' && message ? message : undefined;
  } catch {
    return undefined;
  }
}

/** A body's text on one line, cut at 200 characters, for an error message. */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
