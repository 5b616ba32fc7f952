import { MAX_GRACE_SECONDS } from '../access/api-key';
import { CliError } from './errors';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * `--grace` of `keys rotate` in seconds: `0` (the old secret stops at once), a whole number of
 * seconds, or one with a unit (`90s`, `15m`, `1h`, `2d`). Checked here so a mistake is named as
 * the flag typed, not as the API's `graceSeconds`.
 *
 * @example
 * graceSeconds('1h'); // 3600
 */
export function graceSeconds(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (match[2] ? UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : 1) : NaN;
  if (Number.isSafeInteger(seconds) && seconds <= MAX_GRACE_SECONDS) return seconds;
  throw new CliError('usage', `--grace must be 0 or a duration of at most 30 days such as 90s, 15m, 1h or 2d, not ${JSON.stringify(text)}`, { topic: 'keys' });
}
