import { isNativeError } from 'node:util/types';

/**
 * An unexpected error as it may be logged: V8's `JSON.parse` message quotes the start of the text
 * it failed on (`Unexpected token 'h', "hello worl"... is not valid JSON`), and that text can be a
 * prompt or an answer, which never go to the log. The quote is cut from the message and from the
 * stack's first line; everything else (name, stack frames, other messages) is kept as it is.
 *
 * @example
 * loggableError(new SyntaxError(`Unexpected token 'h', "hello worl"... is not valid JSON`)).message
 * // "Unexpected token 'h' (the text is not logged) is not valid JSON"
 */
export function loggableError(err: unknown): Error {
  // isNativeError too: node's own errors fail `instanceof Error` across realms (jest's).
  if (!(err instanceof Error || isNativeError(err))) return new Error(typeof err === 'string' ? 'a string was thrown (not logged)' : `a ${err === null ? 'null' : typeof err} was thrown`);
  const message = withoutQuotedInput(err.message);
  if (message === err.message) return err;
  const quiet = new Error(message);
  quiet.name = err.name;
  // A function, not a string: a `$'` in the message (`Unexpected token '$'`) would be read as a pattern.
  quiet.stack = err.stack?.replace(err.message, () => message);
  return quiet;
}

/** V8's quote of a JSON text: `, "…"` (or `"…"...` when cut) before `is not valid JSON`, its own quotes not escaped. */
const QUOTED_JSON = /, ".*"(?:\.\.\.)? is not valid JSON$/s;

function withoutQuotedInput(message: string): string {
  return message.replace(QUOTED_JSON, ' (the text is not logged) is not valid JSON');
}
