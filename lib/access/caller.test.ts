import type { ApiKeyRecord } from './api-key';
import { callerOf, modelRefusedBy } from './caller';
import type { TeamRecord } from './team';

const key = (fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({ id: 'key_1', hash: 'h', name: 'k', prefix: 'sk-gw-abc', models: ['*'], status: 'active', createdAt: '2026-01-01T00:00:00.000Z', ...fields });
const team = (fields: Partial<TeamRecord> = {}): TeamRecord => ({ id: 'team_1', name: 'platform', createdAt: '2026-01-01T00:00:00.000Z', ...fields });

describe('callerOf', () => {
  it.each([
    ['a key without limits or team', key(), undefined, { rate: undefined, spend: undefined }],
    ['a key with a team without limits', key({ teamId: 'team_1' }), team(), { rate: undefined, spend: undefined }],
    ['a team with a rate limit only', key({ teamId: 'team_1' }), team({ limits: { requestsPerMinute: 50 } }), { rate: ['team_1'], spend: undefined }],
    ['a key budget and a team rate limit', key({ teamId: 'team_1', limits: { usdPerDay: 1 } }), team({ limits: { tokensPerMinute: 9 } }), { rate: ['team_1'], spend: ['key_1'] }],
    ['both with both, the key first', key({ teamId: 'team_1', limits: { requestsPerMinute: 1, usdPerMonth: 2 } }), team({ limits: { requestsPerMinute: 5, usdPerDay: 1 } }), { rate: ['key_1', 'team_1'], spend: ['key_1', 'team_1'] }],
  ])('lists the scopes with limits for %s', (_case, k, t, expected) => {
    const caller = callerOf(k, t);

    expect({ rate: caller.rate?.map((s) => s.id), spend: caller.spend?.map((s) => s.id) }).toEqual(expected);
  });

  it('names each scope as a refusal will', () => {
    const caller = callerOf(key({ teamId: 'team_1', limits: { requestsPerMinute: 1 } }), team({ limits: { requestsPerMinute: 5 } }));

    expect(caller.rate?.map((s) => s.name)).toEqual(['this API key', 'team "platform"']);
  });

  it('marks a key whose team could not be found, and one without a team not', () => {
    expect(callerOf(key({ teamId: 'team_gone' }), undefined).teamMissing).toBe(true);
    expect(callerOf(key(), undefined).teamMissing).toBeUndefined();
  });
});

describe('modelRefusedBy', () => {
  it.each([
    [['*'], undefined, 'gpt-4o', undefined],
    [['gpt-*'], ['*'], 'gpt-4o', undefined],
    [['gpt-*'], ['gpt-4o-mini'], 'gpt-4o', 'team'],
    [['claude-*'], ['gpt-*'], 'gpt-4o', 'key'],
    [['*'], [], 'gpt-4o', 'team'],
    [['*'], ['gpt-4o*'], 'gpt-4o-mini', undefined],
  ] as const)('key %j, team %j, model %s → refused by %s', (keyModels, teamModels, model, expected) => {
    const caller = callerOf(key({ models: [...keyModels], teamId: 'team_1' }), team(teamModels ? { models: [...teamModels] } : {}));

    expect(modelRefusedBy(caller, model, model)).toBe(expected);
  });

  it('lets an alias through when the patterns allow the model it stands for', () => {
    const caller = callerOf(key({ teamId: 'team_1' }), team({ models: ['gpt-4o-mini'] }));

    expect(modelRefusedBy(caller, 'mini', 'gpt-4o-mini')).toBeUndefined();
  });
});
