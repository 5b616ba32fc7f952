import { isNativeError } from 'node:util/types';

/** How deep a `cause` chain is cleaned (a cycle, or a chain longer than any the gateway makes, stops there). */
const MAX_CAUSES = 4;

/**
 * An unexpected error as it may be logged: V8's `JSON.parse` message quotes the start of the text
 * it failed on (`Unexpected token 'h', "hello worl"... is not valid JSON`), and that text can be a
 * prompt or an answer, which never go to the log. The quote is cut from the message and from the
 * stack's first line, of the error and of those down its `cause` chain (Powertools logs causes
 * too); everything else (class, name, fields, stack frames, other messages) is kept as it is. An
 * error with nothing to cut is answered as it is; else a copy, the thrown one left untouched.
 *
 * @example
 * loggableError(new SyntaxError(`Unexpected token 'h', "hello worl"... is not valid JSON`)).message
 * // "Unexpected token 'h' (the text is not logged) is not valid JSON"
 */
export function loggableError(err: unknown): Error {
  // isNativeError too: node's own errors fail `instanceof Error` across realms (jest's).
  if (!isError(err)) return new Error(typeof err === 'string' ? 'a string was thrown (not logged)' : `a ${err === null ? 'null' : typeof err} was thrown`);
  return quietened(err, 0);
}

const isError = (err: unknown): err is Error => err instanceof Error || isNativeError(err);

function quietened(err: Error, depth: number): Error {
  const message = withoutQuotedInput(err.message);
  const cause = err.cause;
  const quietCause = isError(cause) && depth < MAX_CAUSES ? quietened(cause, depth + 1) : cause;
  if (message === err.message && quietCause === cause) return err;
  // Its class and own fields (a GatewayError's code) kept: Powertools logs them beside the message.
  const quiet = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err);
  // A function, not a string: a `$'` in the message (`Unexpected token '$'`) would be read as a pattern.
  const stack = err.stack?.replace(err.message, () => message);
  for (const [key, value] of [['message', message], ['stack', stack], ['cause', quietCause]] as const) {
    if (value !== undefined) Object.defineProperty(quiet, key, { value, writable: true, configurable: true, enumerable: false });
  }
  if (quiet.name !== err.name) Object.defineProperty(quiet, 'name', { value: err.name, writable: true, configurable: true, enumerable: false });
  return quiet;
}

/** V8's quote of a JSON text: `, "…"` (or `"…"...` when cut) before `is not valid JSON`, its own quotes not escaped. */
const QUOTED_JSON = /, ".*"(?:\.\.\.)? is not valid JSON$/s;

function withoutQuotedInput(message: string): string {
  return message.replace(QUOTED_JSON, ' (the text is not logged) is not valid JSON');
}
