import type { LimitScope } from '../access/caller';
import { requestScopes } from './request-slot';

const scope = (id: string, limits: LimitScope['limits']): LimitScope => ({ id, name: id, limits });

describe('requestScopes', () => {
  it.each<[string, LimitScope[] | undefined, LimitScope[]]>([
    ['no scopes', undefined, []],
    ['a requests limit', [scope('key_1', { requestsPerMinute: 5 })], [scope('key_1', { requestsPerMinute: 5 })]],
    ['a tokens limit alone: the call adds none and is not refused by it', [scope('key_1', { tokensPerMinute: 100 })], []],
    ['both limits, the requests one kept', [scope('key_1', { requestsPerMinute: 5, tokensPerMinute: 100 })], [scope('key_1', { requestsPerMinute: 5 })]],
    [
      "a key's and its team's, in their order",
      [scope('key_1', { tokensPerMinute: 1 }), scope('team_1', { requestsPerMinute: 50, usdPerDay: 2 }), scope('key_1@anonymous', { requestsPerMinute: 1 })],
      [scope('team_1', { requestsPerMinute: 50 }), scope('key_1@anonymous', { requestsPerMinute: 1 })],
    ],
  ])('counts %s', (_case, scopes, expected) => {
    expect(requestScopes(scopes)).toEqual(expected);
  });
});
