import type { StoredUsage } from '../store/usage';

/** What one key spent on one model in one UTC day. */
export interface UsageTotals {
  requests: number;
  /** Requests answered with a status of 400 or more (refusals included). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Micro-dollars (1e-6 USD) of the requests that had a price. */
  costMicros: number;
  /** Requests answered by a target without a price: their cost is not in `costMicros`. */
  unpriced: number;
  /** Requests answered from the response cache (`lib/cache/`), at no cost; absent when none were (and in roll-ups made before it). */
  cacheHits?: number;
}

const ZERO: Readonly<UsageTotals> = Object.freeze({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 0, unpriced: 0 });

const num = (row: StoredUsage, name: string): number => (typeof row[name] === 'number' ? (row[name] as number) : 0);

/**
 * Usage records, summed per model (the name the client asked for).
 *
 * @example
 * totalsByModel([{ model: 'gpt-4o', status: 200, inputTokens: 10, outputTokens: 2, costMicros: 35 }])
 * // { 'gpt-4o': { requests: 1, errors: 0, inputTokens: 10, outputTokens: 2, …, costMicros: 35, unpriced: 0 } }
 */
export function totalsByModel(rows: Iterable<StoredUsage>): Record<string, UsageTotals> {
  const byModel: Record<string, UsageTotals> = {};
  for (const row of rows) {
    const model = typeof row.model === 'string' ? row.model : '';
    const t = (byModel[model] ??= { ...ZERO });
    t.requests++;
    if (num(row, 'status') >= 400) t.errors++;
    t.inputTokens += num(row, 'inputTokens');
    t.outputTokens += num(row, 'outputTokens');
    t.cacheReadTokens += num(row, 'cacheReadTokens');
    t.cacheWriteTokens += num(row, 'cacheWriteTokens');
    t.reasoningTokens += num(row, 'reasoningTokens');
    if (typeof row.costMicros === 'number') t.costMicros += row.costMicros;
    // A call served by a target without a price has tokens and no cost; refusals and failures have neither.
    else if (num(row, 'attempts') > 0 && num(row, 'status') < 400) t.unpriced++;
    if (row.cache === 'hit') t.cacheHits = (t.cacheHits ?? 0) + 1;
  }
  return byModel;
}

/** A key's usage of a day, split by the team each record was made in: those made outside any team apart. */
export interface TeamSplit {
  /** Records made while the key was in no team, per model. */
  byModel: Record<string, UsageTotals>;
  /** Records made while the key was in a team, per team id, then per model (absent when there were none). */
  byTeam?: Record<string, Record<string, UsageTotals>>;
}

/**
 * Usage records summed per team (as each record names it: a key may change teams in a day) and model.
 *
 * @example
 * totalsByTeamAndModel([{ model: 'a', teamId: 'team_1', … }, { model: 'a', … }])
 * // { byModel: { a: {…} }, byTeam: { team_1: { a: {…} } } }
 */
export function totalsByTeamAndModel(rows: Iterable<StoredUsage>): TeamSplit {
  const outside: StoredUsage[] = [];
  const inTeam = new Map<string, StoredUsage[]>();
  for (const row of rows) {
    const team = typeof row.teamId === 'string' && row.teamId ? row.teamId : undefined;
    if (!team) outside.push(row);
    else inTeam.set(team, [...(inTeam.get(team) ?? []), row]);
  }
  const split: TeamSplit = { byModel: totalsByModel(outside) };
  if (inTeam.size) split.byTeam = Object.fromEntries([...inTeam].map(([team, teamRows]) => [team, totalsByModel(teamRows)]));
  return split;
}

/** A split read back as rows: one per team (null for none) and model. */
export function splitRows(split: TeamSplit): { teamId: string | null; model: string; totals: UsageTotals }[] {
  const rows = Object.entries(split.byModel).map(([model, totals]) => ({ teamId: null as string | null, model, totals }));
  for (const [teamId, byModel] of Object.entries(split.byTeam ?? {})) for (const [model, totals] of Object.entries(byModel)) rows.push({ teamId, model, totals });
  return rows;
}

/** Totals added up (over models, days or keys). */
export function sumTotals(all: Iterable<UsageTotals>): UsageTotals {
  const sum: UsageTotals = { ...ZERO };
  let hits = 0;
  for (const t of all) {
    for (const k of Object.keys(ZERO) as Exclude<keyof UsageTotals, 'cacheHits'>[]) sum[k] += t[k];
    hits += t.cacheHits ?? 0;
  }
  if (hits) sum.cacheHits = hits;
  return sum;
}

/** One group of usage records: the team and end user they were made with, and the model. */
export interface EndUserRow {
  teamId: string | null;
  /** Null for records that named no end user. */
  endUser: string | null;
  model: string;
  totals: UsageTotals;
}

/**
 * Usage records (one key's, of one day) summed per team, end user and model: the report by end
 * user is read from the records themselves, not from roll-ups (see `docs/architecture.md`).
 *
 * @example
 * totalsByEndUser([{ model: 'a', endUser: 'alice', … }, { model: 'a', … }])
 * // [{ teamId: null, endUser: 'alice', model: 'a', totals: {…} }, { teamId: null, endUser: null, model: 'a', totals: {…} }]
 */
export function totalsByEndUser(rows: Iterable<StoredUsage>): EndUserRow[] {
  const groups = new Map<string, { teamId: string | null; endUser: string | null; rows: StoredUsage[] }>();
  for (const row of rows) {
    const teamId = typeof row.teamId === 'string' && row.teamId ? row.teamId : null;
    const endUser = typeof row.endUser === 'string' && row.endUser ? row.endUser : null;
    // JSON of the pair: no separator an end user's id could hold can make two groups one.
    const id = JSON.stringify([teamId, endUser]);
    const group = groups.get(id) ?? { teamId, endUser, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  return [...groups.values()].flatMap(({ teamId, endUser, rows: inGroup }) => Object.entries(totalsByModel(inGroup)).map(([model, totals]) => ({ teamId, endUser, model, totals })));
}
