import { stringsAt } from './json-location';

describe('stringsAt', () => {
  const CASES: { name: string; text: string; path: string; found: string[] }[] = [
    { name: 'a value in an array of objects', text: '{"a":[{"s":"x"},{"s":"yz"}]}', path: 'a[1].s', found: ['yz'] },
    { name: 'not a key of the same name', text: '{"s":{"s":"v"}}', path: 's', found: [] },
    { name: 'a value after an escaped quote and a nested object', text: '{"t":"a\\"b","o":{"x":[1,{"y":"}"}]},"s":"v"}', path: 's', found: ['v'] },
    { name: 'every value at a path a key repeats', text: '{"s":"one","s":"two"}', path: 's', found: ['one', 'two'] },
    { name: 'a key with odd characters', text: '{"x-note":"v"}', path: '["x-note"]', found: ['v'] },
  ];

  it.each(CASES)('finds $name', ({ text, path, found }) => {
    // Act
    const spans = stringsAt(text, (p) => p === path);
    // Assess
    expect(spans.map((s) => text.slice(s.from, s.to))).toEqual(found);
    for (const s of spans) expect(s.path).toBe(path);
  });
});
