import { parseJsonObject } from './body';
import { withLastMember } from './json-member';

const USAGE = '"stream_options":{"include_usage":true}';

describe('withLastMember', () => {
  it.each([
    ['a compact object', '{"model":"m","stream":true}', '{"model":"m","stream":true,"stream_options":{"include_usage":true}}'],
    ['an object with whitespace and a trailing line feed', '{ "model" : "m",\n  "stream": true }\n', '{ "model" : "m",\n  "stream": true ,"stream_options":{"include_usage":true}}'],
    ['an object ending in a nested object', '{"a":{"b":[1,{"c":"}"}]}}', '{"a":{"b":[1,{"c":"}"}]},"stream_options":{"include_usage":true}}'],
    ['non-ASCII text', '{"content":"café ☀️"}', '{"content":"café ☀️","stream_options":{"include_usage":true}}'],
    ['an object ending in an array', '{"stop":["}","]"]}', '{"stop":["}","]"],"stream_options":{"include_usage":true}}'],
    ['a last string that ends in a brace', '{"a":"{"}', '{"a":"{","stream_options":{"include_usage":true}}'],
    ['a last string holding an escaped quote and a brace', '{"a":"\\"}"}', '{"a":"\\"}","stream_options":{"include_usage":true}}'],
    ['unicode escapes, a surrogate pair among them', '{"a":"\\u007d\\ud83d\\ude00"}', '{"a":"\\u007d\\ud83d\\ude00","stream_options":{"include_usage":true}}'],
    ['CRLF line ends and tabs', '{\r\n\t"model": "m",\r\n\t"stream": true\r\n}\r\n', '{\r\n\t"model": "m",\r\n\t"stream": true\r\n,"stream_options":{"include_usage":true}}'],
    ['leading whitespace', ' \n\t{"a":1}', ' \n\t{"a":1,"stream_options":{"include_usage":true}}'],
    ['a last member whose value is null', '{"a":null}', '{"a":null,"stream_options":{"include_usage":true}}'],
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
    ['only whitespace', ' \r\n'],
    ['a lone closing brace', '}'],
    ['a string', '"}"'],
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

describe('the bodies withLastMember never sees: refused before, as the gateway parses them', () => {
  it.each([
    ['a UTF-8 byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"model":"m"}')])],
    ['an array', Buffer.from('[{"model":"m"}]')],
    ['a scalar', Buffer.from('"{}"')],
    ['a comment (not JSON)', Buffer.from('{"model":"m" /* } */}')],
    ['a trailing comma', Buffer.from('{"model":"m",}')],
  ])('refuses %s with 400 invalid_json', (_name, bytes) => {
    expect(() => parseJsonObject(bytes)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_json' }) as Error);
  });
});
