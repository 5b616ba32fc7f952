import type { ApiKeyInfo } from '../access/api-key';
import { displayStatus, formatCreatedKey, formatKeyTable, formatTable, formatUpdatedKey, limitsText, shortTime } from './format';

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
      key({ limits: { requestsPerMinute: 60, tokensPerMinute: 90000 } }),
      key({ id: 'key_2', name: 'b', models: ['*'], status: 'revoked', expiresAt: '2027-01-01T00:00:00.000Z' }),
      key({ id: 'key_3', name: 'c', models: ['*'], limits: { usdPerDay: 5, usdPerMonth: 100 } }),
    ];

    // Act
    const lines = formatKeyTable(keys, NOW).trimEnd().split('\n');

    // Assess
    expect(lines).toEqual([
      'ID                    NAME   PREFIX        MODELS            LIMITS                    STATUS   CREATED            EXPIRES',
      'key_0123456789abcdef  alice  sk-gw-AbCdEf  gpt-4o*,claude-*  60 rpm, 90000 tpm         active   2026-05-01 12:34Z  -',
      'key_2                 b      sk-gw-AbCdEf  *                 -                         revoked  2026-05-01 12:34Z  2027-01-01 00:00Z',
      'key_3                 c      sk-gw-AbCdEf  *                 $5.00/day, $100.00/month  active   2026-05-01 12:34Z  -',
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
    const updated = key({ name: 'carol', limits: { tokensPerMinute: 90000 }, expiresAt: '2027-01-01T00:00:00.000Z' });

    // Act
    const text = formatUpdatedKey(updated);

    // Assess
    expect(text).toBe(
      [
        'Updated key key_0123456789abcdef (carol)',
        '  models:  gpt-4o*,claude-*',
        '  limits:  90000 tpm',
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

  it('replaces control characters in the name', () => {
    // Act
    const text = formatUpdatedKey(key({ name: 'evil\n\u001b[2J' }));

    // Assess
    expect(text.split('\n')[0]).toBe('Updated key key_0123456789abcdef (evil??[2J)');
  });
});
