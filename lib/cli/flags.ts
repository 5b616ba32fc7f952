import type { KeyLimits } from '../access/api-key';
import { CliError, type HelpTopic } from './errors';

/*
 * The flags of every command, and the readers that keys and teams share (names, model patterns,
 * limits), so that both name a mistake the same way.
 */

// Every option of every command is declared once, so that options may come before or after
// the command words (`aigw --url X keys list` and `aigw keys list --url X` both work).
export const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  models: { type: 'string' },
  expires: { type: 'string' },
  grace: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'usd-per-day': { type: 'string' },
  'usd-per-month': { type: 'string' },
  'end-user-limits': { type: 'string' },
  'end-user-required': { type: 'string' },
  'end-user': { type: 'string' },
  ips: { type: 'string' },
  team: { type: 'string' },
  'no-team': { type: 'boolean' },
  audit: { type: 'string' },
  guardrails: { type: 'string' },
  params: { type: 'string' },
  key: { type: 'string' },
  model: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  by: { type: 'string' },
  'no-refresh': { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTIONS;
export type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };
/** The options that take a value. */
type StringOptionName = { [K in OptionName]: (typeof OPTIONS)[K]['type'] extends 'string' ? K : never }[OptionName];

const GLOBAL_OPTION_NAMES: readonly OptionName[] = ['url', 'token', 'help'];

/** How a limit's flag reads its value: the number, or undefined when the text is not one it takes. */
interface LimitFlag {
  flag: StringOptionName;
  field: keyof KeyLimits;
  read: (text: string) => number | undefined;
  /** Completes "--flag must be …" when `read` refuses the text. */
  expects: string;
}

const WHOLE_NUMBER = 'a whole number of at least 1';
const USD_AMOUNT = 'a USD amount such as 5, 2.50 or $0.01: more than 0 and at most 1000000000, with up to 6 decimal places';

/** The flag for each of a key's limits, in the order they are shown. */
const LIMIT_FLAGS: readonly LimitFlag[] = [
  { flag: 'rpm', field: 'requestsPerMinute', read: wholeNumber, expects: WHOLE_NUMBER },
  { flag: 'tpm', field: 'tokensPerMinute', read: wholeNumber, expects: WHOLE_NUMBER },
  { flag: 'usd-per-day', field: 'usdPerDay', read: usdAmount, expects: USD_AMOUNT },
  { flag: 'usd-per-month', field: 'usdPerMonth', read: usdAmount, expects: USD_AMOUNT },
];
export const LIMIT_OPTION_NAMES = LIMIT_FLAGS.map((l) => l.flag);

/** The word that removes a limit in `keys update`; a number can't say "no limit". */
export const NO_LIMIT = 'off';

/**
 * `--audit on|off`: whether a key's (or team's) calls go to the audit log when the gateway's
 * `audit.mode` is `flagged`.
 */
export function auditFlagFrom(text: string, topic: HelpTopic): boolean {
  const word = text.trim().toLowerCase();
  if (word === 'on') return true;
  if (word === 'off') return false;
  throw new CliError('usage', `--audit must be on or off, not ${JSON.stringify(text)}`, { topic });
}

/** `--end-user-required on|off`: whether a key refuses calls that name no end user (on) or counts them as one anonymous end user (off). */
export function endUserRequiredFrom(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (word === 'on') return true;
  if (word === 'off') return false;
  throw new CliError('usage', `--end-user-required must be on or off, not ${JSON.stringify(text)}`, { topic: 'keys' });
}

/** What names a rule set or parameter policy (the config's `guardrails.sets`, `paramPolicies`). */
const POLICY_NAME = /^[a-z0-9][a-z0-9_.-]{0,47}$/;

/**
 * `--guardrails on|off|SET`: a key's (or team's) guardrails: off exempts it, a rule set's name
 * (the config's `guardrails.sets`) screens it by that set, on drops its own choice (its team's,
 * else the gateway's rules apply). Whether the set exists is the gateway's to say.
 *
 * @example
 * guardrailsChoiceFrom('Strict', 'keys') // 'strict'
 */
export function guardrailsChoiceFrom(text: string, topic: HelpTopic): string {
  const word = text.trim().toLowerCase();
  if (POLICY_NAME.test(word)) return word;
  throw new CliError('usage', `--guardrails must be on, off or the name of a rule set in the gateway's config (guardrails.sets), not ${JSON.stringify(text)}`, { topic });
}

/**
 * `--params POLICY`: the request parameter policy (the config's `paramPolicies`) a key's (or
 * team's) calls get on top of the model's; `off` (on update) removes its own.
 *
 * @example
 * paramPolicyFrom('ci', 'keys', true) // 'ci'
 * paramPolicyFrom('off', 'keys', true) // null
 */
export function paramPolicyFrom(text: string, topic: HelpTopic, patch: boolean): string | null {
  const word = text.trim().toLowerCase();
  if (word === NO_LIMIT) {
    if (patch) return null;
    throw new CliError('usage', `--params ${NO_LIMIT} only applies to ${topic} update; leave --params out for no policy of its own`, { topic });
  }
  if (POLICY_NAME.test(word) && word !== 'on') return word;
  throw new CliError('usage', `--params must be the name of a policy in the gateway's config (paramPolicies)${patch ? ` or ${NO_LIMIT}` : ''}, not ${JSON.stringify(text)}`, { topic });
}

export function accept(values: Values, allowed: readonly OptionName[], command: string, topic: HelpTopic): void {
  for (const option of Object.keys(values) as OptionName[]) {
    if (values[option] === undefined || GLOBAL_OPTION_NAMES.includes(option) || allowed.includes(option)) continue;
    throw new CliError('usage', `${command} does not take --${option}`, { topic });
  }
}

export function noMore(extra: readonly string[], command: string, topic: HelpTopic): void {
  if (extra.length) throw new CliError('usage', `${command}: unexpected argument ${JSON.stringify(extra[0])}`, { topic });
}

/** `'gpt-4o*, claude-*'` → `['gpt-4o*', 'claude-*']`; absent → every model. */
export function splitModels(text: string | undefined): string[] {
  if (text === undefined) return ['*'];
  return text
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
}

/**
 * The limits `keys create` (or `teams create`: `what`) asked for, or undefined for none. Checked
 * here, like `--expires`, so a mistake is named as the flag the user typed rather than the API's
 * `limits.requestsPerMinute`.
 */
export function limitsFrom(values: Values, what: 'keys' | 'teams' = 'keys'): KeyLimits | undefined {
  const limits: KeyLimits = {};
  for (const limit of LIMIT_FLAGS) {
    const { flag, field } = limit;
    const text = values[flag];
    if (text === undefined) continue;
    if (text.trim() === NO_LIMIT) {
      throw new CliError('usage', `--${flag} ${NO_LIMIT} only applies to ${what} update; leave --${flag} out for a ${what === 'keys' ? 'key' : 'team'} without that limit`, { topic: what });
    }
    limits[field] = limitFrom(limit, text, '', what);
  }
  return Object.keys(limits).length ? limits : undefined;
}

/** The limits part of a merge patch (`keys update`, `teams update`): only those given; `off` becomes null, which removes the limit. */
export function limitsPatchFrom(values: Values, what: 'keys' | 'teams'): { [K in keyof KeyLimits]?: number | null } | undefined {
  const limits: { [K in keyof KeyLimits]?: number | null } = {};
  for (const limit of LIMIT_FLAGS) {
    const text = values[limit.flag];
    if (text === undefined) continue;
    limits[limit.field] = text.trim() === NO_LIMIT ? null : limitFrom(limit, text, `, or ${NO_LIMIT} to remove the limit`, what);
  }
  return Object.keys(limits).length ? limits : undefined;
}

/**
 * `--end-user-limits rpm=10,usd-per-day=1`: the limits each end user of a key (or team) is held
 * to, named as the flags of the key's own limits are, without their dashes. On update (`patch`),
 * `rpm=off` removes one and `--end-user-limits off` all of them; on create neither is taken.
 *
 * @example
 * endUserLimitsFrom('rpm=10, usd-per-day=1', 'keys', false); // { requestsPerMinute: 10, usdPerDay: 1 }
 * endUserLimitsFrom('off', 'keys', true); // { requestsPerMinute: null, tokensPerMinute: null, usdPerDay: null, usdPerMonth: null }
 */
export function endUserLimitsFrom(text: string, what: 'keys' | 'teams', patch: false): KeyLimits;
export function endUserLimitsFrom(text: string, what: 'keys' | 'teams', patch: true): { [K in keyof KeyLimits]?: number | null };
export function endUserLimitsFrom(text: string, what: 'keys' | 'teams', patch: boolean): { [K in keyof KeyLimits]?: number | null } {
  const flag = '--end-user-limits';
  const names = LIMIT_FLAGS.map((l) => l.flag).join(', ');
  if (text.trim() === NO_LIMIT) {
    if (patch) return Object.fromEntries(LIMIT_FLAGS.map((l) => [l.field, null]));
    throw new CliError('usage', `${flag} ${NO_LIMIT} only applies to ${what} update; leave ${flag} out for none`, { topic: what });
  }
  const limits: { [K in keyof KeyLimits]?: number | null } = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value, ...extra] = part.split('=').map((p) => p.trim());
    const limit = LIMIT_FLAGS.find((l) => l.flag === name);
    if (!limit || value === undefined || extra.length) {
      throw new CliError('usage', `${flag} takes NAME=VALUE pairs separated by commas (names: ${names}), such as rpm=10,usd-per-day=1; not ${JSON.stringify(part)}`, { topic: what });
    }
    if (limit.field in limits) throw new CliError('usage', `${flag} names ${name} twice`, { topic: what });
    if (patch && value === NO_LIMIT) limits[limit.field] = null;
    else limits[limit.field] = limitFrom(limit, value, patch ? `, or ${NO_LIMIT} to remove the limit` : '', what, `end-user-limits ${name}`);
  }
  if (!Object.keys(limits).length) throw new CliError('usage', `${flag} needs at least one limit, such as rpm=10 (names: ${names})`, { topic: what });
  return limits;
}

/** A limit's value as its flag reads it, or a usage error that names the flag and what it takes. */
function limitFrom({ flag, read, expects }: LimitFlag, text: string, alternative: string, topic: HelpTopic, label: string = flag): number {
  const value = read(text.trim());
  if (value !== undefined) return value;
  throw new CliError('usage', `--${label} must be ${expects}${alternative}, not ${JSON.stringify(text)}`, { topic });
}

/** A per-minute limit is a whole number of at least 1: a key allowed nothing is revoked instead. */
function wholeNumber(text: string): number | undefined {
  const value = Number(text);
  // Digits only, so `1e3`, `0x10` and `1.0` are refused rather than read the way Number() reads them.
  return /^\d+$/.test(text) && Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

/** The admin API's ceiling on a budget; below it, every micro-dollar of an amount is exact in a double. */
const MAX_USD = 1e9;

/**
 * A budget in USD, optionally written with its `$`. Budgets are counted in micro-dollars, so a
 * seventh decimal place would be silently rounded away: it is refused instead, as are exponents,
 * signs and zero (a key that may spend nothing is revoked instead).
 */
function usdAmount(text: string): number | undefined {
  const amount = /^\$?(\d+(?:\.\d{1,6})?)$/.exec(text)?.[1];
  const value = Number(amount);
  return amount !== undefined && value > 0 && value <= MAX_USD ? value : undefined;
}

