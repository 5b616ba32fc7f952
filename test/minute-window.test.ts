import { minuteClock, msToNextPeriodIfEnding } from './minute-window';

const at = (iso: string) => Date.parse(iso);
const DAY_MS = 86_400_000;

describe('msToNextPeriodIfEnding', () => {
  it.each([
    ['a day with more than the margin left', '2026-11-28T23:59:00.000Z', DAY_MS, 30_000, 0],
    ['a day with exactly the margin left', '2026-11-28T23:59:30.000Z', DAY_MS, 30_000, 0],
    ['a day with less than the margin left', '2026-11-28T23:59:45.500Z', DAY_MS, 30_000, 14_500],
    ['the last millisecond of a day', '2026-11-28T23:59:59.999Z', DAY_MS, 30_000, 1],
    ['the first millisecond of a day', '2026-11-29T00:00:00.000Z', DAY_MS, 30_000, 0],
    ['the last seconds of a month', '2026-11-30T23:59:50.000Z', DAY_MS, 30_000, 10_000],
    ['a minute with more than the margin left', '2026-11-28T12:00:10.000Z', 60_000, 5_000, 0],
    ['a minute with less than the margin left', '2026-11-28T12:00:57.000Z', 60_000, 5_000, 3_000],
  ])('%s', (_, now, periodMs, marginMs, expected) => {
    // Act
    const wait = msToNextPeriodIfEnding(at(now), periodMs, marginMs);

    // Assess
    expect(wait).toBe(expected);
  });
});

describe('minuteClock', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['moves a clock near midnight UTC on to the first millisecond of the next day', '2026-11-28T23:59:20.000Z', '2026-11-29T00:00:00.000Z'],
    ['leaves a clock with more than the margin left of its day where it is', '2026-11-28T23:58:59.000Z', '2026-11-28T23:58:59.000Z'],
  ])('clearOfDayEnd %s', (_, wall, expected) => {
    // Prepare
    jest.spyOn(Date, 'now').mockReturnValue(at(wall));
    const clock = minuteClock();

    // Act
    clock.clearOfDayEnd(60_000);

    // Assess
    expect(new Date(clock.now()).toISOString()).toBe(expected);
  });

  it('keeps the distance it was moved as the wall clock runs on, and moves only forward', () => {
    // Prepare
    const wall = jest.spyOn(Date, 'now').mockReturnValue(at('2026-11-28T23:59:50.000Z'));
    const clock = minuteClock();
    clock.clearOfDayEnd();

    // Act
    wall.mockReturnValue(at('2026-11-28T23:59:55.000Z'));
    clock.clearOfDayEnd();

    // Assess: 10 s ahead of the wall, and a second call in the new day moved it no further.
    expect(new Date(clock.now()).toISOString()).toBe('2026-11-29T00:00:05.000Z');
  });
});
