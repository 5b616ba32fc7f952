import { guardrailsOf, paramPolicyOf, type Caller } from '../access/caller';
import type { ApiKeyRecord } from '../access/api-key';
import type { TeamRecord } from '../access/team';
import { GuardrailsSchema } from '../guardrails/config';
import { FAKE } from '../guardrails/fake-tokens';
import { Guardrails } from '../guardrails/scan';
import { compileSets } from '../guardrails/sets';
import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';
import type { GatewayLogger } from '../observe/logger';
import { answerGuardOf } from './answer-guard';
import { newContext } from './context';
import type { ProxyDeps } from './deps';
import { guardedBody, screeningFor } from './guardrails';
import { admit } from './model-call';

const CONFIG = GuardrailsSchema.parse({
  on: ['request'],
  rules: [{ detect: 'github-token', action: 'redact' }],
  sets: {
    strict: { rules: [{ detect: 'secrets', action: 'block' }] },
    'answers-too': { on: ['request', 'response'], rules: [{ detect: 'github-token', action: 'redact' }] },
    'flag-only': { rules: [{ detect: 'jwt', action: 'flag' }] },
  },
});
const req = { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, query: new URLSearchParams(), body: new Uint8Array() } as unknown as GatewayRequest;
const body = (content: string) => Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }));
const key = (fields: Partial<ApiKeyRecord> = {}) => ({ id: 'key_1', ...fields }) as ApiKeyRecord;
const team = (fields: Partial<TeamRecord> = {}) => ({ id: 'team_1', name: 'contractors', createdAt: '', ...fields }) as TeamRecord;

function setup(config = CONFIG) {
  const lines: Record<string, unknown>[] = [];
  const logger: GatewayLogger = { debug() {}, warn() {}, error() {}, info: ((_message: string, fields: Record<string, unknown>) => lines.push(fields)) as GatewayLogger['info'] };
  const answers = Guardrails.from(config, 'response');
  const sets = compileSets(config);
  const deps = {
    ...(Guardrails.from(config) ? { guardrails: Guardrails.from(config) } : {}),
    ...(answers ? { answerGuardrails: { rules: answers, window: config.streamWindow } } : {}),
    ...(sets ? { guardrailSets: sets } : {}),
    logger,
  } as unknown as ProxyDeps;
  return { deps, ctx: newContext('req_1', 'openai', new Date()), lines };
}

describe('guardrailsOf and paramPolicyOf: the key\'s own choice, else its team\'s', () => {
  it.each([
    ['neither chose', {}, undefined, undefined],
    ['the team chose', {}, { guardrails: 'strict', params: 'contractors' }, { name: 'strict', from: 'team' }],
    ['the key chose, over its team', { guardrails: 'off', params: 'ci' }, { guardrails: 'strict', params: 'contractors' }, { name: 'off', from: 'key' }],
    ['the key chose, without a team', { guardrails: 'strict', params: 'ci' }, undefined, { name: 'strict', from: 'key' }],
  ])('%s', (_case, own, teamFields, expected) => {
    // Prepare
    const caller: Caller = { key: key(own), ...(teamFields ? { team: team(teamFields) } : {}) };

    // Act
    const guardrails = guardrailsOf(caller);
    const params = paramPolicyOf(caller);

    // Assess
    expect(guardrails).toEqual(expected);
    expect(params).toEqual(expected && { name: (own as { params?: string }).params ?? teamFields?.params, from: expected.from });
  });
});

describe('guardedBody with named rule sets', () => {
  it('screens a caller on the gateway\'s own rules by them, and keys the cache as before', () => {
    const { deps, ctx } = setup();
    const out = guardedBody(body(`token ${FAKE.githubClassic}`), { key: key() }, req, ctx, deps);
    expect(Buffer.from(out).toString()).toContain('[REDACTED:github-token]');
    expect(ctx.answerScreen).toBeUndefined();
  });

  it('screens a key that names a set by that set instead: its block where the gateway only redacts, and the log line names the set', () => {
    const { deps, ctx, lines } = setup();
    let thrown: unknown;
    try {
      guardedBody(body(`token ${FAKE.githubClassic}`), { key: key({ guardrails: 'strict' }) }, req, ctx, deps);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).code).toBe('guardrail_blocked');
    expect(lines).toEqual([expect.objectContaining({ rule: 'github-token', action: 'block', set: 'strict' })]);
  });

  it('applies a team\'s set to its keys, and a key\'s own choice over it', () => {
    const { deps } = setup();
    const raw = body(`token ${FAKE.githubClassic}`);
    expect(() => guardedBody(raw, { key: key(), team: team({ guardrails: 'strict' }) }, req, newContext('r', 'openai', new Date()), deps)).toThrow(/guardrail_blocked/);
    expect(guardedBody(raw, { key: key({ guardrails: 'off' }), team: team({ guardrails: 'strict' }) }, req, newContext('r', 'openai', new Date()), deps)).toBe(raw);
    expect(guardedBody(raw, { key: key({ guardrails: 'flag-only' }), team: team({ guardrails: 'strict' }) }, req, newContext('r', 'openai', new Date()), deps)).toBe(raw);
  });

  it('screens the answers of a set that looks at them, though the gateway\'s own rules do not, and says so to the cache', () => {
    const { deps, ctx } = setup();
    guardedBody(body('hello'), { key: key({ guardrails: 'answers-too' }) }, req, ctx, deps);
    expect(ctx.screensAnswer).toBe(true);
    expect(ctx.answerScreen).toBe('set:answers-too');
    expect(answerGuardOf(ctx, deps)?.rules.ruleIds).toEqual(['github-token']);
  });

  it('leaves the answers of a set without rules on them alone, though the gateway\'s own look at them', () => {
    const config = GuardrailsSchema.parse({ on: ['request', 'response'], rules: [{ detect: 'jwt', action: 'redact' }], sets: { quiet: { on: ['request'], rules: [{ detect: 'jwt', action: 'flag' }] } } });
    const { deps, ctx } = setup(config);
    guardedBody(body('hello'), { key: key({ guardrails: 'quiet' }) }, req, ctx, deps);
    expect(ctx.screensAnswer).toBeUndefined();
    expect(answerGuardOf(ctx, deps)).toBeUndefined();
    expect(ctx.answerScreen).toBe('none');
  });

  it('marks an exempt caller\'s answers for the cache only where the gateway screens answers', () => {
    const withAnswers = setup(GuardrailsSchema.parse({ on: ['request', 'response'], rules: [{ detect: 'jwt', action: 'redact' }] }));
    guardedBody(body('hello'), { key: key({ guardrails: 'off' }) }, req, withAnswers.ctx, withAnswers.deps);
    const requestsOnly = setup();
    guardedBody(body('hello'), { key: key({ guardrails: 'off' }) }, req, requestsOnly.ctx, requestsOnly.deps);
    expect(withAnswers.ctx.answerScreen).toBe('none');
    expect(requestsOnly.ctx.answerScreen).toBeUndefined();
  });

  it('refuses the calls of a key whose set the config no longer has (fails closed), naming the set only in the log\'s detail', () => {
    const { deps, ctx } = setup();
    let thrown: unknown;
    try {
      guardedBody(body('hello'), { key: key(), team: team({ guardrails: 'gone' }) }, req, ctx, deps);
    } catch (err) {
      thrown = err;
    }
    const err = thrown as GatewayError;
    expect([err.status, err.code]).toEqual([403, 'guardrail_set_unknown']);
    expect(err.message).toContain("this API key's team");
    expect(err.message).not.toContain('gone');
    expect(err.detail).toContain('guardrails.sets has no set "gone" (named by the team)');
  });

  it('fails closed on a named set on a gateway with no rules and no sets at all', () => {
    const { ctx } = setup();
    expect(() => guardedBody(body('hello'), { key: key({ guardrails: 'strict' }) }, req, ctx, { logger: console } as unknown as ProxyDeps)).toThrow(GatewayError);
  });
});

describe('screeningFor: a call with no body to screen (a stored object read back)', () => {
  it.each([
    ["a key on a set with rules on answers: marked with the set's", { guardrails: 'answers-too' }, true],
    ['a key on a set without them: not marked', { guardrails: 'strict' }, false],
    ['an exempt key: not marked', { guardrails: 'off' }, false],
  ])('%s', (_case, own, marked) => {
    const { deps, ctx } = setup();

    screeningFor({ key: key(own) }, ctx, deps);

    expect(answerGuardOf(ctx, deps) !== undefined).toBe(marked);
  });

  it('refuses a key whose set the config no longer has, as a call with a body is refused', () => {
    const { deps, ctx } = setup();

    expect(() => screeningFor({ key: key({ guardrails: 'gone' }) }, ctx, deps)).toThrow(expect.objectContaining({ status: 403, code: 'guardrail_set_unknown' }));
  });
});

describe('admit, for an upload (multipart/form-data, not screened)', () => {
  // Uploads are not scanned, but a key whose set is gone is refused on them too, as on every other
  // call (and as a policy that is gone is): the operator is told to mend it by calls that fail.
  const upload = { ...req, path: '/v1/audio/transcriptions', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: Buffer.from('--b--') } as unknown as GatewayRequest;
  const fields = () => ({ model: 'whisper-1' });
  function uploadDeps(caller: Caller) {
    const { deps, ctx } = setup();
    const entry = { name: 'whisper-1', config: {}, targets: [] };
    Object.assign(deps, { auth: { authenticate: async () => caller }, config: { limits: { maxBodyBytes: 1 << 20 } }, catalog: { find: () => entry } });
    return { deps, ctx };
  }

  it('refuses the upload of a key whose team\'s set the config no longer has, 403 guardrail_set_unknown', async () => {
    const { deps, ctx } = uploadDeps({ key: key({ models: ['*'] }), team: team({ guardrails: 'gone' }) });
    await expect(admit(upload, ctx, deps, () => {}, undefined, fields)).rejects.toMatchObject({ status: 403, code: 'guardrail_set_unknown' });
  });

  it('admits the upload of a key on a set the config has, and of an exempt one, unscreened', async () => {
    for (const caller of [{ key: key({ models: ['*'], guardrails: 'strict' }) }, { key: key({ models: ['*'], guardrails: 'off' }) }]) {
      const { deps, ctx } = uploadDeps(caller);
      const call = await admit(upload, ctx, deps, () => {}, undefined, fields);
      expect([call.model, ctx.guardrails]).toEqual(['whisper-1', undefined]);
    }
  });
});

describe('the config of rule sets', () => {
  it.each([
    ['a reserved name', { off: { rules: [] } }, /guardrails\.sets\.off: guardrails\.sets: "off" is kept for the switch/],
    ['a name that is not one', { 'Strict Set': { rules: [] } }, /"Strict Set" is not a name/],
    ['a rule id twice in a set', { strict: { rules: [{ detect: 'secrets', action: 'block' }, { detect: 'github-token', action: 'flag' }] } }, /sets\.strict\.rules\.1\.id|rule id "github-token" is used twice/],
    ['a bad pattern in a set', { strict: { rules: [{ id: 'x', detect: { regex: 'a*' }, action: 'block' }] } }, /matches the empty string/],
  ])('refuses %s, naming the field', (_case, sets, message) => {
    const parsed = GuardrailsSchema.safeParse({ rules: [], sets });
    expect(parsed.success).toBe(false);
    const text = parsed.error!.issues.map((i) => `${['guardrails', ...i.path].join('.')}: ${i.message}`).join('\n');
    expect(text).toMatch(message);
  });

  it('compiles nothing for a config without sets', () => {
    expect(compileSets(GuardrailsSchema.parse({ rules: [] }))).toBeUndefined();
  });
});
