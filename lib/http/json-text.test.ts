import { FIXTURE_NAMES, loadFixture } from '../../test/integration/claude-code/fixtures';
import { jsonText } from './json-text';

/** What JSON.parse makes of the text: the value, or that it throws. */
function outcome(text: string): { value: unknown } | { throws: true } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { throws: true };
  }
}

const filler = (n: number) => 'x'.repeat(n);
/** Over 64 KB, where the escapes are used (smaller bodies take the plain decode). */
const big = (inner: string) => Buffer.from(`{"pad":"${filler(40_000)}","s":"${inner}","pad2":"${filler(40_000)}"}`);

const cases: [string, Buffer][] = [
  ['a small body', Buffer.from('{"model":"m","messages":[{"role":"user","content":"héllo ☀️"}]}')],
  ['a large ASCII body', big('plain')],
  ['accents, CJK and an astral emoji', big('é 中文 😀 ☀️')],
  // The backslash is the 4 096th byte: the last of a piece, were pieces cut at 4 KB.
  ['a backslash escaping a non-ASCII character where a piece would end (invalid)', Buffer.from(`{"s":"${filler(4089)}\\é${filler(70_000)}"}`)],
  ['a non-ASCII run across where a piece would end', Buffer.from(`{"s":"${filler(4090)}${'é'.repeat(40)}${filler(70_000)}😀"}`)],
  ['text that is all non-ASCII', Buffer.from(JSON.stringify({ s: '中'.repeat(30_000) }))],
  ['an escaped backslash before a non-ASCII character (valid)', big('\\\\é')],
  ['a backslash escaping a non-ASCII character (invalid)', big('\\é')],
  ['three backslashes before a non-ASCII character (invalid)', big('\\\\\\é')],
  ['a \\u escape cut by a non-ASCII character (invalid)', big('\\u00é9')],
  ['non-ASCII outside a string (invalid)', Buffer.from(`{"pad":"${filler(70_000)}", é: 1}`)],
  ['invalid UTF-8 bytes in a string', Buffer.concat([Buffer.from(`{"pad":"${filler(70_000)}","s":"a`), Buffer.from([0xff, 0xc3, 0x28, 0x80, 0xe2, 0x82]), Buffer.from('b"}')])],
  ['a byte-order mark first', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), big('x')])],
  ['escapes the client wrote itself', big('\\u00e9 \\ud83d\\ude00 \\n \\" é')],
  ...FIXTURE_NAMES.map((name): [string, Buffer] => [`the Claude Code capture ${name}`, Buffer.from(JSON.stringify(loadFixture(name).request.body))]),
];

describe('JSON text from UTF-8 bytes', () => {
  it.each(cases)('parses to what the plain decode parses to: %s', (_name, bytes) => {
    expect(outcome(jsonText(bytes))).toEqual(outcome(bytes.toString('utf8')));
  });

  it('escapes a large body with a few non-ASCII characters bunched together, and decodes the rest plainly', () => {
    const ascii = (text: string) => /^[\x00-\x7f]*$/.test(text);
    const sparse = jsonText(big('é 😀'));

    expect(ascii(sparse)).toBe(true);
    expect((JSON.parse(sparse) as { s: string }).s).toBe('é 😀');
    expect(ascii(jsonText(Buffer.from(JSON.stringify({ s: 'é 😀' }))))).toBe(false);
    expect(ascii(jsonText(big('中文'.repeat(5_000))))).toBe(false);
    expect(ascii(jsonText(Buffer.from(JSON.stringify({ s: `${'x'.repeat(99)}é`.repeat(1_000) }))))).toBe(false);
  });

  it('holds on bodies with bytes changed at random', () => {
    // A fixed seed: the same mutations every run.
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const source = Buffer.from(JSON.stringify(loadFixture('cc-1.0.6-tool-loop').request.body));
    const special = [0x5c, 0x22, 0xc3, 0xa9, 0xe2, 0x98, 0x80, 0xf0, 0x9f, 0xff, 0x7b, 0x7d];
    for (let round = 0; round < 60; round++) {
      const bytes = Buffer.from(source);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[Math.floor(random() * bytes.length)] = special[Math.floor(random() * special.length)]!;

      expect(outcome(jsonText(bytes))).toEqual(outcome(bytes.toString('utf8')));
    }
  });
});
