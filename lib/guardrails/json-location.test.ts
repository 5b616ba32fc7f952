import { valuesAt } from './json-location';

describe('valuesAt', () => {
  const CASES: { name: string; text: string; path: string; found: string[] }[] = [
    { name: 'a value in an array of objects', text: '{"a":[{"s":"x"},{"s":"yz"}]}', path: 'a[1].s', found: ['yz'] },
    { name: 'not a key of the same name', text: '{"s":{"s":"v"}}', path: 's', found: [] },
    { name: 'a value after an escaped quote and a nested object', text: '{"t":"a\\"b","o":{"x":[1,{"y":"}"}]},"s":"v"}', path: 's', found: ['v'] },
    { name: 'every value at a path a key repeats', text: '{"s":"one","s":"two"}', path: 's', found: ['one', 'two'] },
    { name: 'a key with odd characters', text: '{"x-note":"v"}', path: '["x-note"]', found: ['v'] },
    { name: 'a literal', text: '{"p":[{"text":"t", "thought" : true}]}', path: 'p[0].thought', found: ['true'] },
    { name: 'a number last in an object', text: '{"s":[1,{"s": -2.5e3}]}', path: 's[1].s', found: ['-2.5e3'] },
    { name: 'nothing under another key', text: '{"t":{"u":"v"}}', path: 't.u', found: [] },
  ];

  it.each(CASES)('finds $name', ({ text, path, found }) => {
    // Act
    const spans = valuesAt(text, new Set(['s', 'x-note', 'thought']), (p) => p === path);
    // Assess
    expect(spans.map((s) => text.slice(s.from, s.to))).toEqual(found);
    for (const s of spans) expect(s.path).toBe(path);
  });

  it('tells a string from a literal of the same text', () => {
    expect(valuesAt('{"a":"true","b":true}', new Set(['a', 'b']), () => true).map((v) => [v.path, v.string])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});
