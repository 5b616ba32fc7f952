import { CliError } from './errors';
import { graceSeconds } from './grace';

describe('graceSeconds', () => {
  it.each([
    ['0', 0],
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    [' 2d ', 172_800],
    ['30d', 2_592_000],
  ])('reads %j as %d seconds', (text, seconds) => {
    expect(graceSeconds(text)).toBe(seconds);
  });

  it.each(['', '-1', '1.5h', '1w', 'h', '31d', '1h30m', 'soon'])('refuses %j, naming the flag', (text) => {
    expect(() => graceSeconds(text)).toThrow(CliError);
    expect(() => graceSeconds(text)).toThrow(/^--grace must be/);
  });
});
