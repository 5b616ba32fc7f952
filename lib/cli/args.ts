import { parseArgs } from 'node:util';
import type { KeyLimits } from '../access/api-key';
import { MAX_ALLOWED_IPS, readIpRule } from '../access/ip-allowlist';
import type { KeyPatch } from './admin-client';
import { CliError, type HelpTopic } from './errors';
import { LIMIT_OPTION_NAMES, NO_LIMIT, OPTIONS, accept, auditFlagFrom, endUserLimitsFrom, endUserRequiredFrom, guardrailsChoiceFrom, limitsFrom, limitsPatchFrom, noMore, paramPolicyFrom, splitModels, type OptionName, type Values } from './flags';
import { graceSeconds } from './grace';
import { teamCommandFrom, type TeamCommand } from './team-args';

export { splitModels } from './flags';

/** What the command line asked for. */
export type Command =
  | { kind: 'help'; topic: HelpTopic }
  | { kind: 'keys-create'; name: string; models: string[]; limits?: KeyLimits; endUserLimits?: KeyLimits; endUserRequired?: boolean; allowedIps?: string[]; teamId?: string; audit?: boolean; guardrails?: string; params?: string; expiresAt?: string; json: boolean }
  | { kind: 'keys-list'; json: boolean }
  | { kind: 'keys-show'; id: string; json: boolean }
  | { kind: 'keys-update'; id: string; patch: KeyPatch; json: boolean }
  | { kind: 'keys-revoke'; id: string; json: boolean }
  | { kind: 'keys-rotate'; id: string; graceSeconds?: number; json: boolean }
  | TeamCommand
  | { kind: 'usage'; from?: string; to?: string; key?: string; team?: string; endUser?: string; by: UsageGrouping; refresh: boolean; json: boolean }
  | { kind: 'config-check'; file?: string }
  | { kind: 'check-stream'; key: string; model: string; json: boolean };

/** What `aigw usage --by` groups the report's rows by. */
export type UsageGrouping = 'key' | 'team' | 'model' | 'day' | 'end-user';

/** Options every command accepts; only the ones that reach the gateway use them. */
export interface GlobalOptions {
  url?: string;
  token?: string;
}

export interface ParsedCommandLine {
  command: Command;
  global: GlobalOptions;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// The shape the admin API accepts: an ISO date-time with seconds and a zone (Z or ±hh:mm).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads `aigw`'s arguments (without `node` and the script) into a command.
 * Throws a `usage` CliError, naming the mistake, when they make no sense.
 *
 * @example
 * parseCommandLine(['keys', 'create', '--name', 'alice', '--models', 'gpt-4o*,claude-*']);
 * // → { command: { kind: 'keys-create', name: 'alice', models: ['gpt-4o*', 'claude-*'], json: false }, global: {} }
 */
export function parseCommandLine(argv: readonly string[], now: Date = new Date()): ParsedCommandLine {
  const { values, positionals } = parseOrExplain(argv);
  const global: GlobalOptions = {};
  if (values.url !== undefined) global.url = values.url;
  if (values.token !== undefined) global.token = values.token;
  return { command: commandFrom(positionals, values, now), global };
}

function parseOrExplain(argv: readonly string[]): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new CliError('usage', explainParseError(err), { topic: topicOf(argv.filter((a) => !a.startsWith('-'))), cause: err });
  }
  refuseRepeats(parsed.tokens, parsed.positionals);
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

/**
 * Every flag that takes a value takes one; parseArgs would keep the last of two, so
 * `--rpm 1 --rpm 5` would quietly become rpm 5. A repeated switch (`--json --json`) loses
 * nothing and is taken.
 */
function refuseRepeats(tokens: readonly { kind: string; name?: string; value?: string }[], positionals: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined || token.value === undefined) continue;
    const first = seen.get(token.name);
    if (first === undefined) {
      seen.set(token.name, token.value);
      continue;
    }
    const topic = topicOf(positionals);
    // A list of limits given twice reads as two halves of one list: say how to give it as one.
    if (token.name === 'end-user-limits') {
      throw new CliError('usage', '--end-user-limits is given more than once; name every limit in one, such as rpm=10,usd-per-day=1', { topic });
    }
    throw new CliError('usage', `--${token.name} is given more than once (${JSON.stringify(first)}, then ${JSON.stringify(token.value)}); give it once`, { topic });
  }
}

function explainParseError(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(message ?? '')?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return OPTIONS[option.replace(/^-+/, '') as OptionName]?.type === 'boolean' ? `${option} takes no value` : `${option} needs a value`;
  }
  return message ?? String(err);
}

function topicOf(positionals: readonly string[]): HelpTopic {
  const first = positionals[0] === 'help' ? positionals[1] : positionals[0];
  return first === 'keys' || first === 'teams' || first === 'usage' || first === 'config' || first === 'check' ? first : 'main';
}

function commandFrom(positionals: readonly string[], values: Values, now: Date): Command {
  const [group, action, ...rest] = positionals;
  if (group === 'help') return { kind: 'help', topic: topicOf(positionals) };
  if (values.help) return { kind: 'help', topic: topicOf(positionals) };
  if (group === undefined) throw new CliError('usage', 'missing command', { fullUsage: true });
  // One word, no subcommand: whatever follows it is a stray argument, not an unknown subcommand.
  if (group === 'usage') return usageCommandFrom(positionals.slice(1), values, now);
  if (group === 'teams' && action !== undefined) {
    const command = teamCommandFrom(action, rest, values);
    if (command) return command;
  }

  const name = `${group} ${action ?? ''}`.trim();
  switch (name) {
    case 'keys create': {
      accept(values, ['name', 'models', ...LIMIT_OPTION_NAMES, 'end-user-limits', 'end-user-required', 'ips', 'team', 'audit', 'guardrails', 'params', 'expires', 'json'], name, 'keys');
      noMore(rest, name, 'keys');
      if (!values.name?.trim()) throw new CliError('usage', 'keys create needs --name NAME', { topic: 'keys' });
      const command: Command = { kind: 'keys-create', name: values.name.trim(), models: splitModels(values.models), json: values.json === true };
      const limits = limitsFrom(values);
      if (limits) command.limits = limits;
      if (values['end-user-limits'] !== undefined) command.endUserLimits = endUserLimitsFrom(values['end-user-limits'], 'keys', false);
      if (values['end-user-required'] !== undefined && endUserRequiredFrom(values['end-user-required'])) command.endUserRequired = true;
      if (values.ips !== undefined) {
        if (values.ips.trim() === NO_LIMIT) throw new CliError('usage', `--ips ${NO_LIMIT} only applies to keys update; leave --ips out for a key usable from any address`, { topic: 'keys' });
        command.allowedIps = allowedIpsFrom(values.ips);
      }
      if (values.team !== undefined) command.teamId = teamIdFrom(values.team, 'keys');
      if (values.audit !== undefined && auditFlagFrom(values.audit, 'keys')) command.audit = true;
      const guardrails = values.guardrails === undefined ? undefined : guardrailsChoiceFrom(values.guardrails, 'keys');
      if (guardrails !== undefined && guardrails !== 'on') command.guardrails = guardrails;
      if (values.params !== undefined) command.params = paramPolicyFrom(values.params, 'keys', false)!;
      if (values.expires !== undefined) command.expiresAt = expiryFrom(values.expires, now);
      return command;
    }
    case 'keys update':
      accept(values, ['name', 'models', ...LIMIT_OPTION_NAMES, 'end-user-limits', 'end-user-required', 'ips', 'team', 'no-team', 'audit', 'guardrails', 'params', 'json'], name, 'keys');
      return { kind: 'keys-update', id: keyId(rest, name), patch: patchFrom(values), json: values.json === true };
    case 'keys list':
      accept(values, ['json'], name, 'keys');
      noMore(rest, name, 'keys');
      return { kind: 'keys-list', json: values.json === true };
    case 'keys show':
      accept(values, ['json'], name, 'keys');
      return { kind: 'keys-show', id: keyId(rest, name), json: values.json === true };
    case 'keys revoke':
      accept(values, ['json'], name, 'keys');
      return { kind: 'keys-revoke', id: keyId(rest, name), json: values.json === true };
    case 'keys rotate': {
      accept(values, ['grace', 'json'], name, 'keys');
      const command: Command = { kind: 'keys-rotate', id: keyId(rest, name), json: values.json === true };
      if (values.grace !== undefined) command.graceSeconds = graceSeconds(values.grace);
      return command;
    }
    case 'config check': {
      accept(values, [], name, 'config');
      const [file, ...extra] = rest;
      noMore(extra, name, 'config');
      return file === undefined ? { kind: 'config-check' } : { kind: 'config-check', file };
    }
    case 'check stream': {
      accept(values, ['key', 'model', 'json'], name, 'check');
      noMore(rest, name, 'check');
      if (!values.key) throw new CliError('usage', 'check stream needs --key KEY (a gateway key)', { topic: 'check' });
      if (!values.model) throw new CliError('usage', 'check stream needs --model MODEL (one the key may use)', { topic: 'check' });
      return { kind: 'check-stream', key: values.key, model: values.model, json: values.json === true };
    }
  }
  if (group === 'keys' || group === 'teams' || group === 'config' || group === 'check') {
    throw new CliError('usage', action === undefined ? `${group} needs a subcommand` : `unknown command: ${name}`, { topic: group, fullUsage: true });
  }
  throw new CliError('usage', `unknown command: ${group}`, { fullUsage: true });
}

/** The one ID a `keys` command acts on. */
function keyId(rest: readonly string[], command: string): string {
  const [id, ...extra] = rest;
  if (!id) throw new CliError('usage', `${command} needs the ID of a key (see \`aigw keys list\`)`, { topic: 'keys' });
  noMore(extra, command, 'keys');
  return id;
}

/** The merge patch `keys update` sends: only what was given; `off` becomes null, which removes the limit. */
function patchFrom(values: Values): KeyPatch {
  const patch: KeyPatch = {};
  if (values.name !== undefined) {
    if (!values.name.trim()) throw new CliError('usage', 'keys update: --name cannot be empty', { topic: 'keys' });
    patch.name = values.name.trim();
  }
  if (values.models !== undefined) patch.models = splitModels(values.models);
  const limits = limitsPatchFrom(values, 'keys');
  if (limits) patch.limits = limits;
  if (values['end-user-limits'] !== undefined) patch.endUserLimits = endUserLimitsFrom(values['end-user-limits'], 'keys', true);
  if (values['end-user-required'] !== undefined) patch.endUserRequired = endUserRequiredFrom(values['end-user-required']);
  if (values.ips !== undefined) patch.allowedIps = values.ips.trim() === NO_LIMIT ? null : allowedIpsFrom(values.ips);
  if (values.team !== undefined && values['no-team']) throw new CliError('usage', 'keys update takes --team ID or --no-team, not both', { topic: 'keys' });
  if (values.team !== undefined) patch.teamId = teamIdFrom(values.team, 'keys');
  if (values['no-team']) patch.teamId = null;
  if (values.audit !== undefined) patch.audit = auditFlagFrom(values.audit, 'keys');
  if (values.guardrails !== undefined) patch.guardrails = guardrailsChoiceFrom(values.guardrails, 'keys');
  if (values.params !== undefined) patch.params = paramPolicyFrom(values.params, 'keys', true);
  if (Object.keys(patch).length === 0) {
    const flags = ['name', 'models', ...LIMIT_OPTION_NAMES, 'end-user-limits', 'end-user-required', 'ips', 'team', 'no-team', 'audit', 'guardrails', 'params'].map((f) => `--${f}`);
    throw new CliError('usage', `keys update needs something to change: ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}`, { topic: 'keys' });
  }
  return patch;
}

/**
 * `--ips 10.0.0.0/8,2001:db8::/32,203.0.113.7`: checked here as the gateway reads them, so a
 * mistake is named as the flag typed rather than the API's `allowedIps[1]`.
 */
function allowedIpsFrom(text: string): string[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // A list of nothing would be a key usable from nowhere: revoking says that more plainly.
  if (entries.length === 0) throw new CliError('usage', `--ips needs addresses or CIDR ranges, such as 10.0.0.0/8,2001:db8::/32 (or ${NO_LIMIT} on keys update)`, { topic: 'keys' });
  if (entries.length > MAX_ALLOWED_IPS) throw new CliError('usage', `--ips takes at most ${MAX_ALLOWED_IPS} entries, not ${entries.length}`, { topic: 'keys' });
  for (const entry of entries) {
    const read = readIpRule(entry);
    if ('problem' in read) throw new CliError('usage', `--ips: ${read.problem}`, { topic: 'keys' });
  }
  return entries;
}

/** Checks `--expires` here so a typo is named as the option the user typed, not the API's field. */
function expiryFrom(text: string, now: Date): string {
  const value = DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text;
  if (!isRealDateTime(value)) {
    throw new CliError('usage', `--expires must be an ISO date-time such as 2027-01-01T00:00:00Z (or a date such as 2027-01-01), not ${JSON.stringify(text)}`, {
      topic: 'keys',
    });
  }
  // The API would accept it, but a key born expired is always a typo.
  if (Date.parse(value) <= now.getTime()) throw new CliError('usage', `--expires ${text} is in the past`, { topic: 'keys' });
  return value;
}

function isRealDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Date.UTC rolls 2027-02-30 over into March; a real date survives the round trip.
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** What `aigw usage --by` groups rows by, the default first. */
const GROUPINGS: readonly UsageGrouping[] = ['key', 'team', 'model', 'day', 'end-user'];

/** The admin API's longest report, checked here too so the mistake names the flag before anything is summed. */
const MAX_REPORT_DAYS = 400;
/** The admin API's longest report by end user (`MAX_END_USER_REPORT_DAYS`): it reads records, not roll-ups. */
const MAX_END_USER_REPORT_DAYS = 31;
const DAY_MS = 86_400_000;

/**
 * `aigw usage`: dates are checked here, not left to the API, so that a typo is named as the flag
 * typed and refused before the gateway sums anything.
 */
function usageCommandFrom(rest: readonly string[], values: Values, now: Date): Command {
  accept(values, ['from', 'to', 'key', 'team', 'end-user', 'by', 'no-refresh', 'json'], 'usage', 'usage');
  noMore(rest, 'usage', 'usage');
  // One end user's usage is read from the records, as the report by end user is: it groups by end user unless told otherwise.
  const by = values.by === undefined && values['end-user'] !== undefined ? 'end-user' : groupingFrom(values.by);
  const command: Command = { kind: 'usage', by, refresh: values['no-refresh'] !== true, json: values.json === true };
  if (values.from !== undefined) command.from = dayFrom('from', values.from);
  if (values.to !== undefined) command.to = dayFrom('to', values.to);
  const byEndUser = by === 'end-user' || values['end-user'] !== undefined;
  if (command.from !== undefined) checkSpan(command.from, command.to, now, byEndUser ? MAX_END_USER_REPORT_DAYS : MAX_REPORT_DAYS);
  if (values['end-user'] !== undefined) {
    if (!values['end-user']) throw new CliError('usage', '--end-user needs the end user\'s id, as the requests named it', { topic: 'usage' });
    command.endUser = values['end-user'];
  }
  if (values.key !== undefined) command.key = keyIdFrom(values.key);
  if (values.team !== undefined) command.team = teamIdFrom(values.team, 'usage');
  return command;
}

function groupingFrom(text: string | undefined): UsageGrouping {
  if (text === undefined) return GROUPINGS[0]!;
  const grouping = GROUPINGS.find((g) => g === text.trim());
  if (grouping) return grouping;
  throw new CliError('usage', `--by must be ${GROUPINGS.slice(0, -1).join(', ')} or ${GROUPINGS.at(-1)}, not ${JSON.stringify(text)}`, { topic: 'usage' });
}

function dayFrom(flag: 'from' | 'to', text: string): string {
  const day = text.trim();
  if (DATE_ONLY.test(day) && isRealDateTime(`${day}T00:00:00Z`)) return day;
  throw new CliError('usage', `--${flag} must be a date such as 2026-06-01 (YYYY-MM-DD, UTC), not ${JSON.stringify(text)}`, { topic: 'usage' });
}

/** The API defaults the end to today (UTC); a range it would refuse is refused here with the flags' names. */
function checkSpan(from: string, to: string | undefined, now: Date, maxDays: number): void {
  const today = now.toISOString().slice(0, 10);
  const last = to ?? today;
  const end = to === undefined ? `today (${today}, UTC)` : `--to ${to}`;
  if (from > last) throw new CliError('usage', `--from ${from} is after ${end}`, { topic: 'usage' });
  const days = (Date.parse(last) - Date.parse(from)) / DAY_MS + 1;
  if (days > maxDays) {
    const which = maxDays === MAX_REPORT_DAYS ? 'a report' : 'a report by end user (read from every usage record)';
    throw new CliError('usage', `--from ${from} to ${end} spans ${days} days; ${which} spans at most ${maxDays}`, { topic: 'usage' });
  }
}

/** The prefix of a key itself, which `check stream --key` takes: here it would end up in a URL, and in logs. */
const SECRET_KEY_PREFIX = 'sk-gw-';

function keyIdFrom(text: string): string {
  const id = text.trim();
  if (!id) throw new CliError('usage', '--key needs the ID of a key (see `aigw keys list`)', { topic: 'usage' });
  if (id.startsWith(SECRET_KEY_PREFIX)) {
    throw new CliError('usage', '--key takes the ID of a key (key_…, see `aigw keys list`), not the key itself', { topic: 'usage' });
  }
  return id;
}

/** `--team ID`: the id of a team (see `aigw teams list`). */
function teamIdFrom(text: string, topic: HelpTopic): string {
  const id = text.trim();
  if (!id) throw new CliError('usage', '--team needs the ID of a team (see `aigw teams list`)', { topic });
  return id;
}
