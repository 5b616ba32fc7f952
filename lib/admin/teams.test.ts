import type { GatewayRequest } from '../http/types';
import { MemoryKeyStore } from '../store/keys';
import { MemoryTeamStore } from '../store/teams';
import { createAdminApi } from './api';

const TOKEN = 'admin-secret';

function request(method: string, path: string, body?: unknown): GatewayRequest {
  return { method, path, query: new URLSearchParams(), headers: { authorization: `Bearer ${TOKEN}` }, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)), sourceIp: '127.0.0.1', requestId: 'r' };
}

describe('the admin API for teams', () => {
  const now = () => new Date('2026-11-26T10:00:00Z');
  let api: ReturnType<typeof createAdminApi>;
  beforeEach(() => {
    api = createAdminApi({ keys: new MemoryKeyStore(), teams: new MemoryTeamStore(), token: TOKEN, now });
  });
  async function call(method: string, path: string, body?: unknown) {
    const res = await api.handle(request(method, path, body));
    return { status: res.status, body: JSON.parse(String(res.body)) };
  }

  it('creates a team with end-user limits and merges a patch into them', async () => {
    const created = await call('POST', '/admin/teams', { name: 'product', endUserLimits: { requestsPerMinute: 5 } });
    const patched = await call('PATCH', `/admin/teams/${created.body.id}`, { endUserLimits: { usdPerDay: 2 } });

    expect(created.body.endUserLimits).toEqual({ requestsPerMinute: 5 });
    expect(patched.body.endUserLimits).toEqual({ requestsPerMinute: 5, usdPerDay: 2 });
  });

  it('creates a team with patterns and limits, gets it and lists it', async () => {
    const created = await call('POST', '/admin/teams', { name: 'platform', models: ['gpt-4o*'], limits: { requestsPerMinute: 50, usdPerMonth: 100 } });
    const fetched = await call('GET', `/admin/teams/${created.body.id}`);
    const listed = await call('GET', '/admin/teams');

    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^team_/), name: 'platform', models: ['gpt-4o*'], limits: { requestsPerMinute: 50, usdPerMonth: 100 }, createdAt: '2026-11-26T10:00:00.000Z' });
    expect(fetched.body).toEqual(created.body);
    expect(listed.body.data).toEqual([created.body]);
  });

  it('refuses a team without a name, or with a limit that is not one, naming the field', async () => {
    const unnamed = await call('POST', '/admin/teams', { models: ['*'] });
    const badLimit = await call('POST', '/admin/teams', { name: 'x', limits: { requestsPerMinute: 0 } });

    expect([unnamed.status, unnamed.body.error.param]).toEqual([400, 'name']);
    expect([badLimit.status, badLimit.body.error.param]).toEqual([400, 'limits.requestsPerMinute']);
  });

  it('merges a patch: limits given change, null removes one, models null removes the patterns', async () => {
    const { body: team } = await call('POST', '/admin/teams', { name: 'a', models: ['gpt-*'], limits: { requestsPerMinute: 5, usdPerDay: 1 } });

    const patched = await call('PATCH', `/admin/teams/${team.id}`, { name: 'b', models: null, limits: { requestsPerMinute: null, tokensPerMinute: 900 } });

    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ id: team.id, name: 'b', limits: { usdPerDay: 1, tokensPerMinute: 900 }, createdAt: team.createdAt });
  });

  it('answers 404 for a team that is not there', async () => {
    const missing = await call('GET', '/admin/teams/team_nope');
    const patched = await call('PATCH', '/admin/teams/team_nope', { name: 'x' });

    expect([missing.status, missing.body.error.code]).toEqual([404, 'team_not_found']);
    expect(patched.status).toBe(404);
  });

  it('gives a key a team that exists, moves it, and takes it away with null', async () => {
    const { body: one } = await call('POST', '/admin/teams', { name: 'one' });
    const { body: two } = await call('POST', '/admin/teams', { name: 'two' });

    const created = await call('POST', '/admin/keys', { name: 'alice', teamId: one.id });
    const moved = await call('PATCH', `/admin/keys/${created.body.id}`, { teamId: two.id });
    const left = await call('PATCH', `/admin/keys/${created.body.id}`, { teamId: null });

    expect(created.body.teamId).toBe(one.id);
    expect(moved.body.teamId).toBe(two.id);
    expect(left.body).not.toHaveProperty('teamId');
  });

  it('refuses a key for a team that does not exist with a 400 naming teamId', async () => {
    const created = await call('POST', '/admin/keys', { name: 'alice', teamId: 'team_nope' });
    const { body: key } = await call('POST', '/admin/keys', { name: 'bob' });
    const patched = await call('PATCH', `/admin/keys/${key.id}`, { teamId: 'team_nope' });

    expect([created.status, created.body.error.param, created.body.error.code]).toEqual([400, 'teamId', 'team_not_found']);
    expect(patched.status).toBe(400);
  });

  it('refuses to delete a team while active keys belong to it, saying how many, and deletes it once they are gone', async () => {
    const { body: team } = await call('POST', '/admin/teams', { name: 'platform' });
    const { body: a } = await call('POST', '/admin/keys', { name: 'a', teamId: team.id });
    const { body: b } = await call('POST', '/admin/keys', { name: 'b', teamId: team.id });

    const refused = await call('DELETE', `/admin/teams/${team.id}`);
    await call('DELETE', `/admin/keys/${a.id}`);
    await call('PATCH', `/admin/keys/${b.id}`, { teamId: null });
    const deleted = await call('DELETE', `/admin/teams/${team.id}`);
    const gone = await call('GET', `/admin/teams/${team.id}`);

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'team_has_keys', message: expect.stringContaining('still has 2 active keys') });
    expect(deleted.status).toBe(200);
    expect(gone.status).toBe(404);
  });

  it('has no team routes without a team store', async () => {
    const bare = createAdminApi({ keys: new MemoryKeyStore(), token: TOKEN, now });

    const res = await bare.handle(request('GET', '/admin/teams'));

    expect(res.status).toBe(404);
  });

  it('gives a team a rule set and a parameter policy the config has, and refuses names it has not with a 400', async () => {
    // Prepare
    const named = createAdminApi({ keys: new MemoryKeyStore(), teams: new MemoryTeamStore(), token: TOKEN, now, names: { guardrailSets: ['strict'], paramPolicies: ['contractors'] } });
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await named.handle(request(method, path, body));
      return { status: res.status, body: JSON.parse(String(res.body)) };
    };

    // Act
    const created = await send('POST', '/admin/teams', { name: 'contractors', guardrails: 'strict', params: 'contractors' });
    const cleared = await send('PATCH', `/admin/teams/${created.body.id}`, { guardrails: 'on', params: null });
    const unknownSet = await send('PATCH', `/admin/teams/${created.body.id}`, { guardrails: 'lax' });
    const unknownPolicy = await send('POST', '/admin/teams', { name: 'x', params: 'ci' });

    // Assess
    expect([created.status, created.body.guardrails, created.body.params]).toEqual([201, 'strict', 'contractors']);
    expect(cleared.body).not.toHaveProperty('guardrails');
    expect(cleared.body).not.toHaveProperty('params');
    expect([unknownSet.status, unknownSet.body.error.code]).toEqual([400, 'guardrail_set_unknown']);
    expect([unknownPolicy.status, unknownPolicy.body.error.code, unknownPolicy.body.error.message]).toEqual([400, 'param_policy_unknown', 'The config has no request parameter policy "ci"; params is one of paramPolicies: "contractors".']);
  });

  it('flags a team for the audit log and removes the flag with false', async () => {
    const created = await call('POST', '/admin/teams', { name: 'legal', audit: true });
    const cleared = await call('PATCH', `/admin/teams/${created.body.id}`, { audit: false });

    expect(created.body.audit).toBe(true);
    expect(cleared.body).not.toHaveProperty('audit');
  });
});
