import { withLastMember } from './json-member';

const USAGE = '"stream_options":{"include_usage":true}';

describe('withLastMember', () => {
  it.each([
    ['a compact object', '{"model":"m","stream":true}', '{"model":"m","stream":true,"stream_options":{"include_usage":true}}'],
    ['an object with whitespace and a trailing line feed', '{ "model" : "m",\n  "stream": true }\n', '{ "model" : "m",\n  "stream": true ,"stream_options":{"include_usage":true}}'],
    ['an object ending in a nested object', '{"a":{"b":[1,{"c":"}"}]}}', '{"a":{"b":[1,{"c":"}"}]},"stream_options":{"include_usage":true}}'],
    ['non-ASCII text', '{"content":"café ☀️"}', '{"content":"café ☀️","stream_options":{"include_usage":true}}'],
  ])('adds the member at the end of %s', (_name, text, expected) => {
    const out = withLastMember(Buffer.from(text), USAGE);

    expect(out?.toString('utf8')).toBe(expected);
    expect(JSON.parse(out!.toString('utf8'))).toEqual({ ...(JSON.parse(text) as object), stream_options: { include_usage: true } });
  });

  it.each([
    ['an empty object', '{}'],
    ['an empty object with whitespace', '{ \n }'],
    ['an array', '[1,2]'],
    ['bytes cut short', '{"model":"m"'],
    ['nothing', ''],
  ])('gives undefined for %s', (_name, text) => {
    expect(withLastMember(Buffer.from(text), USAGE)).toBeUndefined();
  });

  it('reads a view into a larger buffer by its own bounds', () => {
    const pool = Buffer.from('xx{"a":1}yy');
    const view = new Uint8Array(pool.buffer, pool.byteOffset + 2, 7);

    expect(withLastMember(view, '"b":2')?.toString('utf8')).toBe('{"a":1,"b":2}');
  });

  it('leaves the bytes it was given as they were', () => {
    const body = Buffer.from('{"a":1}');

    withLastMember(body, '"b":2');

    expect(body.toString('utf8')).toBe('{"a":1}');
  });
});
