import { splitRows, sumTotals, totalsByEndUser, totalsByModel, totalsByTeamAndModel } from './rollup';

const row = (fields: Record<string, string | number | boolean>) => ({ status: 200, attempts: 1, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...fields });

describe('totalsByModel', () => {
  it.each([
    ['no records', [], {}],
    [
      'calls of one model summed',
      [row({ model: 'a', inputTokens: 10, outputTokens: 2, costMicros: 14 }), row({ model: 'a', inputTokens: 5, outputTokens: 1, cacheReadTokens: 4, reasoningTokens: 1, costMicros: 7 })],
      { a: { requests: 2, errors: 0, inputTokens: 15, outputTokens: 3, cacheReadTokens: 4, cacheWriteTokens: 0, reasoningTokens: 1, costMicros: 21, unpriced: 0 } },
    ],
    [
      'refusals counted as errors, without cost and not as unpriced',
      [row({ model: 'a', status: 429, attempts: 0 }), row({ model: 'a', status: 502, attempts: 2, costMicros: 0 })],
      { a: { requests: 2, errors: 2, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 0, unpriced: 0 } },
    ],
    [
      'calls to a target without a price counted apart',
      [row({ model: 'local', inputTokens: 100, outputTokens: 50 }), row({ model: 'gpt', costMicros: 3 })],
      {
        local: { requests: 1, errors: 0, inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 0, unpriced: 1 },
        gpt: { requests: 1, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 3, unpriced: 0 },
      },
    ],
  ])('%s', (_name, rows, expected) => {
    expect(totalsByModel(rows)).toEqual(expected);
  });
});

describe('sumTotals', () => {
  it('adds every field', () => {
    const byModel = totalsByModel([row({ model: 'a', inputTokens: 1, costMicros: 2 }), row({ model: 'b', inputTokens: 3, status: 500 }), row({ model: 'b', outputTokens: 4 })]);

    expect(sumTotals(Object.values(byModel))).toEqual({ requests: 3, errors: 1, inputTokens: 4, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 2, unpriced: 1 });
  });

  it('counts the response cache\'s hits, where there were any, as requests that cost nothing', () => {
    const byModel = totalsByModel([row({ model: 'a', cache: 'miss', costMicros: 5, attempts: 1 }), row({ model: 'a', cache: 'hit', costMicros: 0 }), row({ model: 'b', cache: 'hit', costMicros: 0 })]);

    expect(byModel.a).toMatchObject({ requests: 2, costMicros: 5, cacheHits: 1 });
    expect(sumTotals(Object.values(byModel))).toMatchObject({ requests: 3, costMicros: 5, cacheHits: 2 });
    expect(sumTotals([totalsByModel([row({ model: 'a' })]).a!])).not.toHaveProperty('cacheHits');
  });
});

describe('totalsByTeamAndModel', () => {
  const one = (fields: Record<string, string | number | boolean>) => totalsByModel([row({ model: 'a', ...fields })]).a!;

  it.each([
    ['no records', [], { byModel: {} }],
    ['records outside any team', [row({ model: 'a', costMicros: 5 })], { byModel: { a: one({ costMicros: 5 }) } }],
    [
      'a key that joined a team in the day, its records before and after apart',
      [row({ model: 'a', costMicros: 5 }), row({ model: 'a', teamId: 'team_1', costMicros: 7 })],
      { byModel: { a: one({ costMicros: 5 }) }, byTeam: { team_1: { a: one({ costMicros: 7 }) } } },
    ],
    [
      'a key that moved between teams',
      [row({ model: 'a', teamId: 'team_1', costMicros: 1 }), row({ model: 'b', teamId: 'team_2', costMicros: 2 }), row({ model: 'a', teamId: 'team_1', costMicros: 3 })],
      { byModel: {}, byTeam: { team_1: { a: totalsByModel([row({ model: 'a', costMicros: 1 }), row({ model: 'a', costMicros: 3 })]).a }, team_2: { b: one({ costMicros: 2 }) } } },
    ],
  ])('%s', (_name, rows, expected) => {
    expect(totalsByTeamAndModel(rows)).toEqual(expected);
  });
});

describe('splitRows', () => {
  it('reads a split back as one row per team and model, null for no team', () => {
    const split = totalsByTeamAndModel([row({ model: 'a' }), row({ model: 'b', teamId: 'team_1' }), row({ model: 'a', teamId: 'team_1' })]);

    expect(splitRows(split).map((r) => [r.teamId, r.model, r.totals.requests])).toEqual([
      [null, 'a', 1],
      ['team_1', 'b', 1],
      ['team_1', 'a', 1],
    ]);
  });
});

describe('totalsByEndUser', () => {
  it('sums records per team, end user and model, records without an end user apart', () => {
    const rows = [
      row({ model: 'a', endUser: 'alice', costMicros: 5 }),
      row({ model: 'a', endUser: 'alice', costMicros: 7 }),
      row({ model: 'b', endUser: 'alice', costMicros: 1 }),
      row({ model: 'a', endUser: 'bob', teamId: 'team_1', costMicros: 2 }),
      row({ model: 'a', costMicros: 3 }),
    ];

    const groups = totalsByEndUser(rows).map((g) => [g.teamId, g.endUser, g.model, g.totals.requests, g.totals.costMicros]);

    expect(groups).toEqual([
      [null, 'alice', 'a', 2, 12],
      [null, 'alice', 'b', 1, 1],
      ['team_1', 'bob', 'a', 1, 2],
      [null, null, 'a', 1, 3],
    ]);
  });

  it('keeps apart end users whose ids would run together with a separator', () => {
    const groups = totalsByEndUser([row({ model: 'a', endUser: 'x#y', teamId: 'team_1' }), row({ model: 'a', endUser: 'y', teamId: 'team_1#x' })]);

    expect(groups).toHaveLength(2);
  });
});
