import type { Caller } from '../access/caller';
import { AuditLog, MemoryAuditSink } from '../audit/log';
import { GuardrailsSchema } from '../guardrails/config';
import { FAKE } from '../guardrails/fake-tokens';
import { Guardrails } from '../guardrails/scan';
import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';
import type { GatewayLogger } from '../observe/logger';
import { newContext } from './context';
import type { ProxyDeps } from './deps';
import { guardedBody } from './guardrails';

const RULES = GuardrailsSchema.parse({ rules: [{ detect: 'github-token', action: 'block' }, { detect: 'aws-access-key', action: 'redact' }, { detect: 'jwt', action: 'flag' }] });
const req = { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, query: new URLSearchParams(), body: new Uint8Array() } as unknown as GatewayRequest;
const CALLER = { key: { id: 'key_1', guardrails: undefined } } as unknown as Caller;
const body = (content: string) => Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }));

function setup(auditMode?: 'off' | 'all' | 'flagged') {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const logger: GatewayLogger = { debug() {}, warn() {}, error() {}, info: ((message: string, fields: Record<string, unknown>) => lines.push({ message, fields })) as GatewayLogger['info'] };
  const audit = auditMode ? new AuditLog({ mode: auditMode, maxBytes: 1 << 20, retentionDays: 1 }, new MemoryAuditSink(), logger) : undefined;
  // Only what the step reads of the pipeline's dependencies.
  const deps = { guardrails: Guardrails.from(RULES), logger, ...(audit ? { audit } : {}) } as unknown as ProxyDeps;
  const ctx = newContext('req_1', 'openai-chat', new Date());
  ctx.keyId = 'key_1';
  return { deps, ctx, lines };
}

describe('guardedBody', () => {
  it('hands back the very bytes when nothing matches, and books nothing', () => {
    const { deps, ctx, lines } = setup();
    const raw = body('hello');
    expect(guardedBody(raw, CALLER, req, ctx, deps)).toBe(raw);
    expect(ctx.guardrails).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('costs nothing without rules: the client\'s bytes, not looked at', () => {
    const { ctx } = setup();
    const raw = body(FAKE.githubClassic);
    expect(guardedBody(raw, CALLER, req, ctx, { logger: console } as unknown as ProxyDeps)).toBe(raw);
  });

  it('books and logs each rule\'s hits, by rule id and count, never the text', () => {
    const { deps, ctx, lines } = setup();
    const out = guardedBody(body(`${FAKE.awsKeyId} ${FAKE.awsTempKeyId} ${FAKE.jwt}`), CALLER, req, ctx, deps);
    expect(Buffer.from(out).toString()).toContain('[REDACTED:aws-access-key] [REDACTED:aws-access-key]');
    expect(ctx.guardrails).toEqual([
      { rule: 'aws-access-key', action: 'redact', count: 2 },
      { rule: 'jwt', action: 'flag', count: 1 },
    ]);
    expect(lines).toEqual([
      { message: 'guardrail', fields: { requestId: 'req_1', keyId: 'key_1', surface: 'openai-chat', rule: 'aws-access-key', action: 'redact', count: 2 } },
      { message: 'guardrail', fields: { requestId: 'req_1', keyId: 'key_1', surface: 'openai-chat', rule: 'jwt', action: 'flag', count: 1 } },
    ]);
    expect(JSON.stringify(lines)).not.toContain(FAKE.awsKeyId);
  });

  it('refuses a blocked body with guardrail_blocked, the rule and the param path, and names the model for the record', () => {
    const { deps, ctx } = setup();
    let thrown: unknown;
    try {
      guardedBody(body(`token ${FAKE.githubClassic}`), CALLER, req, ctx, deps);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const err = thrown as GatewayError;
    expect([err.status, err.code, err.param]).toEqual([400, 'guardrail_blocked', 'messages[0].content']);
    expect(err.message).toContain('"github-token"');
    expect(err.message).not.toContain(FAKE.githubClassic);
    expect(ctx.model).toBe('gpt-4o');
  });

  it.each([
    ['the body\'s user', {}, { user: 'alice' }, 'alice'],
    ['the header, before the body', { 'x-aigw-end-user': 'bob' }, { user: 'alice' }, 'bob'],
    ['none, when the call names none', {}, {}, undefined],
    ['none, when the id is too long to record (the block is the answer)', {}, { user: 'u'.repeat(300) }, undefined],
    ['the id with the blocked match taken out, when it held it', {}, { user: `me ${FAKE.githubClassic}` }, 'me [REDACTED:github-token]'],
  ])('names the end user of a blocked call for its usage record: %s', (_name, headers, fields, expected) => {
    // Arrange
    const { deps, ctx } = setup();
    const raw = Buffer.from(JSON.stringify({ model: 'gpt-4o', ...fields, messages: [{ role: 'user', content: `token ${FAKE.githubClassic}` }] }));

    // Act
    expect(() => guardedBody(raw, CALLER, { ...req, headers: { ...req.headers, ...headers } }, ctx, deps)).toThrow(expect.objectContaining({ code: 'guardrail_blocked' }));

    // Assess
    expect(ctx.endUser).toBe(expected);
  });

  it('keeps a blocked secret out of the model the usage record and log lines name, when it was the model', () => {
    // A client configured with its token where the model goes: the record must not be where the token lands.
    const { deps, ctx } = setup();
    const raw = Buffer.from(JSON.stringify({ model: FAKE.githubClassic, messages: [{ role: 'user', content: 'hi' }] }));
    expect(() => guardedBody(raw, CALLER, req, ctx, deps)).toThrow(expect.objectContaining({ code: 'guardrail_blocked', param: 'model' }));
    expect(ctx.model).toBe('[REDACTED:github-token]');
  });

  it.each([
    { mode: 'flagged' as const, audited: true },
    { mode: 'off' as const, audited: false },
    { mode: undefined, audited: false },
  ])('puts a flagged call in the audit log when its mode is $mode: $audited', ({ mode, audited }) => {
    const { deps, ctx } = setup(mode);
    guardedBody(body(FAKE.jwt), CALLER, req, ctx, deps);
    expect(ctx.audit !== undefined).toBe(audited);
  });

  it.each([
    { who: 'a key', caller: { key: { id: 'key_1', guardrails: 'off' } } },
    { who: 'a key of a team', caller: { key: { id: 'key_1' }, team: { id: 'team_1', guardrails: 'off' } } },
  ])('leaves the calls of $who with guardrails off unscreened', ({ caller }) => {
    const { deps, ctx } = setup();
    const raw = body(FAKE.githubClassic);
    expect(guardedBody(raw, caller as unknown as Caller, req, ctx, deps)).toBe(raw);
    expect(ctx.guardrails).toBeUndefined();
  });

  it('audits nothing more in flagged mode for a redaction alone', () => {
    const { deps, ctx } = setup('flagged');
    guardedBody(body(FAKE.awsKeyId), CALLER, req, ctx, deps);
    expect(ctx.audit).toBeUndefined();
  });
  describe('with a flag rule on answers, in flagged mode', () => {
    const ANSWERS = { rules: Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'jwt', action: 'flag' }] }), 'response')!, window: 512 };
    const withAnswers = (mode: 'flagged' | 'all', answerGuardrails = ANSWERS) => {
      const s = setup(mode);
      return { ...s, deps: { ...s.deps, answerGuardrails } as ProxyDeps };
    };

    it('begins a capture for the answer, written only if something flags', () => {
      const { deps, ctx } = withAnswers('flagged');
      guardedBody(body('hello'), CALLER, req, ctx, deps);
      expect(ctx.screensAnswer).toBe(true);
      expect(ctx.audit?.wanted).toBe(false);
    });

    it('keeps that capture when the request itself flags', () => {
      const { deps, ctx } = withAnswers('flagged');
      guardedBody(body(FAKE.jwt), CALLER, req, ctx, deps);
      expect(ctx.audit?.wanted).toBe(true);
    });

    it('begins none when answers have no flag rule, nor in all mode (the door covers every call there)', () => {
      const redacting = { rules: Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'jwt', action: 'redact' }] }), 'response')!, window: 512 };
      const noFlag = withAnswers('flagged', redacting);
      guardedBody(body('hello'), CALLER, req, noFlag.ctx, noFlag.deps);
      expect(noFlag.ctx.audit).toBeUndefined();
      const all = withAnswers('all');
      guardedBody(body('hello'), CALLER, req, all.ctx, all.deps);
      expect(all.ctx.audit).toBeUndefined();
    });
  });
});
