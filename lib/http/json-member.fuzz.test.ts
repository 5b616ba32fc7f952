import { fuzzer } from '../../test/fuzz';
import { withLastMember } from './json-member';

/**
 * Random JSON objects written with random JSON whitespace between every token (as any client's
 * serialiser might), strings full of braces, brackets, quotes and escapes: the member is added
 * exactly once, the result parses to the object with the member, and the client's bytes are kept
 * as they were up to their last `}`.
 */
const USAGE = '"stream_options":{"include_usage":true}';
const SPACES = ['', '', ' ', '\t', '\n', '\r\n', '  \n  '];
const SCALARS = [null, true, false, 0, -1.5e3, '', '}', ']', '{', '"}', '\\', 'café ☀️', '\u2028', '{"a":1}', ',}'];

it('adds the member to 3 000 random objects, spaced at random, exactly as re-serialising would say', () => {
  const { random, pick, value } = fuzzer(23, { names: ['model', 'messages', 'a', '}', '"', 'stream', ''], scalars: SCALARS });
  const space = () => pick(SPACES);
  /** JSON.stringify's text with whitespace strewn between tokens (never inside strings: they come whole from JSON.stringify). */
  const spaced = (v: unknown): string => {
    if (Array.isArray(v)) return `[${space()}${v.map((x) => `${space()}${spaced(x)}${space()}`).join(',')}${space()}]`;
    if (typeof v === 'object' && v !== null) return `{${space()}${Object.entries(v).map(([k, x]) => `${space()}${JSON.stringify(k)}${space()}:${space()}${spaced(x)}${space()}`).join(',')}${space()}}`;
    return JSON.stringify(v);
  };
  let added = 0;
  for (let i = 0; i < 3_000; i++) {
    const object = Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, n) => [`${pick(['model', 'a', '}', ''])}${n}`, value(1)]));
    const text = `${space()}${spaced(object)}${space()}`;
    const bytes = Buffer.from(text);

    const out = withLastMember(bytes, USAGE);

    if (Object.keys(object).length === 0) {
      expect(out).toBeUndefined();
      continue;
    }
    added++;
    const lastBrace = text.lastIndexOf('}');
    expect(JSON.parse(out!.toString('utf8'))).toEqual({ ...object, stream_options: { include_usage: true } });
    expect(out!.subarray(0, Buffer.byteLength(text.slice(0, lastBrace))).equals(Buffer.from(text.slice(0, lastBrace)))).toBe(true);
    expect(out!.toString('utf8').slice(text.slice(0, lastBrace).length)).toBe(`,${USAGE}}`);
  }
  // Most of them had members: the property was checked, not skipped.
  expect(added).toBeGreaterThan(2_000);
});
