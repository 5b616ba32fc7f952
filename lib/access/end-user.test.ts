import { GatewayError } from '../http/errors';
import type { ApiKeyRecord } from './api-key';
import { callerOf } from './caller';
import { END_USER_HEADER, MAX_END_USER_LENGTH, endUserCounterId, endUserDigest, endUserOf, endUserScope, limitScopesOf } from './end-user';
import type { TeamRecord } from './team';

const key = (fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({ id: 'key_1', hash: 'h', name: 'k', prefix: 'sk-gw-abc', models: ['*'], status: 'active', createdAt: '2026-01-01T00:00:00.000Z', ...fields });
const team = (fields: Partial<TeamRecord> = {}): TeamRecord => ({ id: 'team_1', name: 'platform', createdAt: '2026-01-01T00:00:00.000Z', ...fields });
/** A Claude Code `metadata.user_id` of the 1.x form: user hash, account and session. */
const CLAUDE_CODE_USER_ID = `user_${'a'.repeat(64)}_account_${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}_session_${'1'.repeat(8)}-1111-1111-1111-${'1'.repeat(12)}`;

describe('endUserOf', () => {
  it.each<[string, string, Record<string, string>, Record<string, unknown>, string | undefined]>([
    ['Chat Completions user', 'openai', {}, { user: 'u-42', messages: [] }, 'u-42'],
    ['completions user', 'openai-completions', {}, { user: 'u-1', prompt: 'hi' }, 'u-1'],
    ['embeddings user', 'openai-embeddings', {}, { user: 'u-2', input: 'hi' }, 'u-2'],
    ['images user', 'openai-images', {}, { user: 'u-3', prompt: 'a cat' }, 'u-3'],
    // OpenAI deprecated Chat Completions' `user` for `safety_identifier`, as on Responses: its SDK's clients send the new field.
    ['Chat Completions safety_identifier', 'openai', {}, { safety_identifier: 's-2', messages: [] }, 's-2'],
    ['Chat Completions safety_identifier before user', 'openai', {}, { safety_identifier: 's-2', user: 'u-2', messages: [] }, 's-2'],
    ['Chat Completions user after an empty safety_identifier', 'openai', {}, { safety_identifier: '', user: 'u-2', messages: [] }, 'u-2'],
    ['Responses safety_identifier before user', 'openai-responses', {}, { safety_identifier: 's-1', user: 'u-1' }, 's-1'],
    ['Responses user without safety_identifier', 'openai-responses', {}, { user: 'u-1' }, 'u-1'],
    ['Anthropic metadata.user_id', 'anthropic', {}, { metadata: { user_id: 'm-1' } }, 'm-1'],
    ['Claude Code\'s long user_id, taken whole', 'anthropic', {}, { metadata: { user_id: CLAUDE_CODE_USER_ID } }, CLAUDE_CODE_USER_ID],
    ['the header over the body\'s field', 'openai', { [END_USER_HEADER]: 'h-1' }, { user: 'u-1' }, 'h-1'],
    ['the header on Anthropic', 'anthropic', { [END_USER_HEADER]: 'h-2' }, { metadata: { user_id: 'm-1' } }, 'h-2'],
    ['the header on Gemini, which has no field', 'gemini', { [END_USER_HEADER]: 'h-3' }, { contents: [] }, 'h-3'],
    ['nothing on Gemini without the header', 'gemini', {}, { contents: [], user: 'not-a-gemini-field' }, undefined],
    ['nothing on rerank without the header', 'rerank', {}, { user: 'u-1' }, undefined],
    ['an empty user as none', 'openai', {}, { user: '' }, undefined],
    ['an empty header as none, the body\'s field then', 'openai', { [END_USER_HEADER]: '' }, { user: 'u-1' }, 'u-1'],
    ['a user that is not a string as none (the surface refuses it)', 'openai', {}, { user: 42 }, undefined],
    ['metadata that is not an object as none', 'anthropic', {}, { metadata: 'x' }, undefined],
    ['Anthropic\'s top-level user as none (not its field)', 'anthropic', {}, { user: 'u-1' }, undefined],
  ])('reads %s', (_case, surface, headers, body, expected) => {
    expect(endUserOf(surface, headers, body)).toBe(expected);
  });

  it.each<[string, string, Record<string, string>, Record<string, unknown>, string | undefined, string]>([
    ['user', 'openai', {}, { user: 'x'.repeat(MAX_END_USER_LENGTH + 1) }, 'user', 'user'],
    ['metadata.user_id', 'anthropic', {}, { metadata: { user_id: 'x'.repeat(1000) } }, 'metadata.user_id', 'metadata.user_id'],
    ['safety_identifier', 'openai-responses', {}, { safety_identifier: 'x'.repeat(300) }, 'safety_identifier', 'safety_identifier'],
    ['Chat Completions safety_identifier', 'openai', {}, { safety_identifier: 'x'.repeat(300) }, 'safety_identifier', 'safety_identifier'],
    ['the header', 'gemini', { [END_USER_HEADER]: 'x'.repeat(300) }, {}, undefined, END_USER_HEADER],
  ])('refuses an id longer than the limit in %s with a 400 naming it', (_case, surface, headers, body, param, named) => {
    const refusal = (() => {
      try {
        endUserOf(surface, headers, body);
      } catch (err) {
        return err;
      }
      return undefined;
    })();

    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ status: 400, code: 'end_user_too_long', param, message: expect.stringContaining(named) });
  });

  it.each<[string, string, Record<string, unknown>, string]>([
    ['user', 'openai', { user: 'alice\ud800' }, 'user'],
    ['metadata.user_id', 'anthropic', { metadata: { user_id: '\udc00bob' } }, 'metadata.user_id'],
  ])('refuses an id with a lone surrogate in %s with a 400 naming it: its digest would be that of every id with U+FFFD there', (_case, surface, body, param) => {
    // SHA-256 reads the id as UTF-8, where every lone surrogate becomes U+FFFD: 'alice\ud800' and 'alice\udbff' would share counters.
    expect(endUserCounterId('key_1', 'alice\ud800')).toBe(endUserCounterId('key_1', 'alice\udbff'));
    expect(() => endUserOf(surface, {}, body)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_end_user', param }));
  });

  it('takes an id with characters outside the BMP (a surrogate pair is no lone surrogate)', () => {
    expect(endUserOf('openai', {}, { user: 'ana-\u{1F600}' })).toBe('ana-\u{1F600}');
  });

  it('takes an id exactly at the limit', () => {
    expect(endUserOf('openai', {}, { user: 'x'.repeat(MAX_END_USER_LENGTH) })).toHaveLength(MAX_END_USER_LENGTH);
  });
});

describe('endUserCounterId', () => {
  it('derives a bounded id from the owner and a digest of the end user, without the end user\'s id in it', () => {
    const id = endUserCounterId('key_1', 'alice@example.com');

    expect(id).toMatch(/^key_1@[A-Za-z0-9_-]{22}$/);
    expect(id).not.toContain('alice');
    expect(endUserCounterId('key_1', 'x'.repeat(256))).toHaveLength('key_1@'.length + 22);
  });

  it('gives different end users, and the same end user under different owners, different counters', () => {
    expect(endUserCounterId('key_1', 'alice')).not.toBe(endUserCounterId('key_1', 'bob'));
    expect(endUserCounterId('key_1', 'alice')).not.toBe(endUserCounterId('key_2', 'alice'));
    expect(endUserCounterId('key_1', 'alice')).toBe(endUserCounterId('key_1', 'alice'));
  });

  it('puts calls without an end user in one anonymous bucket per owner', () => {
    expect(endUserCounterId('key_1', undefined)).toBe('key_1@anonymous');
  });
});

describe('endUserScope', () => {
  const rule = { ownerId: 'key_1', ownerName: 'this API key', limits: { requestsPerMinute: 10 } };

  it.each([
    ['an end user by its id', 'alice', 'end user "alice" of this API key'],
    ['a long id shortened', 'y'.repeat(200), `end user "${'y'.repeat(64)}…" of this API key`],
    // Cut between two halves of an emoji, the id would show (and JSON-encode) as a lone `\ud83d` in refusals and alerts.
    ['a long id shortened before an emoji it would split', `${'y'.repeat(63)}${'😀'.repeat(5)}`, `end user "${'y'.repeat(63)}…" of this API key`],
    ['quotes in an id escaped', 'a"b', 'end user "a\\"b" of this API key'],
    ['the anonymous bucket', undefined, 'calls without an end user of this API key'],
  ])('names %s', (_case, endUser, name) => {
    expect(endUserScope(rule, endUser).name).toBe(name);
  });
});

describe('limitScopesOf', () => {
  it('hands back the caller\'s own lists, unchanged, when neither its key nor its team has end-user limits', () => {
    const caller = callerOf(key({ teamId: 'team_1', limits: { requestsPerMinute: 5 } }), team({ limits: { usdPerDay: 1 } }));

    const scopes = limitScopesOf(caller, 'alice');

    expect(scopes.rate).toBe(caller.rate);
    expect(scopes.spend).toBe(caller.spend);
  });

  it('adds the end user\'s scopes after the key\'s and the team\'s, each to the lists its limits belong in', () => {
    const caller = callerOf(
      key({ teamId: 'team_1', limits: { requestsPerMinute: 100 }, endUserLimits: { requestsPerMinute: 10, usdPerDay: 1 } }),
      team({ limits: { usdPerMonth: 50 }, endUserLimits: { usdPerMonth: 5 } }),
    );

    const { rate, spend } = limitScopesOf(caller, 'alice');

    expect(rate?.map((s) => s.id)).toEqual(['key_1', endUserCounterId('key_1', 'alice')]);
    expect(spend?.map((s) => s.id)).toEqual(['team_1', endUserCounterId('key_1', 'alice'), endUserCounterId('team_1', 'alice')]);
    expect(spend?.map((s) => s.name)).toEqual(['team "platform"', 'end user "alice" of this API key', 'end user "alice" of team "platform"']);
  });

  it('tells budget alerts whose end-user limits each end user\'s scope is and the end user as sent; the key\'s and the team\'s own scopes carry nothing', () => {
    const caller = callerOf(key({ teamId: 'team_1', name: 'app', limits: { usdPerDay: 9 }, endUserLimits: { usdPerDay: 1 } }), team({ endUserLimits: { usdPerMonth: 5 } }));

    const { spend } = limitScopesOf(caller, 'alice');

    expect(spend?.map((s) => s.endUser)).toEqual([
      undefined,
      { owner: { kind: 'key', id: 'key_1', name: 'app' }, id: 'alice' },
      { owner: { kind: 'team', id: 'team_1', name: 'platform' }, id: 'alice' },
    ]);
  });

  it('gives a key with end-user limits and none of its own a scope for each end user alone', () => {
    const caller = callerOf(key({ endUserLimits: { requestsPerMinute: 10 } }), undefined);

    expect(limitScopesOf(caller, undefined)).toEqual({
      rate: [{ id: 'key_1@anonymous', name: 'calls without an end user of this API key', limits: { requestsPerMinute: 10 }, endUser: { owner: { kind: 'key', id: 'key_1', name: 'k' }, id: undefined } }],
    });
    expect(limitScopesOf(caller, 'bob').spend).toBeUndefined();
  });
});

describe('limitScopesOf and the requirement', () => {
  it('refuses a call naming no end user by a key that requires one, with 400 end_user_required, and lets a named one through', () => {
    const caller = callerOf(key({ endUserRequired: true }), undefined);

    expect(() => limitScopesOf(caller, undefined)).toThrow(expect.objectContaining({ status: 400, code: 'end_user_required' }));
    expect(limitScopesOf(caller, 'alice')).toBe(caller);
  });
});

describe('callerOf with end-user settings', () => {
  it('keeps the key\'s and the team\'s end-user rules, the key\'s first, and the requirement', () => {
    const caller = callerOf(key({ teamId: 'team_1', endUserLimits: { requestsPerMinute: 3 }, endUserRequired: true }), team({ endUserLimits: { usdPerDay: 2 } }));

    expect(caller.endUsers).toEqual([
      { ownerId: 'key_1', ownerName: 'this API key', limits: { requestsPerMinute: 3 } },
      { ownerId: 'team_1', ownerName: 'team "platform"', limits: { usdPerDay: 2 } },
    ]);
    expect(caller.endUserRequired).toBe(true);
  });

  it('leaves both out for a key without them, so the request path reads one property', () => {
    const caller = callerOf(key(), undefined);

    expect(caller.endUsers).toBeUndefined();
    expect(caller.endUserRequired).toBeUndefined();
  });
});

describe('endUserDigest', () => {
  it('is short, stable and does not hold the id', () => {
    expect(endUserDigest('alice')).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(endUserDigest('alice')).toBe(endUserDigest('alice'));
    expect(endUserDigest('alice')).not.toBe(endUserDigest('bob'));
  });
});
