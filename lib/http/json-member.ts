const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;
/** JSON's whitespace: space, tab, line feed, carriage return. */
const isSpace = (byte: number | undefined) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * The bytes of a JSON object with one member added at its end (`"name":value`, given as its JSON
 * text), the rest as it was: what re-serialising the parsed object with the member added would
 * say, without serialising it again. Made for a body already parsed as an object that lacks the
 * member (a duplicate name would be the caller's mistake); anything else (an empty object, bytes
 * that do not end with `}`) gives undefined, for the caller to serialise instead.
 *
 * Why: a stream the gateway must ask usage for (`stream_options`) went out re-serialised, and an
 * agent's 70 KB body takes ~0.2–0.5 ms to serialise, before the request can leave; adding to its
 * bytes is one copy (`bench/first-byte.ts`, README "Benchmarks").
 *
 * @example
 * withLastMember(Buffer.from('{"model":"m"}'), '"stream_options":{"include_usage":true}') // {"model":"m","stream_options":{"include_usage":true}}
 */
export function withLastMember(object: Uint8Array, member: string): Buffer | undefined {
  let end = object.length - 1;
  while (isSpace(object[end])) end--;
  if (object[end] !== CLOSE_BRACE) return undefined;
  let last = end - 1;
  while (isSpace(object[last])) last--;
  // `{}` (or nothing before the brace) has no member to follow with a comma.
  if (last < 0 || object[last] === OPEN_BRACE) return undefined;
  const head = Buffer.from(object.buffer, object.byteOffset, end);
  return Buffer.concat([head, Buffer.from(`,${member}}`)]);
}
