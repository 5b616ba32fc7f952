import { imagesAsked } from './media-operations';

describe('imagesAsked', () => {
  it.each([
    { case: 'no n', body: {}, expected: 1 },
    { case: 'n in JSON', body: { n: 3 }, expected: 3 },
    { case: 'n as an upload text field', body: { n: '4' }, expected: 4 },
    { case: 'n of zero', body: { n: 0 }, expected: 1 },
    { case: 'a negative n', body: { n: -2 }, expected: 1 },
    { case: 'a fractional n', body: { n: 1.5 }, expected: 1 },
    { case: 'a text n that is no whole number', body: { n: '2x' }, expected: 1 },
    { case: 'n of another type', body: { n: [2] }, expected: 1 },
  ])('is $expected for $case', ({ body, expected }) => {
    expect(imagesAsked(body)).toBe(expected);
  });
});
