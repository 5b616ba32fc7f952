import { createHash } from 'node:crypto';
import type { GatewayRequest } from '../http/types';
import type { DayEndUserRow, UsageReports } from '../jobs/rollup';
import { newTeam } from '../access/team';
import { MemoryKeyStore } from '../store/keys';
import { MemoryTeamStore } from '../store/teams';
import type { DayRollup } from '../store/rollups';
import type { UsageTotals } from '../usage/rollup';
import { createAdminApi } from './api';

const TOKEN = 'admin-secret';

function request(method: string, path: string, body?: unknown, token: string | null = TOKEN): GatewayRequest {
  const [pathname, query] = path.split('?') as [string, string | undefined];
  return {
    method,
    path: pathname,
    query: new URLSearchParams(query ?? ''),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    sourceIp: '127.0.0.1',
    requestId: 'r',
  };
}

async function call(api: ReturnType<typeof createAdminApi>, req: GatewayRequest) {
  const res = await api.handle(req);
  return { status: res.status, headers: res.headers, body: JSON.parse(String(res.body)) };
}

describe('the admin API', () => {
  const now = () => new Date('2026-11-26T10:00:00Z');
  let api: ReturnType<typeof createAdminApi>;
  beforeEach(() => {
    api = createAdminApi({ keys: new MemoryKeyStore(), token: TOKEN, now });
  });

  it('creates a key with end-user limits and the requirement, merges a patch into them, and removes them', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'app', endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 }, endUserRequired: true }));
    const id = created.body.id as string;
    const patched = await call(api, request('PATCH', `/admin/keys/${id}`, { endUserLimits: { requestsPerMinute: null, usdPerMonth: 20 }, endUserRequired: false }));
    const cleared = await call(api, request('PATCH', `/admin/keys/${id}`, { endUserLimits: { usdPerDay: null, usdPerMonth: null } }));
    const bad = await call(api, request('POST', '/admin/keys', { name: 'x', endUserLimits: { requestsPerMinute: 0 } }));

    expect(created.body).toMatchObject({ endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 }, endUserRequired: true });
    expect(patched.body.endUserLimits).toEqual({ usdPerDay: 1, usdPerMonth: 20 });
    expect(patched.body.endUserRequired).toBeUndefined();
    expect(cleared.body.endUserLimits).toBeUndefined();
    expect([bad.status, bad.body.error.param]).toEqual([400, 'endUserLimits.requestsPerMinute']);
  });

  it('creates a key, shows it once, and lists it without the secret', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'alice', models: ['gpt-4o*', 'claude-*'] }));
    const listed = await call(api, request('GET', '/admin/keys'));

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^key_/), key: expect.stringMatching(/^sk-gw-/), name: 'alice', models: ['gpt-4o*', 'claude-*'], status: 'active', createdAt: '2026-11-26T10:00:00.000Z' });
    expect(created.body.prefix).toBe(created.body.key.slice(0, created.body.prefix.length));
    expect(listed.body.data).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(JSON.stringify(listed.body)).not.toContain('hash');
  });

  it('lets a key use every model unless told otherwise', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'bob' }));

    expect(created.body.models).toEqual(['*']);
  });

  it('revokes a key by id', async () => {
    const { body: key } = await call(api, request('POST', '/admin/keys', { name: 'a' }));

    const revoked = await call(api, request('POST', `/admin/keys/${key.id}/revoke`));
    const fetched = await call(api, request('GET', `/admin/keys/${key.id}`));

    expect(revoked.body).toMatchObject({ status: 'revoked', revokedAt: '2026-11-26T10:00:00.000Z' });
    expect(fetched.body.status).toBe('revoked');
  });

  describe('rotating a key', () => {
    it('gives the key a new secret, shown once, and keeps everything else; the old one works for an hour by default', async () => {
      const keys = new MemoryKeyStore();
      api = createAdminApi({ keys, token: TOKEN, now });
      const { body: created } = await call(api, request('POST', '/admin/keys', { name: 'alice', models: ['gpt-4o*'], limits: { requestsPerMinute: 5 } }));

      const rotated = await call(api, request('POST', `/admin/keys/${created.id}/rotate`));
      const listed = await call(api, request('GET', '/admin/keys'));

      expect(rotated.status).toBe(200);
      expect(rotated.body).toEqual({
        ...created,
        key: expect.stringMatching(/^sk-gw-/),
        prefix: rotated.body.key.slice(0, created.prefix.length),
        rotatedAt: '2026-11-26T10:00:00.000Z',
        previousExpiresAt: '2026-11-26T11:00:00.000Z',
      });
      expect(rotated.body.key).not.toBe(created.key);
      const { key: _secret, ...info } = rotated.body;
      expect(listed.body.data).toEqual([info]);
      expect(JSON.stringify(listed.body)).not.toContain('ash');
      expect((await keys.getByHash(createHash('sha256').update(created.key).digest('hex')))?.id).toBe(created.id);
    });

    it.each([
      [{ graceSeconds: 0 }, undefined],
      [{ graceSeconds: 90 }, '2026-11-26T10:01:30.000Z'],
    ])('takes the grace period %j', async (body, previousExpiresAt) => {
      const { body: created } = await call(api, request('POST', '/admin/keys', { name: 'a' }));

      const rotated = await call(api, request('POST', `/admin/keys/${created.id}/rotate`, body));

      expect(rotated.body.previousExpiresAt).toBe(previousExpiresAt);
    });

    it.each([
      ['a negative grace', { graceSeconds: -1 }, 400, 'graceSeconds'],
      ['a grace over 30 days', { graceSeconds: 30 * 86_400 + 1 }, 400, 'graceSeconds'],
      ['an unknown field', { grace: 5 }, 400, undefined],
    ])('refuses %s with a 400', async (_name, body, status, param) => {
      const { body: created } = await call(api, request('POST', '/admin/keys', { name: 'a' }));

      const res = await call(api, request('POST', `/admin/keys/${created.id}/rotate`, body));

      expect(res.status).toBe(status);
      if (param) expect(res.body.error.param).toBe(param);
    });

    it('answers 404 for an unknown key, 409 for a revoked one, 405 for GET', async () => {
      const { body: created } = await call(api, request('POST', '/admin/keys', { name: 'a' }));
      await call(api, request('POST', `/admin/keys/${created.id}/revoke`));

      expect((await call(api, request('POST', '/admin/keys/key_nope/rotate'))).status).toBe(404);
      expect((await call(api, request('POST', `/admin/keys/${created.id}/rotate`))).body.error).toMatchObject({ code: 'key_not_rotatable' });
      expect((await call(api, request('POST', `/admin/keys/${created.id}/rotate`))).status).toBe(409);
      expect((await call(api, request('GET', `/admin/keys/${created.id}/rotate`))).status).toBe(405);
    });
  });

  it('creates a key with per-minute limits', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'a', limits: { requestsPerMinute: 60, tokensPerMinute: 90_000 } }));

    expect(created.body.limits).toEqual({ requestsPerMinute: 60, tokensPerMinute: 90_000 });
    expect((await call(api, request('GET', `/admin/keys/${created.body.id}`))).body.limits).toEqual({ requestsPerMinute: 60, tokensPerMinute: 90_000 });
  });

  it('creates a key with budgets in USD and changes them', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'a', limits: { usdPerDay: 2.5, usdPerMonth: 40 } }));
    const changed = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { limits: { usdPerDay: null, requestsPerMinute: 10 } }));

    expect(created.body.limits).toEqual({ usdPerDay: 2.5, usdPerMonth: 40 });
    expect(changed.body.limits).toEqual({ usdPerMonth: 40, requestsPerMinute: 10 });
  });

  it('changes a key by merge patch: fields given replace, a limit set to null goes', async () => {
    const { body: key } = await call(api, request('POST', '/admin/keys', { name: 'a', models: ['gpt-*'], limits: { requestsPerMinute: 60, tokensPerMinute: 90_000 } }));

    const raised = await call(api, request('PATCH', `/admin/keys/${key.id}`, { limits: { requestsPerMinute: 120 } }));
    const noTokens = await call(api, request('PATCH', `/admin/keys/${key.id}`, { limits: { tokensPerMinute: null }, models: ['*'], name: 'b' }));
    const none = await call(api, request('PATCH', `/admin/keys/${key.id}`, { limits: { requestsPerMinute: null } }));

    expect(raised.body.limits).toEqual({ requestsPerMinute: 120, tokensPerMinute: 90_000 });
    expect(noTokens.body).toMatchObject({ name: 'b', models: ['*'], limits: { requestsPerMinute: 120 } });
    expect(none.status).toBe(200);
    expect(none.body).not.toHaveProperty('limits');
    expect(none.body).not.toHaveProperty('key');
  });

  it.each([
    ['a zero limit', { limits: { requestsPerMinute: 0 } }, 'limits.requestsPerMinute'],
    ['a fractional limit', { limits: { tokensPerMinute: 1.5 } }, 'limits.tokensPerMinute'],
    ['a limit as text', { limits: { requestsPerMinute: '60' } }, 'limits.requestsPerMinute'],
    ['an unknown limit', { limits: { requestsPerDay: 60 } }, 'limits.requestsPerDay'],
    ['a budget of nothing', { limits: { usdPerDay: 0 } }, 'limits.usdPerDay'],
    ['a negative budget', { limits: { usdPerMonth: -5 } }, 'limits.usdPerMonth'],
  ])('refuses %s, naming the field, on create and on change', async (_name, fields, param) => {
    const { body: key } = await call(api, request('POST', '/admin/keys', { name: 'a' }));

    const created = await call(api, request('POST', '/admin/keys', { name: 'a', ...fields }));
    const changed = await call(api, request('PATCH', `/admin/keys/${key.id}`, fields));

    expect([created.status, created.body.error.param]).toEqual([400, param]);
    expect([changed.status, changed.body.error.param]).toEqual([400, param]);
  });

  it('creates a key held to addresses, changes the list, and removes it with null', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'office', allowedIps: ['10.0.0.0/8', ' 2001:db8::/32 ', '203.0.113.7'] }));
    const renamed = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { name: 'office 2' }));
    const replaced = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { allowedIps: ['192.0.2.0/24'] }));
    const removed = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { allowedIps: null }));

    expect(created.status).toBe(201);
    expect(created.body.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7']);
    expect(renamed.body.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7']);
    expect(replaced.body.allowedIps).toEqual(['192.0.2.0/24']);
    expect(removed.status).toBe(200);
    expect(removed.body).not.toHaveProperty('allowedIps');
    expect((await call(api, request('GET', `/admin/keys/${created.body.id}`))).body).not.toHaveProperty('allowedIps');
  });

  it('gives a key a rule set and a parameter policy the config has, changes and removes them, and refuses names it has not with a 400', async () => {
    // Prepare
    const named = createAdminApi({ keys: new MemoryKeyStore(), token: TOKEN, now, names: { guardrailSets: ['strict'], paramPolicies: ['ci', 'contractors'] } });

    // Act
    const created = await call(named, request('POST', '/admin/keys', { name: 'ci', guardrails: 'strict', params: 'ci' }));
    const id = created.body.id as string;
    const changed = await call(named, request('PATCH', `/admin/keys/${id}`, { guardrails: 'off', params: 'contractors' }));
    const cleared = await call(named, request('PATCH', `/admin/keys/${id}`, { guardrails: 'on', params: null }));
    const unknownSet = await call(named, request('POST', '/admin/keys', { name: 'x', guardrails: 'lax' }));
    const unknownPolicy = await call(named, request('PATCH', `/admin/keys/${id}`, { params: 'nightly' }));
    const notAName = await call(named, request('POST', '/admin/keys', { name: 'x', guardrails: 'Strict Set' }));

    // Assess
    expect([created.status, created.body.guardrails, created.body.params]).toEqual([201, 'strict', 'ci']);
    expect([changed.body.guardrails, changed.body.params]).toEqual(['off', 'contractors']);
    expect(cleared.body).not.toHaveProperty('guardrails');
    expect(cleared.body).not.toHaveProperty('params');
    expect([unknownSet.status, unknownSet.body.error.param, unknownSet.body.error.code]).toEqual([400, 'guardrails', 'guardrail_set_unknown']);
    expect(unknownSet.body.error.message).toBe('The config has no guardrail rule set "lax"; guardrails is "on", "off" or one of guardrails.sets: "strict".');
    expect([unknownPolicy.status, unknownPolicy.body.error.param, unknownPolicy.body.error.code]).toEqual([400, 'params', 'param_policy_unknown']);
    expect((await call(named, request('GET', `/admin/keys/${id}`))).body).not.toHaveProperty('params');
    expect([notAName.status, notAName.body.error.param]).toEqual([400, 'guardrails']);
  });

  it('takes any well-formed name when it was not given the config\'s (the request path then refuses an unknown one)', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'ci', guardrails: 'strict', params: 'ci' }));
    expect([created.status, created.body.guardrails, created.body.params]).toEqual([201, 'strict', 'ci']);
  });

  it('flags a key for the audit log, keeps the flag through other changes, removes it with false and refuses anything but a boolean', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'legal', audit: true }));
    const renamed = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { name: 'legal 2' }));
    const cleared = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { audit: false }));
    const wrong = await call(api, request('PATCH', `/admin/keys/${created.body.id}`, { audit: 'yes' }));

    expect(created.body.audit).toBe(true);
    expect(renamed.body.audit).toBe(true);
    expect(cleared.body).not.toHaveProperty('audit');
    expect([wrong.status, wrong.body.error.param]).toEqual([400, 'audit']);
  });

  it('lets a key be used from anywhere unless told otherwise', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'anywhere' }));

    expect(created.body).not.toHaveProperty('allowedIps');
  });

  it.each([
    ['a name for an address', { allowedIps: ['10.0.0.0/8', 'office.example.com'] }, 'allowedIps[1]', '"office.example.com" is not an IPv4 or IPv6 address'],
    ['an IPv4 prefix over 32', { allowedIps: ['10.0.0.0/33'] }, 'allowedIps[0]', 'prefix length is not a whole number from 0 to 32'],
    ['an IPv6 prefix over 128', { allowedIps: ['::1', '2001:db8::/129'] }, 'allowedIps[1]', 'from 0 to 128'],
    ['an address that is not a string', { allowedIps: [167772160] }, 'allowedIps[0]', ''],
    ['an empty list (null removes the list; revoking stops a key)', { allowedIps: [] }, 'allowedIps', 'at least one address'],
    ['a list of over 100 entries', { allowedIps: Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`) }, 'allowedIps', 'at most 100 entries'],
    ['a single string for a list', { allowedIps: '10.0.0.0/8' }, 'allowedIps', ''],
  ])('refuses %s, naming the entry, on create and on change', async (_name, fields, param, message) => {
    const { body: key } = await call(api, request('POST', '/admin/keys', { name: 'a' }));

    const created = await call(api, request('POST', '/admin/keys', { name: 'a', ...fields }));
    const changed = await call(api, request('PATCH', `/admin/keys/${key.id}`, fields));

    expect([created.status, created.body.error.param, created.body.error.code]).toEqual([400, param, 'invalid_value']);
    expect([changed.status, changed.body.error.param]).toEqual([400, param]);
    expect(created.body.error.message).toContain(message);
  });

  it('refuses to create a key with null for its list (there is nothing to remove)', async () => {
    const created = await call(api, request('POST', '/admin/keys', { name: 'a', allowedIps: null }));

    expect([created.status, created.body.error.param]).toEqual([400, 'allowedIps']);
  });

  it.each([
    ['no token', request('GET', '/admin/keys', undefined, null), 401, 'invalid_admin_token'],
    ['a wrong token', request('GET', '/admin/keys', undefined, 'nope'), 401, 'invalid_admin_token'],
    ['a missing name', request('POST', '/admin/keys', { models: ['*'] }), 400, 'invalid_value'],
    ['an unknown field', request('POST', '/admin/keys', { name: 'a', modles: ['*'] }), 400, 'invalid_value'],
    ['a bad expiry', request('POST', '/admin/keys', { name: 'a', expiresAt: 'tomorrow' }), 400, 'invalid_value'],
    ['an unknown key id', request('GET', '/admin/keys/key_nope'), 404, 'key_not_found'],
    ['a change to an unknown key', request('PATCH', '/admin/keys/key_nope', { name: 'x' }), 404, 'key_not_found'],
    ['a change to the id', request('PATCH', '/admin/keys/key_nope', { id: 'key_mine' }), 400, 'invalid_value'],
    ['an unknown route', request('GET', '/admin/teams'), 404, 'not_found'],
    ['a wrong method', request('PUT', '/admin/keys'), 405, 'method_not_allowed'],
  ])('refuses %s', async (_name, req, status, code) => {
    const res = await call(api, req);

    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('names the bad field', async () => {
    const res = await call(api, request('POST', '/admin/keys', { name: 'a', modles: ['*'] }));

    expect(res.body.error.param).toBe('modles');
  });

  it('needs no token where the door authenticates (IAM on AWS)', async () => {
    const open = createAdminApi({ keys: new MemoryKeyStore() });

    expect((await open.handle(request('GET', '/admin/keys', undefined, null))).status).toBe(200);
  });
});

describe('the admin API\'s usage reports', () => {
  const now = () => new Date('2026-11-26T10:00:00Z');
  const totals = (requests: number, costMicros: number): UsageTotals => ({ requests, errors: 0, inputTokens: 10 * requests, outputTokens: requests, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costMicros, unpriced: 0 });
  let keys: MemoryKeyStore;
  let asked: { listed: [string, string][]; rolledUp: (readonly string[])[]; endUsers: [readonly string[], readonly string[]][] };
  let endUserRows: DayEndUserRow[];
  let api: ReturnType<typeof createAdminApi>;
  let alice: string;
  let reports: UsageReports;
  let rollups: DayRollup[];
  beforeEach(async () => {
    keys = new MemoryKeyStore();
    asked = { listed: [], rolledUp: [], endUsers: [] };
    endUserRows = [];
    rollups = [];
    reports = {
      async list(from, to) {
        asked.listed.push([from, to]);
        return rollups.filter((r) => r.day >= from && r.day <= to);
      },
      async rollUp(days) {
        asked.rolledUp.push(days);
        return { keys: 2, rollups: 3 };
      },
      async endUsers(keyIds, days) {
        asked.endUsers.push([keyIds, days]);
        return endUserRows.filter((r) => keyIds.includes(r.keyId) && days.includes(r.day));
      },
    };
    api = createAdminApi({ keys, token: TOKEN, now, reports });
    alice = (await call(api, request('POST', '/admin/keys', { name: 'alice' }))).body.id;
    rollups.push(
      { keyId: alice, day: '2026-11-01', byModel: { 'gpt-4o': totals(2, 500) }, rolledUpAt: '2026-11-02T00:00:00.000Z' },
      { keyId: 'key_gone', day: '2026-11-26', byModel: { 'gpt-4o': totals(1, 10), claude: totals(4, 40) }, rolledUpAt: '2026-11-26T09:00:00.000Z' },
    );
  });

  it('reports this month so far by default, a row per day, key and model, with the key\'s name', async () => {
    const res = await call(api, request('GET', '/admin/usage'));

    expect(res.status).toBe(200);
    expect(asked.listed).toEqual([['2026-11-01', '2026-11-26']]);
    expect(res.body).toEqual({
      from: '2026-11-01',
      to: '2026-11-26',
      data: [
        { day: '2026-11-01', keyId: alice, keyName: 'alice', teamId: null, teamName: null, model: 'gpt-4o', ...totals(2, 500), rolledUpAt: '2026-11-02T00:00:00.000Z' },
        { day: '2026-11-26', keyId: 'key_gone', keyName: null, teamId: null, teamName: null, model: 'gpt-4o', ...totals(1, 10), rolledUpAt: '2026-11-26T09:00:00.000Z' },
        { day: '2026-11-26', keyId: 'key_gone', keyName: null, teamId: null, teamName: null, model: 'claude', ...totals(4, 40), rolledUpAt: '2026-11-26T09:00:00.000Z' },
      ],
    });
  });

  it('reports a range, and one key', async () => {
    const res = await call(api, request('GET', `/admin/usage?from=2026-10-01&to=2026-11-10&key=${alice}`));

    expect(asked.listed).toEqual([['2026-10-01', '2026-11-10']]);
    expect(res.body.data.map((r: { keyId: string }) => r.keyId)).toEqual([alice]);
  });

  it('reports the rows of a key in a team with the team\'s id and name, and only those of one team when asked', async () => {
    const teams = new MemoryTeamStore();
    const team = newTeam({ name: 'platform' }, now());
    await teams.put(team);
    const withTeams = createAdminApi({ keys, teams, token: TOKEN, now, reports });
    rollups.push({ keyId: alice, day: '2026-11-20', byModel: { 'gpt-4o': totals(1, 1) }, byTeam: { [team.id]: { 'gpt-4o': totals(3, 30) }, team_gone: { claude: totals(2, 20) } }, rolledUpAt: '2026-11-21T00:00:00.000Z' });

    const all = await call(withTeams, request('GET', '/admin/usage?from=2026-11-20&to=2026-11-20'));
    const one = await call(withTeams, request('GET', `/admin/usage?from=2026-11-20&to=2026-11-20&team=${team.id}`));

    expect(all.body.data.map((r: { teamId: string | null; teamName: string | null; requests: number }) => [r.teamId, r.teamName, r.requests])).toEqual([
      [null, null, 1],
      [team.id, 'platform', 3],
      ['team_gone', null, 2],
    ]);
    expect(one.body.data).toEqual([expect.objectContaining({ keyId: alice, teamId: team.id, teamName: 'platform', model: 'gpt-4o', requests: 3, costMicros: 30 })]);
  });

  it('reports usage per end user from the records of every key, this month so far by default, filtered by end user when asked', async () => {
    endUserRows.push(
      { day: '2026-11-03', keyId: alice, teamId: null, endUser: 'u-1', model: 'gpt-4o', totals: totals(2, 20) },
      { day: '2026-11-03', keyId: alice, teamId: null, endUser: null, model: 'gpt-4o', totals: totals(1, 5) },
      { day: '2026-11-04', keyId: alice, teamId: null, endUser: 'u-2', model: 'gpt-4o', totals: totals(4, 40) },
    );

    const all = await call(api, request('GET', '/admin/usage/end-users'));
    const one = await call(api, request('GET', '/admin/usage/end-users?from=2026-11-01&to=2026-11-05&endUser=u-2'));

    expect(asked.endUsers[0]).toEqual([[alice], Array.from({ length: 26 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`)]);
    expect(all.body.data.map((r: { endUser: string | null; keyName: string; requests: number }) => [r.endUser, r.keyName, r.requests])).toEqual([
      ['u-1', 'alice', 2],
      [null, 'alice', 1],
      ['u-2', 'alice', 4],
    ]);
    expect(all.body.data[0]).toMatchObject({ day: '2026-11-03', teamId: null, teamName: null, model: 'gpt-4o', costMicros: 20, rolledUpAt: now().toISOString() });
    expect(one.body).toMatchObject({ from: '2026-11-01', to: '2026-11-05', data: [expect.objectContaining({ endUser: 'u-2', requests: 4 })] });
  });

  it('reads one key\'s records only when asked for one key', async () => {
    await call(api, request('GET', `/admin/usage/end-users?from=2026-11-01&to=2026-11-02&key=key_other`));

    expect(asked.endUsers).toEqual([[['key_other'], ['2026-11-01', '2026-11-02']]]);
  });

  it('refuses a report by end user over more than 31 days, naming from', async () => {
    const res = await call(api, request('GET', '/admin/usage/end-users?from=2026-10-01&to=2026-11-26'));

    expect([res.status, res.body.error.param]).toEqual([400, 'from']);
    expect(asked.endUsers).toEqual([]);
  });

  it('sums yesterday and today again on request, or the days named', async () => {
    const recent = await call(api, request('POST', '/admin/usage/rollup'));
    const named = await call(api, request('POST', '/admin/usage/rollup', { days: ['2026-11-20'] }));

    expect(recent.body).toEqual({ days: ['2026-11-25', '2026-11-26'], keys: 2, rollups: 3 });
    expect(named.body.days).toEqual(['2026-11-20']);
    expect(asked.rolledUp).toEqual([['2026-11-25', '2026-11-26'], ['2026-11-20']]);
  });

  it.each([
    ['a date that is not one', request('GET', '/admin/usage?from=2026-13-01'), 400, 'from'],
    ['a range backwards', request('GET', '/admin/usage?from=2026-11-10&to=2026-11-01'), 400, 'from'],
    ['a range over 400 days', request('GET', '/admin/usage?from=2025-01-01&to=2026-11-01'), 400, 'from'],
    ['an unknown parameter', request('GET', '/admin/usage?since=2026-11-01'), 400, 'since'],
    ['a bad day to roll up', request('POST', '/admin/usage/rollup', { days: ['yesterday'] }), 400, 'days[0]'],
  ])('refuses %s, naming the parameter', async (_name, req, status, param) => {
    const res = await call(api, req);

    expect([res.status, res.body.error.param]).toEqual([status, param]);
  });

  it.each([
    ['POST /admin/usage', request('POST', '/admin/usage'), 405],
    ['GET /admin/usage/rollup', request('GET', '/admin/usage/rollup'), 405],
    ['an unknown usage route', request('GET', '/admin/usage/keys'), 404],
  ])('answers %s with %d', async (_name, req, status) => {
    expect((await call(api, req)).status).toBe(status);
  });

  it('has no usage routes without roll-ups to read', async () => {
    const bare = createAdminApi({ keys, token: TOKEN });

    expect((await call(bare, request('GET', '/admin/usage'))).status).toBe(404);
  });
});
