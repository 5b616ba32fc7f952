import { partPath } from './part-path';

describe('partPath', () => {
  it.each<[string, [number, number, number?], string]>([
    ['a message’s part', [2, 0], 'messages[2].content[0]'],
    ['a part of a tool result in it', [2, 0, 1], 'messages[2].content[0].content[1]'],
    ['the first part of a tool result (k of 0 is a part, not none)', [0, 3, 0], 'messages[0].content[3].content[0]'],
  ])('names %s', (_case, [i, j, k], expected) => {
    expect(partPath(i, j, k)).toBe(expected);
  });
});
