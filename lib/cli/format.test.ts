import type { ApiKeyInfo } from '../access/api-key';
import type { UsageRow } from './admin-client';
import { displayStatus, formatCreatedKey, formatKey, formatKeyTable, formatRotatedKey, rotationText, formatTable, formatTeam, formatTeamDetails, formatTeamTable, formatUpdatedKey, formatUsageReport, ipsText, limitsText, shortTime } from './format';

const NOW = new Date('2026-06-01T00:00:00Z');

const key = (fields: Partial<ApiKeyInfo> = {}): ApiKeyInfo => ({
  id: 'key_0123456789abcdef',
  name: 'alice',
  prefix: 'sk-gw-AbCdEf',
  models: ['gpt-4o*', 'claude-*'],
  status: 'active',
  createdAt: '2026-05-01T12:34:56.789Z',
  ...fields,
});

describe('formatTable', () => {
  it('pads every column to its widest cell, two spaces apart, without trailing spaces', () => {
    // Act
    const text = formatTable(['ID', 'NAME', 'X'], [['a', 'alice', ''], ['bbbb', 'b', 'x']]);

    // Assess
    expect(text).toBe(['ID    NAME   X', 'a     alice', 'bbbb  b      x', ''].join('\n'));
  });

  it('puts the cells and header of a right-aligned column flush right', () => {
    // Act
    const text = formatTable(['NAME', 'COUNT'], [['a', '5'], ['bb', '1234']], ['left', 'right']);

    // Assess
    expect(text).toBe(['NAME  COUNT', 'a         5', 'bb     1234', ''].join('\n'));
  });

  it('counts characters, not UTF-16 units, so names beyond the BMP keep the columns straight', () => {
    // Act
    const text = formatTable(['N', 'M'], [['𝒜𝒜', 'x'], ['abcd', 'y']]);

    // Assess
    expect(text).toBe(['N     M', '𝒜𝒜    x', 'abcd  y', ''].join('\n'));
  });
});

describe('formatKeyTable', () => {
  it('shows a header and one aligned row per key', () => {
    // Prepare
    const keys = [
      key({ limits: { requestsPerMinute: 60, tokensPerMinute: 90000 }, allowedIps: ['10.0.0.0/8'] }),
      key({ id: 'key_2', name: 'b', models: ['*'], status: 'revoked', expiresAt: '2027-01-01T00:00:00.000Z', teamId: 'team_1', rotatedAt: '2026-05-02T00:00:00.000Z', guardrails: 'off' }),
      {
        ...key({ id: 'key_3', name: 'c', models: ['*'], limits: { usdPerDay: 5, usdPerMonth: 100 }, allowedIps: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'], teamId: 'team_gone', audit: true, guardrails: 'strict', params: 'ci', rotatedAt: '2026-05-31T23:00:00.000Z', previousExpiresAt: '2026-06-01T01:00:00.000Z' }),
        spend: [
          { kind: 'day' as const, periodId: '2026-05-01', limitMicros: 5_000_000, usedMicros: 3_200_000, fraction: 0.64, resetsAt: '2026-05-02T00:00:00.000Z' },
          { kind: 'month' as const, periodId: '2026-05', limitMicros: 100_000_000, usedMicros: 10_000_000, fraction: 0.1, resetsAt: '2026-06-01T00:00:00.000Z' },
        ],
      },
    ];

    // Act
    const lines = formatKeyTable(keys, NOW, new Map([['team_1', 'platform']])).trimEnd().split('\n');

    // Assess
    expect(lines).toEqual([
      'ID                    NAME   TEAM       PREFIX        MODELS            LIMITS                    SPENT            IPS                               AUDIT  GUARDRAILS  PARAMS  STATUS   CREATED            EXPIRES            ROTATED',
      'key_0123456789abcdef  alice  -          sk-gw-AbCdEf  gpt-4o*,claude-*  60 rpm, 90000 tpm         -                10.0.0.0/8                        -      -           -       active   2026-05-01 12:34Z  -                  -',
      'key_2                 b      platform   sk-gw-AbCdEf  *                 -                         -                any                               -      off         -       revoked  2026-05-01 12:34Z  2027-01-01 00:00Z  2026-05-02 00:00Z',
      'key_3                 c      team_gone  sk-gw-AbCdEf  *                 $5.00/day, $100.00/month  $3.20/$5.00 day  10.0.0.0/8,2001:db8::/32 +1 more  on     strict      ci      active   2026-05-01 12:34Z  -                  2026-05-31 23:00Z, old secret until 2026-06-01 01:00Z',
    ]);
  });

  it('lists the oldest key first', () => {
    // Prepare
    const keys = [key({ id: 'key_a', createdAt: '2026-05-02T00:00:00.000Z' }), key({ id: 'key_b', createdAt: '2026-05-01T00:00:00.000Z' })];

    // Act
    const rows = formatKeyTable(keys, NOW).trimEnd().split('\n').slice(1);

    // Assess
    expect(rows.map((r) => r.split(' ')[0])).toEqual(['key_b', 'key_a']);
  });

  it('says how to make a key when there is none', () => {
    // Act
    const text = formatKeyTable([], NOW);

    // Assess
    expect(text).toBe('No keys yet. Create one with: aigw keys create --name NAME\n');
  });

  it('replaces control characters in names so a name cannot break the table', () => {
    // Act
    const text = formatKeyTable([key({ name: 'evil\n\u001b[2J' })], NOW);

    // Assess
    expect(text.trimEnd().split('\n')).toHaveLength(2);
    expect(text).toContain('evil??[2J');
  });

  it('marks a key that may use no model', () => {
    // Act
    const text = formatKeyTable([key({ models: [] })], NOW);

    // Assess
    expect(text).toContain('(none)');
  });
});

describe('ipsText', () => {
  const THREE = ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'];

  it.each([
    ['a key without a list', undefined, Infinity, 'any'],
    ['a whole list, as --ips takes it', THREE, Infinity, '10.0.0.0/8,2001:db8::/32,203.0.113.7'],
    ['a list that fits the width', THREE, 36, '10.0.0.0/8,2001:db8::/32,203.0.113.7'],
    ['as many entries as fit, and how many are left out', THREE, 35, '10.0.0.0/8,2001:db8::/32 +1 more'],
    ['at least the first entry', THREE, 10, '10.0.0.0/8 +2 more'],
    ['a single entry, however long', ['2001:db8:1234:5678:9abc:def0:1234:5678/128'], 20, '2001:db8:1234:5678:9abc:def0:1234:5678/128'],
  ])('shows %s', (_case, allowedIps, width, text) => {
    // Act
    const shown = ipsText(allowedIps, width);

    // Assess
    expect(shown).toBe(text);
  });
});

describe('displayStatus', () => {
  it.each([
    [{ status: 'active' as const }, 'active'],
    [{ status: 'active' as const, expiresAt: '2026-07-01T00:00:00Z' }, 'active'],
    [{ status: 'active' as const, expiresAt: '2026-05-01T00:00:00Z' }, 'expired'],
    [{ status: 'revoked' as const, expiresAt: '2026-05-01T00:00:00Z' }, 'revoked'],
  ])('shows %j as %s', (fields, status) => {
    // Act
    const shown = displayStatus(fields, NOW);

    // Assess
    expect(shown).toBe(status);
  });
});

describe('shortTime', () => {
  it.each([
    ['2026-05-01T12:34:56.789Z', '2026-05-01 12:34Z'],
    ['2026-05-01T14:34:56+02:00', '2026-05-01 12:34Z'],
    [undefined, '-'],
    ['not a date', 'not a date'],
  ])('shows %s as %s', (iso, text) => {
    // Act
    const shown = shortTime(iso);

    // Assess
    expect(shown).toBe(text);
  });
});

describe('limitsText', () => {
  it.each([
    [undefined, undefined],
    [{}, undefined],
    [{ requestsPerMinute: 60 }, '60 rpm'],
    [{ tokensPerMinute: 90000 }, '90000 tpm'],
    [{ tokensPerMinute: 1000000, requestsPerMinute: 1 }, '1 rpm, 1000000 tpm'],
    [{ usdPerDay: 5 }, '$5.00/day'],
    [{ usdPerMonth: 100 }, '$100.00/month'],
    [{ usdPerDay: 2.5 }, '$2.50/day'],
    [{ usdPerDay: 0.01 }, '$0.01/day'],
    [{ usdPerDay: 0.0042 }, '$0.0042/day'],
    [{ usdPerMonth: 0.000001 }, '$0.000001/month'],
    [{ usdPerMonth: 1234.567891 }, '$1234.567891/month'],
    [{ usdPerDay: 0.1 + 0.2 }, '$0.30/day'],
    [{ usdPerMonth: 100, usdPerDay: 5, tokensPerMinute: 90000, requestsPerMinute: 60 }, '60 rpm, 90000 tpm, $5.00/day, $100.00/month'],
  ])('shows %j as %j', (limits, text) => {
    // Act
    const shown = limitsText(limits);

    // Assess
    expect(shown).toBe(text);
  });
});

describe('formatCreatedKey', () => {
  it('prints the key on a line of its own and warns that it is shown once', () => {
    // Prepare
    const created = { ...key(), key: 'sk-gw-AbCdEfSECRET' };

    // Act
    const text = formatCreatedKey(created);

    // Assess
    expect(text.split('\n')).toContain('  sk-gw-AbCdEfSECRET');
    expect(text).toContain('Store it now: it will not be shown again');
    expect(text).toContain('expires: never');
  });

  it('shows the whole address list of a new key, as --ips takes it', () => {
    // Prepare
    const created = { ...key({ allowedIps: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'] }), key: 'sk-gw-AbCdEfSECRET' };

    // Act
    const text = formatCreatedKey(created);

    // Assess
    expect(text.split('\n')).toContain('  ips:     10.0.0.0/8,2001:db8::/32,203.0.113.7');
  });

  it.each([
    ['none for a key without limits', undefined, '  limits:  none'],
    ['every limit the key has', { requestsPerMinute: 60, tokensPerMinute: 90000 }, '  limits:  60 rpm, 90000 tpm'],
    ['budgets with their periods', { requestsPerMinute: 60, usdPerDay: 5, usdPerMonth: 100 }, '  limits:  60 rpm, $5.00/day, $100.00/month'],
  ])('shows %s', (_case, limits, line) => {
    // Prepare
    const created = { ...key(limits ? { limits } : {}), key: 'sk-gw-AbCdEfSECRET' };

    // Act
    const text = formatCreatedKey(created);

    // Assess
    expect(text.split('\n')).toContain(line);
  });
});

describe('formatUpdatedKey', () => {
  it('shows the key as it now is and when gateways apply the change', () => {
    // Prepare
    const updated = key({ name: 'carol', limits: { tokensPerMinute: 90000 }, allowedIps: ['10.0.0.0/8', '2001:db8::/32'], audit: true, expiresAt: '2027-01-01T00:00:00.000Z' });

    // Act
    const text = formatUpdatedKey(updated);

    // Assess
    expect(text).toBe(
      [
        'Updated key key_0123456789abcdef (carol)',
        '  models:  gpt-4o*,claude-*',
        '  limits:  90000 tpm',
        '  ips:     10.0.0.0/8,2001:db8::/32',
        '  audit:   on',
        '  expires: 2027-01-01 00:00Z',
        '',
        'Gateways that have it cached apply the change within keyCache.ttlSeconds (30 s by default).',
        '',
      ].join('\n'),
    );
  });

  it('says none once every limit is removed, so the removal can be seen', () => {
    // Act
    const text = formatUpdatedKey(key());

    // Assess
    expect(text).toContain('  limits:  none\n');
  });

  it('says any once the address list is removed', () => {
    // Act
    const text = formatUpdatedKey(key());

    // Assess
    expect(text).toContain('  ips:     any\n');
  });

  it('replaces control characters in the name', () => {
    // Act
    const text = formatUpdatedKey(key({ name: 'evil\n\u001b[2J' }));

    // Assess
    expect(text.split('\n')[0]).toBe('Updated key key_0123456789abcdef (evil??[2J)');
  });
});

describe('formatTeamTable', () => {
  it('shows each team with its models and limits, any for a team without patterns', () => {
    // Prepare
    const teams = [
      {
        id: 'team_1',
        name: 'platform',
        models: ['gpt-*'],
        limits: { requestsPerMinute: 50, usdPerDay: 20 },
        audit: true as const,
        guardrails: 'strict',
        params: 'contractors',
        createdAt: '2026-05-01T12:34:56.000Z',
        spend: [{ kind: 'day' as const, periodId: '2026-05-02', limitMicros: 20_000_000, usedMicros: 21_500_000, fraction: 1.075, resetsAt: '2026-05-03T00:00:00.000Z' }],
      },
      { id: 'team_2', name: 'open', createdAt: '2026-05-02T00:00:00.000Z' },
    ];

    // Act
    const lines = formatTeamTable(teams).trimEnd().split('\n');

    // Assess
    expect(lines).toEqual([
      'ID      NAME      MODELS  LIMITS              SPENT              AUDIT  GUARDRAILS  PARAMS       CREATED',
      'team_1  platform  gpt-*   50 rpm, $20.00/day  $21.50/$20.00 day  on     strict      contractors  2026-05-01 12:34Z',
      'team_2  open      any     -                   -                  -      -           -            2026-05-02 00:00Z',
    ]);
  });

  it('says how to make a team when there is none', () => {
    expect(formatTeamTable([])).toBe('No teams yet. Create one with: aigw teams create --name NAME\n');
  });
});

describe('formatTeam', () => {
  const team = { id: 'team_1', name: 'platform', limits: { usdPerMonth: 400 }, createdAt: '2026-05-01T12:34:56.000Z' };

  it.each([
    ['Created', 'Give it keys with: aigw keys create --name NAME --team team_1'],
    ['Updated', 'Gateways that have its keys cached apply the change within keyCache.ttlSeconds (30 s by default).'],
  ] as const)('says what was done and what follows for %s', (done, last) => {
    // Act
    const lines = formatTeam(done, team).trimEnd().split('\n');

    // Assess
    expect(lines[0]).toBe(`${done} team team_1 (platform)`);
    expect(lines.slice(1, 3)).toEqual(["  models:  any (its keys' own patterns decide)", '  limits:  $400.00/month']);
    expect(lines.at(-1)).toBe(last);
  });
});

describe('end-user limits in key and team details', () => {
  it('shows a key\'s end-user limits and requirement, and nothing for a key without them', () => {
    const key = { id: 'key_1', name: 'app', prefix: 'sk-gw-abc', models: ['*'], status: 'active' as const, createdAt: '2026-01-01T00:00:00.000Z' };

    expect(formatUpdatedKey({ ...key, endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 }, endUserRequired: true })).toContain('  end users: 10 rpm, $1.00/day each, required\n');
    expect(formatUpdatedKey(key)).not.toContain('end users');
  });

  it('shows a team\'s end-user limits', () => {
    expect(formatTeam('Created', { id: 'team_1', name: 'product', endUserLimits: { usdPerMonth: 5 }, createdAt: '2026-01-01T00:00:00.000Z' })).toContain('  end users: $5.00/month each\n');
  });
});

describe('formatUsageReport', () => {
  const row = (fields: Partial<UsageRow>): UsageRow => ({
    day: '2026-06-02',
    keyId: 'key_a',
    keyName: 'alice',
    teamId: null,
    teamName: null,
    model: 'gpt-4o',
    requests: 1,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costMicros: 0,
    unpriced: 0,
    rolledUpAt: '2026-06-02T14:05:00.000Z',
    ...fields,
  });
  const RANGE = { from: '2026-06-01', to: '2026-06-02' };
  /** Alice's busy day 1 on gpt-4o, her unpriced day 2 on claude-x, and bob's cheap day 2. */
  const MIXED = [
    row({ day: '2026-06-01', model: 'gpt-4o', requests: 10, errors: 1, inputTokens: 12000, outputTokens: 3400, cacheReadTokens: 2048, costMicros: 1_200_000, rolledUpAt: '2026-06-02T00:10:00.000Z' }),
    row({ model: 'claude-x', requests: 3, inputTokens: 900, outputTokens: 120, unpriced: 3, rolledUpAt: '2026-06-02T14:05:09.000Z' }),
    row({ keyId: 'key_b', keyName: 'bob', requests: 2, inputTokens: 500, outputTokens: 100, costMicros: 4200, rolledUpAt: '2026-06-02T13:58:30.000Z' }),
  ];
  const PRICED = MIXED.map((r) => ({ ...r, unpriced: 0 }));

  it.each([
    [
      'by key: name and id, dearest first, a mark on a cost that leaves requests out',
      'key' as const,
      MIXED,
      [
        'ID     NAME   REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        'key_a  alice        13       1  12900    3520        2048      $1.20*',
        'key_b  bob           2       0    500     100           0    $0.0042',
        'TOTAL               15       1  13400    3620        2048    $1.2042*',
      ],
    ],
    [
      'by team: id and name, usage outside any team as one group',
      'team' as const,
      [{ ...PRICED[0]!, teamId: 'team_1', teamName: 'platform' }, { ...PRICED[1]!, teamId: 'team_1', teamName: 'platform' }, PRICED[2]!],
      [
        'TEAM ID  TEAM       REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        'team_1   platform         13       1  12900    3520        2048       $1.20',
        '-        (no team)         2       0    500     100           0     $0.0042',
        'TOTAL                     15       1  13400    3620        2048     $1.2042',
      ],
    ],
    [
      'by model, dearest first, an unpriced model last',
      'model' as const,
      MIXED,
      [
        'MODEL     REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        'gpt-4o          12       1  12500    3500        2048    $1.2042',
        'claude-x         3       0    900     120           0      $0.00*',
        'TOTAL           15       1  13400    3620        2048    $1.2042*',
      ],
    ],
    [
      'by day, in date order whatever the cost',
      'day' as const,
      [...PRICED].reverse().map((r) => (r.day === '2026-06-02' ? { ...r, costMicros: 5_000_000 } : r)),
      [
        'DAY         REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        '2026-06-01        10       1  12000    3400        2048       $1.20',
        '2026-06-02         5       0   1400     220           0      $10.00',
        'TOTAL             15       1  13400    3620        2048      $11.20',
      ],
    ],
    [
      'by key, a key no longer in the store shown as -',
      'key' as const,
      [row({ keyId: 'key_gone', keyName: null, requests: 4, costMicros: 35 })],
      [
        'ID        NAME  REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        'key_gone  -            4       0      0       0           0   $0.000035',
        'TOTAL                  4       0      0       0           0   $0.000035',
      ],
    ],
    [
      'by model, equal costs ordered by requests, then by name',
      'model' as const,
      [row({ model: 'b', requests: 1 }), row({ model: 'a', requests: 1 }), row({ model: 'c', requests: 5 })],
      [
        'MODEL  REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        'c             5       0      0       0           0       $0.00',
        'a             1       0      0       0           0       $0.00',
        'b             1       0      0       0           0       $0.00',
        'TOTAL         7       0      0       0           0       $0.00',
      ],
    ],
  ])('lays out the table %s', (_case, by, data, table) => {
    // Act
    const lines = formatUsageReport({ ...RANGE, data }, by).split('\n');

    // Assess
    expect(lines.slice(2, 2 + table.length)).toEqual(table);
  });

  it('groups by end user and key, dearest first, calls without an end user as (none), and names the end user asked for', () => {
    const data = [
      row({ endUser: 'alice', requests: 2, costMicros: 300 }),
      row({ endUser: 'alice', model: 'b', requests: 1, costMicros: 100 }),
      row({ endUser: 'alice', keyId: 'key_b', requests: 1, costMicros: 50 }),
      row({ endUser: null, requests: 3, costMicros: 10 }),
    ];

    const lines = formatUsageReport({ ...RANGE, data }, 'end-user').split('\n');
    const one = formatUsageReport({ ...RANGE, data: data.slice(0, 2) }, 'end-user', { endUser: 'alice' });

    expect(lines.slice(0, 7)).toEqual([
      'Usage from 2026-06-01 to 2026-06-02 (UTC), by end-user',
      '',
      'END USER  KEY ID  REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
      'alice     key_a          3       0      0       0           0     $0.0004',
      'alice     key_b          1       0      0       0           0    $0.00005',
      '(none)    key_a          3       0      0       0           0    $0.00001',
      'TOTAL                    7       0      0       0           0    $0.00046',
    ]);
    expect(one.split('\n')[0]).toBe('Usage of end user "alice" from 2026-06-01 to 2026-06-02 (UTC), by end-user');
  });

  it('says how many requests the response cache answered, when it answered any', () => {
    const text = formatUsageReport({ ...RANGE, data: [row({ requests: 5, cacheHits: 3, costMicros: 2000 }), row({ model: 'b', requests: 1 })] }, 'model');

    expect(text.split('\n')).toContain('3 requests were answered from the response cache, at no cost.');
    expect(formatUsageReport({ ...RANGE, data: [row({})] }, 'model')).not.toContain('response cache');
  });

  it('heads the report with its range and grouping, and ends it with when it was summed', () => {
    // Act
    const text = formatUsageReport({ ...RANGE, data: PRICED }, 'key');

    // Assess
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Usage from 2026-06-01 to 2026-06-02 (UTC), by key', '']);
    expect(lines.slice(-3)).toEqual(['', 'As of 2026-06-02 13:58Z: usage after that is not in these figures yet.', '']);
    expect(text).not.toContain('*');
  });

  it.each([
    ['the oldest roll-up of the last day, not an older day’s', MIXED, '2026-06-02 13:58Z'],
    ['the only day’s roll-up', [row({ day: '2026-06-01', rolledUpAt: '2026-06-01T23:00:00.000Z' })], '2026-06-01 23:00Z'],
    ['the last day even when the rows come in another order', [MIXED[1]!, MIXED[0]!], '2026-06-02 14:05Z'],
  ])('says the figures are as of %s', (_case, data, asOf) => {
    // Act
    const text = formatUsageReport({ ...RANGE, data }, 'key');

    // Assess
    expect(text).toContain(`\nAs of ${asOf}: usage after that is not in these figures yet.\n`);
  });

  it.each([
    ['several requests', MIXED, '* 3 requests went to models without a price in the config and are not in the cost.'],
    ['one request', [row({ unpriced: 1 })], '* 1 request went to a model without a price in the config and is not in the cost.'],
  ])('adds a footnote on requests without a price: %s', (_case, data, note) => {
    // Act
    const lines = formatUsageReport({ ...RANGE, data }, 'model').split('\n');

    // Assess
    expect(lines.filter((l) => l.startsWith('* '))).toEqual([note]);
  });

  it.each([
    ['a range', RANGE, {}, 'No usage from 2026-06-01 to 2026-06-02 (UTC).\n'],
    ['one day', { from: '2026-06-02', to: '2026-06-02' }, {}, 'No usage on 2026-06-02 (UTC).\n'],
    ['one key', RANGE, { key: 'key_a' }, 'No usage of key key_a from 2026-06-01 to 2026-06-02 (UTC).\n'],
  ])('says so when there is no usage in %s', (_case, range, options, text) => {
    // Act
    const shown = formatUsageReport({ ...range, data: [] }, 'key', options);

    // Assess
    expect(shown).toBe(text);
  });

  it('names the key in the heading of a report on one key', () => {
    // Act
    const text = formatUsageReport({ from: '2026-06-02', to: '2026-06-02', data: PRICED }, 'model', { key: 'key_a' });

    // Assess
    expect(text.split('\n')[0]).toBe('Usage of key key_a on 2026-06-02 (UTC), by model');
  });

  it('replaces control characters in key names and model names, which come from users', () => {
    // Act
    const byKey = formatUsageReport({ ...RANGE, data: [row({ keyName: 'evil\n\u001b[2J' })] }, 'key');
    const byModel = formatUsageReport({ ...RANGE, data: [row({ model: 'm\r\nX' })] }, 'model');

    // Assess
    expect(byKey).toContain('key_a  evil??[2J');
    expect(byModel).toContain('\nm??X  ');
  });
});

describe('rotationText', () => {
  it.each([
    ['never rotated', {}, undefined],
    ['rotated with no grace', { rotatedAt: '2026-05-31T20:00:00.000Z' }, '2026-05-31 20:00Z'],
    ['in its grace', { rotatedAt: '2026-05-31T20:00:00.000Z', previousExpiresAt: '2026-06-01T00:00:01.000Z' }, '2026-05-31 20:00Z, old secret until 2026-06-01 00:00Z'],
    ['past its grace', { rotatedAt: '2026-05-31T20:00:00.000Z', previousExpiresAt: '2026-06-01T00:00:00.000Z' }, '2026-05-31 20:00Z'],
  ])('reads a key %s as %j', (_name, fields, expected) => {
    expect(rotationText(fields, NOW)).toBe(expected);
  });
});

describe('formatRotatedKey', () => {
  it('shows the new secret once and until when the old one works, or that it works no more', () => {
    const rotated = { ...key({ rotatedAt: '2026-05-31T23:00:00.000Z', previousExpiresAt: '2026-06-01T00:00:00.000Z' }), key: 'sk-gw-new' };

    const text = formatRotatedKey(rotated);
    const { previousExpiresAt: _gone, ...withoutGrace } = rotated;

    expect(text).toContain('\n  sk-gw-new\n');
    expect(text).toContain('Store it now');
    expect(text).toMatch(/The old secret keeps working until 2026-06-01 00:00Z; then it is refused like a revoked key.\n$/);
    expect(formatRotatedKey(withoutGrace)).toMatch(/The old secret is refused now/);
  });
});

describe('formatKey and formatTeamDetails', () => {
  const budgets = [
    { kind: 'day' as const, periodId: '2026-05-01', limitMicros: 5_000_000, usedMicros: 3_200_000, fraction: 0.64, resetsAt: '2026-05-02T00:00:00.000Z' },
    { kind: 'month' as const, periodId: '2026-05', limitMicros: 50_000_000, usedMicros: 12_500_000, fraction: 0.25, resetsAt: '2026-06-01T00:00:00.000Z' },
  ];

  it('shows a key with its team by name and each budget: spent, limit, period, fraction and reset', () => {
    const text = formatKey({ ...key({ limits: { usdPerDay: 5, usdPerMonth: 50 }, teamId: 'team_1' }), spend: budgets }, NOW, 'platform');

    expect(text.split('\n')).toEqual([
      'Key key_0123456789abcdef (alice)',
      '  team:    platform (team_1)',
      '  models:  gpt-4o*,claude-*',
      '  limits:  $5.00/day, $50.00/month',
      '  ips:     any',
      '  audit:   off',
      '  expires: never',
      '  prefix:  sk-gw-AbCdEf',
      '  status:  active',
      '  created: 2026-05-01 12:34Z',
      '  rotated: never',
      '  spent:   $3.20 of $5.00 today (2026-05-01, 64%), starts afresh 2026-05-02 00:00Z',
      '           $12.50 of $50.00 this month (2026-05, 25%), starts afresh 2026-06-01 00:00Z',
      '',
    ]);
  });

  it('says which rule set and parameter policy a key or team chose, and nothing when it chose none', () => {
    const chosen = formatKey(key({ guardrails: 'strict', params: 'ci' }), NOW);
    const exempt = formatKey(key({ guardrails: 'off' }), NOW);
    const team = formatTeamDetails({ id: 'team_1', name: 'contractors', guardrails: 'strict', params: 'contractors', createdAt: '2026-05-02T00:00:00.000Z' });

    expect(chosen).toContain('  guardrails: rule set strict\n  params:  ci (on top of the model\'s policy)\n');
    expect(exempt).toContain('  guardrails: off (not screened)\n');
    expect(team).toContain('  guardrails: rule set strict\n  params:  contractors (for its keys without their own)\n');
    expect(formatKey(key(), NOW)).not.toMatch(/guardrails|params/);
  });

  it('says a key or team without a budget has none', () => {
    expect(formatKey(key(), NOW)).toContain('  spent:   - (no budget)\n');
    expect(formatTeamDetails({ id: 'team_2', name: 'open', createdAt: '2026-05-02T00:00:00.000Z' })).toBe(
      ['Team team_2 (open)', "  models:  any (its keys' own patterns decide)", '  limits:  none', '  audit:   off', '  created: 2026-05-02 00:00Z', '  spent:   - (no budget)', ''].join('\n'),
    );
  });
});
