import type { ApiKeyInfo, KeyLimits } from '../access/api-key';
import { tightestBudget, type BudgetStatus } from '../access/budget-status';
import { percent } from '../alerts/thresholds';
import type { TeamRecord } from '../access/team';
import { toMicros } from '../access/spend-limits';
import { usd } from '../usage/cost';
import { sumTotals, type UsageTotals } from '../usage/rollup';
import type { CreatedKey, KeyView, TeamView, UsageReport, UsageRow } from './admin-client';
import type { UsageGrouping } from './args';

/** Where a column's cells sit: numbers read best flush right, so their digits line up. */
export type Align = 'left' | 'right';

/**
 * Lays rows out in columns: each as wide as its widest cell, two spaces apart, no trailing spaces;
 * left-aligned unless `align` says otherwise for a column (its header too).
 *
 * @example
 * formatTable(['ID', 'NAME'], [['key_1', 'alice']]);
 * // 'ID     NAME\nkey_1  alice\n'
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const all = [header, ...rows];
  // Code points, not UTF-16 units, so a name with an emoji does not shift its row.
  const width = (cell: string | undefined) => [...(cell ?? '')].length;
  const widths = header.map((_, col) => Math.max(...all.map((row) => width(row[col]))));
  const cell = (row: readonly string[], col: number) => {
    const text = row[col] ?? '';
    const gap = ' '.repeat(widths[col]! - width(text));
    return align[col] === 'right' ? gap + text : text + gap;
  };
  const line = (row: readonly string[]) => widths.map((_, col) => cell(row, col)).join('  ').trimEnd();
  return all.map((row) => `${line(row)}\n`).join('');
}

/** `2026-05-01T12:34:56.789Z` → `2026-05-01 12:34Z`: minutes are enough to tell keys apart by eye. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** `active`, `revoked`, or `expired` for an active key whose expiry has passed. */
export function displayStatus(key: Pick<ApiKeyInfo, 'status' | 'expiresAt'>, now: Date): string {
  if (key.status === 'active' && key.expiresAt && Date.parse(key.expiresAt) <= now.getTime()) return 'expired';
  return key.status;
}

// Names come from whoever created the key; control characters would break the layout (or the terminal).
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
const modelsText = (models: readonly string[]) => (models.length ? printable(models.join(',')) : '(none)');

/** How each of a key's limits reads, in the order they are shown. */
const LIMIT_TEXT: readonly (readonly [keyof KeyLimits, (value: number) => string])[] = [
  ['requestsPerMinute', (n) => `${n} rpm`],
  ['tokensPerMinute', (n) => `${n} tpm`],
  ['usdPerDay', (dollars) => `${usd(toMicros(dollars))}/day`],
  ['usdPerMonth', (dollars) => `${usd(toMicros(dollars))}/month`],
];

/**
 * `60 rpm, 90000 tpm, $5.00/day, $100.00/month`, or undefined for a key without limits. Plain
 * digits, not a locale's grouping, so the number reads back the way `--rpm` and the other flags
 * take it; money to the micro-dollar the gateway counts in.
 */
export function limitsText(limits: KeyLimits | undefined): string | undefined {
  const parts: string[] = [];
  for (const [field, text] of LIMIT_TEXT) {
    const value = limits?.[field];
    if (value !== undefined) parts.push(text(value));
  }
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * The budget nearest its limit as `$3.20/$5.00 day`, or `-` for a key or team without budgets
 * (or a gateway that shows no spend).
 */
export function spentText(spend: readonly BudgetStatus[] | undefined): string {
  const tightest = tightestBudget(spend ?? []);
  return tightest ? `${usd(tightest.usedMicros)}/${usd(tightest.limitMicros)} ${tightest.kind}` : '-';
}

const PERIOD_NAME = { day: 'today', month: 'this month' } as const;

/** One line per budget: what is used of it, the fraction, its period and when it starts afresh. */
function spendLines(spend: readonly BudgetStatus[] | undefined): string[] {
  if (!spend?.length) return ['  spent:   - (no budget)'];
  return spend.map(
    (b, i) => `${i === 0 ? '  spent:   ' : '           '}${usd(b.usedMicros)} of ${usd(b.limitMicros)} ${PERIOD_NAME[b.kind]} (${b.periodId}, ${percent(b.fraction)}), starts afresh ${shortTime(b.resetsAt)}`,
  );
}

/** What a key without an address list is usable from; "none" or "-" would read as nowhere. */
const ANY_ADDRESS = 'any';

/**
 * A key's address list as `--ips` takes it, or, given a width, as much of it as fits there and
 * how many entries are left out: a list may be a hundred IPv6 ranges long, which no table fits.
 *
 * @example
 * ipsText(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'], 28); // '10.0.0.0/8 +2 more'
 */
export function ipsText(allowedIps: readonly string[] | undefined, width = Infinity): string {
  if (!allowedIps) return ANY_ADDRESS;
  const all = printable(allowedIps.join(','));
  if ([...all].length <= width || allowedIps.length < 2) return all;
  let shown = 1;
  const text = (n: number) => `${printable(allowedIps.slice(0, n).join(','))} +${allowedIps.length - n} more`;
  while (shown + 1 < allowedIps.length && [...text(shown + 1)].length <= width) shown++;
  return text(shown);
}

/** How wide the IPS column of `keys list` may grow before a list is cut short. */
const IPS_COLUMN_WIDTH = 32;

/**
 * When a key was last given a new secret, and until when its old one still works if that is yet
 * to come; undefined for a key never rotated.
 *
 * @example
 * rotationText({ rotatedAt: '2026-11-26T20:00:00Z', previousExpiresAt: '2026-11-26T21:00:00Z' }, now);
 * // '2026-11-26 20:00Z, old secret until 2026-11-26 21:00Z'
 */
export function rotationText(key: Pick<ApiKeyInfo, 'rotatedAt' | 'previousExpiresAt'>, now: Date): string | undefined {
  if (!key.rotatedAt) return undefined;
  const graceLeft = key.previousExpiresAt && Date.parse(key.previousExpiresAt) > now.getTime();
  return graceLeft ? `${shortTime(key.rotatedAt)}, old secret until ${shortTime(key.previousExpiresAt)}` : shortTime(key.rotatedAt);
}

/** A key's or team's guardrails as `keys show` reads: `off (…)` or the rule set's name. */
const guardrailsText = (choice: string, off: string) => (choice === 'off' ? `off (${off})` : `rule set ${printable(choice)}`);

/** The lines under a key's heading in `keys create` and `keys update`, aligned like a table. */
function keyDetails(key: ApiKeyInfo, teamName?: string): string[] {
  return [
    ...(key.teamId ? [`  team:    ${teamName === undefined ? printable(key.teamId) : `${printable(teamName)} (${printable(key.teamId)})`}`] : []),
    `  models:  ${modelsText(key.models)}`,
    `  limits:  ${limitsText(key.limits) ?? 'none'}`,
    // Shown only when set: most keys serve no end users of their own.
    ...(key.endUserLimits || key.endUserRequired ? [`  end users: ${limitsText(key.endUserLimits) ?? 'no limits'} each${key.endUserRequired ? ', required' : ''}`] : []),
    `  ips:     ${ipsText(key.allowedIps)}`,
    `  audit:   ${key.audit ? 'on' : 'off'}`,
    // Shown only when the key chose: most keys are screened by their team's or the gateway's rules, and need not say so.
    ...(key.guardrails ? [`  guardrails: ${guardrailsText(key.guardrails, 'not screened')}`] : []),
    ...(key.params ? [`  params:  ${printable(key.params)} (on top of the model's policy)`] : []),
    `  expires: ${key.expiresAt ? shortTime(key.expiresAt) : 'never'}`,
  ];
}

/**
 * The `keys list` table, oldest key first (the API lists them in id order, which is random). A
 * key's team is shown by its name when `teamNames` knows it, else by its id.
 */
export function formatKeyTable(keys: readonly KeyView[], now: Date, teamNames: ReadonlyMap<string, string> = new Map()): string {
  if (keys.length === 0) return 'No keys yet. Create one with: aigw keys create --name NAME\n';
  const byAge = [...keys].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return formatTable(
    ['ID', 'NAME', 'TEAM', 'PREFIX', 'MODELS', 'LIMITS', 'SPENT', 'IPS', 'AUDIT', 'GUARDRAILS', 'PARAMS', 'STATUS', 'CREATED', 'EXPIRES', 'ROTATED'],
    byAge.map((k) => [
      printable(k.id),
      printable(k.name),
      k.teamId ? printable(teamNames.get(k.teamId) ?? k.teamId) : '-',
      k.prefix,
      modelsText(k.models),
      limitsText(k.limits) ?? '-',
      spentText(k.spend),
      ipsText(k.allowedIps, IPS_COLUMN_WIDTH),
      k.audit ? 'on' : '-',
      k.guardrails ? printable(k.guardrails) : '-',
      k.params ? printable(k.params) : '-',
      displayStatus(k, now),
      shortTime(k.createdAt),
      shortTime(k.expiresAt),
      rotationText(k, now) ?? '-',
    ]),
  );
}

/** What `keys create` prints: the key on a line of its own, and the warning that it is shown once. */
export function formatCreatedKey(created: CreatedKey): string {
  return [`Created key ${printable(created.id)} (${printable(created.name)})`, ...keyDetails(created), ...secretLines(created), ''].join('\n');
}

/** The secret on a line of its own, and the warning that it is shown once. */
function secretLines(created: CreatedKey): string[] {
  return ['', `  ${created.key}`, '', 'Store it now: it will not be shown again (the gateway keeps only its hash).'];
}

/** What `keys rotate` prints: the new secret, shown once, and until when the old one works. */
export function formatRotatedKey(rotated: CreatedKey): string {
  const old = rotated.previousExpiresAt
    ? `The old secret keeps working until ${shortTime(rotated.previousExpiresAt)}; then it is refused like a revoked key.`
    : 'The old secret is refused now (by gateways that have it cached, within keyCache.ttlSeconds, 30 s by default).';
  return [`Rotated key ${printable(rotated.id)} (${printable(rotated.name)}): same id, limits and usage, a new secret`, ...keyDetails(rotated), ...secretLines(rotated), old, ''].join('\n');
}

/**
 * What `keys update` prints: the key as it is now, so a removed limit shows as gone, and when the
 * change reaches gateways (they cache keys, limits included).
 */
export function formatUpdatedKey(key: ApiKeyInfo): string {
  return [
    `Updated key ${printable(key.id)} (${printable(key.name)})`,
    ...keyDetails(key),
    '',
    'Gateways that have it cached apply the change within keyCache.ttlSeconds (30 s by default).',
    '',
  ].join('\n');
}

/** What `keys revoke` prints. */
export function formatRevokedKey(key: ApiKeyInfo): string {
  const when = key.revokedAt ? ` at ${shortTime(key.revokedAt)}` : '';
  return `Revoked key ${printable(key.id)} (${printable(key.name)})${when}. Gateways that have it cached stop accepting it within keyCache.ttlSeconds (30 s by default).\n`;
}

/** The `teams list` table, oldest team first. */
export function formatTeamTable(teams: readonly TeamView[]): string {
  if (teams.length === 0) return 'No teams yet. Create one with: aigw teams create --name NAME\n';
  return formatTable(
    ['ID', 'NAME', 'MODELS', 'LIMITS', 'SPENT', 'AUDIT', 'GUARDRAILS', 'PARAMS', 'CREATED'],
    teams.map((t) => [printable(t.id), printable(t.name), t.models ? modelsText(t.models) : 'any', limitsText(t.limits) ?? '-', spentText(t.spend), t.audit ? 'on' : '-', t.guardrails ? printable(t.guardrails) : '-', t.params ? printable(t.params) : '-', shortTime(t.createdAt)]),
  );
}

/** What `keys show` prints: the key, its status and where each of its budgets stands. */
export function formatKey(key: KeyView, now: Date, teamName?: string): string {
  return [
    `Key ${printable(key.id)} (${printable(key.name)})`,
    ...keyDetails(key, teamName),
    `  prefix:  ${key.prefix}`,
    `  status:  ${displayStatus(key, now)}`,
    `  created: ${shortTime(key.createdAt)}`,
    `  rotated: ${rotationText(key, now) ?? 'never'}`,
    ...spendLines(key.spend),
    '',
  ].join('\n');
}

/** What `teams show` prints: the team and where each of its budgets stands. */
export function formatTeamDetails(team: TeamView): string {
  return [`Team ${printable(team.id)} (${printable(team.name)})`, ...teamLines(team), `  created: ${shortTime(team.createdAt)}`, ...spendLines(team.spend), ''].join('\n');
}

function teamLines(team: TeamRecord): string[] {
  return [`  models:  ${team.models ? modelsText(team.models) : 'any (its keys\' own patterns decide)'}`, `  limits:  ${limitsText(team.limits) ?? 'none'}`, ...(team.endUserLimits ? [`  end users: ${limitsText(team.endUserLimits)!} each`] : []), `  audit:   ${team.audit ? 'on' : 'off'}`, ...(team.guardrails ? [`  guardrails: ${guardrailsText(team.guardrails, 'its keys are not screened')}`] : []), ...(team.params ? [`  params:  ${printable(team.params)} (for its keys without their own)`] : [])];
}

/** What `teams create`, `teams update` and `teams delete` print: what was done and the team as it is (or was). */
export function formatTeam(done: 'Created' | 'Updated' | 'Deleted', team: TeamRecord): string {
  const lines = [`${done} team ${printable(team.id)} (${printable(team.name)})`, ...teamLines(team)];
  // Teams are cached with their keys: a change reaches gateways when the keys are read again.
  if (done === 'Updated') lines.push('', 'Gateways that have its keys cached apply the change within keyCache.ttlSeconds (30 s by default).');
  if (done === 'Created') lines.push('', `Give it keys with: aigw keys create --name NAME --team ${printable(team.id)}`);
  return `${lines.join('\n')}\n`;
}

/** How `aigw usage --by` groups rows: the cells that name a group, and the order groups are shown in. */
interface UsageGroups {
  header: readonly string[];
  /** What rows of one group share. */
  groupOf(row: UsageRow): string;
  /** The cells that name a row's group. */
  label(row: UsageRow): string[];
  /** Days read best in date order; keys and models dearest first. */
  order: 'cost' | 'group';
}

const USAGE_GROUPS: Record<UsageGrouping, UsageGroups> = {
  key: { header: ['ID', 'NAME'], groupOf: (r) => r.keyId, label: (r) => [printable(r.keyId), r.keyName === null ? '-' : printable(r.keyName)], order: 'cost' },
  team: {
    header: ['TEAM ID', 'TEAM'],
    groupOf: (r) => r.teamId ?? '',
    label: (r) => (r.teamId === null ? ['-', '(no team)'] : [printable(r.teamId), r.teamName === null ? '-' : printable(r.teamName)]),
    order: 'cost',
  },
  // The model is the name the client sent, so it is printed as carefully as a key's name.
  model: { header: ['MODEL'], groupOf: (r) => r.model, label: (r) => [printable(r.model) || '-'], order: 'cost' },
  day: { header: ['DAY'], groupOf: (r) => r.day, label: (r) => [r.day], order: 'group' },
  // Per key: one end user's id under two keys is two end users (their limits are counted apart too).
  'end-user': {
    header: ['END USER', 'KEY ID'],
    groupOf: (r) => JSON.stringify([r.endUser ?? null, r.keyId]),
    label: (r) => [r.endUser === null || r.endUser === undefined ? '(none)' : printable(r.endUser), printable(r.keyId)],
    order: 'cost',
  },
};

const FIGURE_HEADER = ['REQUESTS', 'ERRORS', 'INPUT', 'OUTPUT', 'CACHE READ', 'COST (USD)'] as const;

/** Marks a cost that leaves out requests to a model without a price. */
const UNPRICED_MARK = '*';

interface UsageGroup {
  label: string[];
  key: string;
  totals: UsageTotals;
}

/**
 * The `aigw usage` report: one row per group, a TOTAL row, a footnote when some requests had no
 * price, and the time the figures were summed. Plain digits, as in `keys list`; money as
 * `usd()` writes it (to the micro-dollar the gateway counts in).
 *
 * @example
 * formatUsageReport({ from: '2026-06-01', to: '2026-06-02', data: rows }, 'model');
 * // 'Usage from 2026-06-01 to 2026-06-02 (UTC), by model\n\nMODEL   REQUESTS …\ngpt-4o  …\nTOTAL   …\n\nAs of …\n'
 */
export function formatUsageReport(report: UsageReport, by: UsageGrouping, options: { key?: string; team?: string; endUser?: string } = {}): string {
  const range = report.from === report.to ? `on ${report.from}` : `from ${report.from} to ${report.to}`;
  const whose = [
    options.endUser === undefined ? '' : ` of end user ${JSON.stringify(printable(options.endUser))}`,
    options.key === undefined ? '' : ` of key ${printable(options.key)}`,
    options.team === undefined ? '' : ` in team ${printable(options.team)}`,
  ].join('');
  if (report.data.length === 0) return `No usage${whose} ${range} (UTC).\n`;

  const groups = usageGroups(report.data, USAGE_GROUPS[by]);
  const total = sumTotals(report.data);
  // A space where another cost has its mark keeps the digits of the column in line.
  const costOf = (t: UsageTotals) => `${usd(t.costMicros)}${total.unpriced === 0 ? '' : t.unpriced > 0 ? UNPRICED_MARK : ' '}`;
  const figures = (t: UsageTotals) => [t.requests, t.errors, t.inputTokens, t.outputTokens, t.cacheReadTokens].map(String).concat(costOf(t));
  const { header } = USAGE_GROUPS[by];
  const table = formatTable(
    [...header, ...FIGURE_HEADER],
    [...groups.map((g) => [...g.label, ...figures(g.totals)]), ['TOTAL', ...header.slice(1).map(() => ''), ...figures(total)]],
    [...header.map((): Align => 'left'), ...FIGURE_HEADER.map((): Align => 'right')],
  );
  return [
    `Usage${whose} ${range} (UTC), by ${by}`,
    '',
    table,
    ...(total.unpriced > 0 ? [`${UNPRICED_MARK} ${unpricedNote(total.unpriced)}`] : []),
    ...(total.cacheHits ? [cacheHitsNote(total.cacheHits)] : []),
    `As of ${shortTime(asOf(report.data))}: usage after that is not in these figures yet.`,
    '',
  ].join('\n');
}

function usageGroups(rows: readonly UsageRow[], grouping: UsageGroups): UsageGroup[] {
  const byKey = new Map<string, { label: string[]; rows: UsageRow[] }>();
  for (const row of rows) {
    const key = grouping.groupOf(row);
    const group = byKey.get(key) ?? { label: grouping.label(row), rows: [] };
    group.rows.push(row);
    byKey.set(key, group);
  }
  const groups = [...byKey].map(([key, g]) => ({ key, label: g.label, totals: sumTotals(g.rows) }));
  const byName = (a: UsageGroup, b: UsageGroup) => a.key.localeCompare(b.key);
  // Ties on cost (all unpriced, say) fall back to the busiest, then to the name, so the order is stable.
  const dearestFirst = (a: UsageGroup, b: UsageGroup) => b.totals.costMicros - a.totals.costMicros || b.totals.requests - a.totals.requests || byName(a, b);
  return groups.sort(grouping.order === 'cost' ? dearestFirst : byName);
}

/** Hits are in REQUESTS (and their tokens in INPUT and OUTPUT) at no cost: the line says how many. */
function cacheHitsNote(count: number): string {
  return count === 1 ? '1 request was answered from the response cache, at no cost.' : `${count} requests were answered from the response cache, at no cost.`;
}

function unpricedNote(count: number): string {
  return count === 1
    ? '1 request went to a model without a price in the config and is not in the cost.'
    : `${count} requests went to models without a price in the config and are not in the cost.`;
}

/**
 * When the figures were summed: the oldest roll-up of the last day shown, the day that may still
 * be filling up. Calls made after it are not in the report yet.
 */
function asOf(rows: readonly UsageRow[]): string {
  const lastDay = rows.reduce((last, r) => (r.day > last ? r.day : last), '');
  return rows.filter((r) => r.day === lastDay).reduce((oldest, r) => (r.rolledUpAt < oldest ? r.rolledUpAt : oldest), '\uffff');
}

/** `--json` output: indented, newline-terminated. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
