import { crossedThreshold, percent, reachedThresholds, unannouncedThresholds } from './thresholds';

const LIMIT = 5_000_000;

describe('reachedThresholds', () => {
  it.each([
    [0, [0.8, 1], []],
    [3_999_999, [0.8, 1], []],
    [4_000_000, [0.8, 1], [0.8]],
    [4_999_999, [0.8, 1], [0.8]],
    [5_000_000, [0.8, 1], [1, 0.8]],
    [7_000_000, [0.8, 1], [1, 0.8]],
    [2_600_000, [0.5, 0.8, 1], [0.5]],
    [4_100_000, [1, 0.5, 0.8], [0.8, 0.5]],
  ])('with %i of $5 used and thresholds %j, names %j, highest first', (used, thresholds, expected) => {
    expect(reachedThresholds(used, LIMIT, thresholds)).toEqual(expected);
  });
});

describe('unannouncedThresholds', () => {
  it.each([
    ['nothing announced yet, 80 % reached', 4_000_000, undefined, [0.8]],
    ['80 % announced, still under 100 %', 4_500_000, 0.8, []],
    ['80 % announced, 100 % reached', 5_000_000, 0.8, [1]],
    ['100 % announced', 6_000_000, 1, []],
    ['both reached at once, none announced', 5_000_000, undefined, [1, 0.8]],
  ])('%s: %j', (_case, used, announced, expected) => {
    expect(unannouncedThresholds(used, LIMIT, [0.8, 1], announced)).toEqual(expected);
  });
});

it('writes fractions as percentages', () => {
  expect([0.8, 1, 0.333, 1.25].map(percent)).toEqual(['80%', '100%', '33.3%', '125%']);
});

describe('crossedThreshold', () => {
  it.each([
    ['a write that stays under 80 %', 3_900_000, 100_000, undefined],
    ['a write that lands exactly on 80 %', 4_000_000, 100_000, 0.8],
    ['a write from 3.8 to 4.1', 4_100_000, 300_000, 0.8],
    ['a write that starts at 80 % (it was reached before)', 4_200_000, 200_000, undefined],
    ['a write that jumps past 80 % and 100 % at once: the highest', 5_100_000, 2_000_000, 1],
    ['a write from 4.5 to 5', 5_000_000, 500_000, 1],
    ['a give-back (negative), even one ending past a threshold', 4_500_000, -100_000, undefined],
    ['a write of nothing', 4_000_000, 0, undefined],
  ])('%s: %j', (_case, used, added, expected) => {
    expect(crossedThreshold(used, added, LIMIT, [0.8, 1])).toBe(expected);
  });
});
