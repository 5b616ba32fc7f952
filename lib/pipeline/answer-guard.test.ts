import { STREAMS } from '../../test/answer-streams';
import { AuditLog, MemoryAuditSink } from '../audit/log';
import { GuardrailsSchema } from '../guardrails/config';
import { FAKE } from '../guardrails/fake-tokens';
import { Guardrails } from '../guardrails/scan';
import { GatewayError } from '../http/errors';
import type { GatewayLogger } from '../observe/logger';
import { answerGuardOf, screenedStream, screenWholeAnswer, type AnswerGuard } from './answer-guard';
import { newContext } from './context';
import type { ProxyDeps } from './deps';
import { carriedThinking, carryThinking, markThoughtSignature, readGatewaySignature, REDACTED_THOUGHT_SIGNATURE } from '../surfaces/gemini/carried-thinking';

const RULES = GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'aws-access-key', action: 'redact' }, { detect: 'github-token', action: 'block' }, { detect: 'jwt', action: 'flag' }] });
const answerGuardrails = { rules: Guardrails.from(RULES, 'response')!, window: 256 };

function setup(surface = 'openai') {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const logger: GatewayLogger = { debug() {}, warn() {}, error() {}, info: ((message: string, fields: Record<string, unknown>) => lines.push({ message, fields })) as GatewayLogger['info'] };
  const ctx = newContext('req_1', surface, new Date());
  ctx.keyId = 'key_1';
  ctx.screensAnswer = true;
  const deps = { answerGuardrails, logger } as unknown as ProxyDeps;
  return { ctx, deps, lines, guard: answerGuardOf(ctx, deps)! };
}

const chat = (content: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'c', choices: [{ index: 0, message: { role: 'assistant', content } }], usage: { prompt_tokens: 3, completion_tokens: 5 } }) });

async function collect(body: AsyncIterable<Uint8Array>): Promise<string> {
  const out: Buffer[] = [];
  for await (const chunk of body) out.push(Buffer.from(chunk));
  return Buffer.concat(out).toString();
}

async function* chunks(parts: string[], fail?: Error): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
  if (fail) throw fail;
}

describe('answerGuardOf', () => {
  it.each([
    { case: 'a call guardedBody did not mark (no rules on answers, or an exempt caller)', marked: false, rules: true, surface: 'openai' },
    { case: 'a gateway without rules on answers', marked: true, rules: false, surface: 'openai' },
    { case: 'a surface whose answers hold no model text', marked: true, rules: true, surface: 'openai-embeddings' },
  ])('is undefined for $case', ({ marked, rules, surface }) => {
    const ctx = newContext('r', surface, new Date());
    if (marked) ctx.screensAnswer = true;
    expect(answerGuardOf(ctx, rules ? { answerGuardrails } : {})).toBeUndefined();
  });

  it.each([
    ['openai', 'openai'],
    ['openai-completions', 'openai'],
    ['anthropic', 'anthropic'],
    ['openai-responses', 'openai-responses'],
    ['gemini', 'gemini'],
  ])('reads %s answers as %s', (surface, dialect) => {
    expect(setup(surface).guard.dialect).toBe(dialect);
  });
});

describe('screenWholeAnswer', () => {
  it('hands back the very response when nothing matches, and books nothing', () => {
    const { ctx, deps, guard, lines } = setup();
    const res = chat('all clear');
    expect(screenWholeAnswer(res, guard, ctx, deps)).toBe(res);
    expect(ctx.guardrails).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('redacts in the JSON, books the hit on the response side after the request\'s, and logs it without the text', () => {
    const { ctx, deps, guard, lines } = setup();
    ctx.guardrails = [{ rule: 'jwt', action: 'flag', count: 1 }];
    const out = screenWholeAnswer(chat(`key "${FAKE.awsKeyId}"\n`), guard, ctx, deps);
    expect(JSON.parse(Buffer.from(out.body as Uint8Array).toString()).choices[0].message.content).toBe('key "[REDACTED:aws-access-key]"\n');
    expect(ctx.guardrails).toEqual([
      { rule: 'jwt', action: 'flag', count: 1 },
      { rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' },
    ]);
    expect(lines).toEqual([{ message: 'guardrail', fields: { requestId: 'req_1', keyId: 'key_1', surface: 'openai', rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' } }]);
  });

  it('clears the token logprobs beside a redacted text (they spell the key again), and keeps the others', () => {
    const { ctx, deps, guard } = setup();
    const key = FAKE.awsKeyId;
    const logprobs = (tokens: string[]) => ({ content: tokens.map((token) => ({ token, logprob: -0.1, bytes: [...Buffer.from(token)], top_logprobs: [] })) });
    const body = { id: 'c', choices: [
      { index: 0, message: { role: 'assistant', content: `key ${key}` }, logprobs: logprobs(['key', ' ', key.slice(0, 4), key.slice(4, 12), key.slice(12)]) },
      { index: 1, message: { role: 'assistant', content: 'none' }, logprobs: logprobs(['none']) },
    ] };
    const out = JSON.parse(Buffer.from(screenWholeAnswer({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, guard, ctx, deps).body as Uint8Array).toString());
    expect(out.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: 'key [REDACTED:aws-access-key]' }, logprobs: null });
    expect(out.choices[1]).toEqual(body.choices[1]);
  });

  it('withholds a blocked answer as a 400 guardrail_blocked naming the rule and place, never the text', () => {
    const { ctx, deps, guard } = setup();
    const err = (() => {
      try {
        return screenWholeAnswer(chat(`push with ${FAKE.githubClassic}`), guard, ctx, deps);
      } catch (e) {
        return e;
      }
    })() as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, code: 'guardrail_blocked' });
    expect(err.message).toContain('"github-token"');
    expect(err.message).toContain('choices[0].message.content');
    expect(err.message).not.toContain(FAKE.githubClassic);
    expect(ctx.guardrails).toEqual([{ rule: 'github-token', action: 'block', count: 1, side: 'response' }]);
  });

  it('looks only at the model\'s part: not the request settings a Responses answer echoes, nor signatures', () => {
    const { ctx, deps, guard } = setup('anthropic');
    const body = JSON.stringify({ content: [{ type: 'thinking', thinking: 'all fine', signature: `${FAKE.awsKeyId}` }, { type: 'text', text: 'fine' }], id: FAKE.awsKeyId });
    const res = { status: 200, headers: { 'content-type': 'application/json' }, body };
    expect(screenWholeAnswer(res, guard, ctx, deps)).toBe(res);
    const responses = setup('openai-responses');
    const echoed = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instructions: `use ${FAKE.githubClassic}`, output: [{ type: 'message', content: [{ type: 'output_text', text: 'ok' }] }] }) };
    expect(screenWholeAnswer(echoed, responses.guard, responses.ctx, responses.deps)).toBe(echoed);
  });
});

describe('screenWholeAnswer on signed thinking', () => {
  const whole = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const bodyOf = (res: { body?: unknown }) => JSON.parse(Buffer.from(res.body as Uint8Array).toString()) as Record<string, unknown>;

  it("redacts Claude's thinking text and replaces its signature with the gateway's mark; a block left alone keeps its own", () => {
    const { ctx, deps, guard } = setup('anthropic');
    const res = whole({ content: [{ type: 'thinking', thinking: `the key is ${FAKE.awsKeyId}`, signature: 'EqQBsig' }, { type: 'thinking', thinking: 'then this', signature: 'EqQBother' }, { type: 'text', text: 'fine' }] });
    expect(bodyOf(screenWholeAnswer(res, guard, ctx, deps)).content).toEqual([
      { type: 'thinking', thinking: 'the key is [REDACTED:aws-access-key]', signature: 'aigw1:redacted' },
      { type: 'thinking', thinking: 'then this', signature: 'EqQBother' },
      { type: 'text', text: 'fine' },
    ]);
  });

  it("marks a Responses reasoning item whose summary was redacted when it carries the gateway's signature, not OpenAI's own encrypted reasoning", () => {
    const { ctx, deps, guard } = setup('openai-responses');
    const summary = [{ type: 'summary_text', text: `key ${FAKE.awsKeyId}` }];
    const res = whole({ output: [{ type: 'reasoning', summary, encrypted_content: 'aigw1:claude:EqQB' }, { type: 'reasoning', summary, encrypted_content: 'gAAAAABfernet' }] });
    const output = bodyOf(screenWholeAnswer(res, guard, ctx, deps)).output as { encrypted_content: string; summary: { text: string }[] }[];
    expect(output.map((o) => o.encrypted_content)).toEqual(['aigw1:redacted', 'gAAAAABfernet']);
    expect(output[0]!.summary[0]!.text).toBe('key [REDACTED:aws-access-key]');
  });
});

describe('screenWholeAnswer on thinking carried for a Gemini client', () => {
  it("replaces the gateway's thoughtSignatures of a candidate whose thought text was redacted (the carried blob holds the text too), and keeps Gemini's own", () => {
    const { ctx, deps, guard } = setup('gemini');
    const blob = markThoughtSignature('claude', 'EqQB');
    const carried = carryThinking([{ type: 'thinking', text: `key ${FAKE.awsKeyId}`, signature: 'EqQB', signedBy: 'claude' }])!;
    const answer = (thought: string) => ({ candidates: [{ index: 0, content: { role: 'model', parts: [{ text: thought, thought: true, thoughtSignature: blob }, { functionCall: { name: 'ls', args: {} }, thoughtSignature: carried }] } }] });
    const res = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer(`key ${FAKE.awsKeyId}`)) };
    const parts = (JSON.parse(Buffer.from(screenWholeAnswer(res, guard, ctx, deps).body as Uint8Array).toString()) as ReturnType<typeof answer>).candidates[0]!.content.parts;
    expect(parts.map((p) => p.thoughtSignature)).toEqual([REDACTED_THOUGHT_SIGNATURE, REDACTED_THOUGHT_SIGNATURE]);
    expect(carriedThinking(REDACTED_THOUGHT_SIGNATURE)).toBeUndefined();
    expect(readGatewaySignature(REDACTED_THOUGHT_SIGNATURE)).toBeUndefined();
    // Nothing redacted: the answer goes as it came.
    const clean = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer('all fine')) };
    expect(screenWholeAnswer(clean, guard, ctx, deps)).toBe(clean);
  });
});

describe('screenedStream', () => {
  const shape = STREAMS.openai;

  it('books the hits when the stream ends, as it came for flag rules', async () => {
    const { ctx, deps, guard } = setup();
    const sse = [...shape.start, shape.piece(FAKE.jwt.slice(0, 20)), shape.piece(FAKE.jwt.slice(20)), ...shape.end];
    const flagOnly: AnswerGuard = { ...guard, rules: Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'jwt', action: 'flag' }] }), 'response')! };
    const { body } = screenedStream(chunks(sse), flagOnly, ctx, deps, false);
    expect(await collect(body)).toBe(sse.join(''));
    expect(ctx.guardrails).toEqual([{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]);
  });

  it("keeps the call's audit capture begun for a flag in the answer once a flag rule matches, streamed or whole; not for a redaction", async () => {
    const audit = new AuditLog({ mode: 'flagged', maxBytes: 1 << 20, retentionDays: 1 }, new MemoryAuditSink(), console);
    const streamed = setup();
    streamed.ctx.audit = audit.beginOnFlag();
    const sse = [...shape.start, shape.piece(`see ${FAKE.jwt.slice(0, 20)}`), shape.piece(`${FAKE.jwt.slice(20)} now`), ...shape.end];
    await collect(screenedStream(chunks(sse), streamed.guard, streamed.ctx, streamed.deps, false).body);
    const whole = setup();
    whole.ctx.audit = audit.beginOnFlag();
    screenWholeAnswer(chat(`see ${FAKE.jwt}`), whole.guard, whole.ctx, whole.deps);
    const redacted = setup();
    redacted.ctx.audit = audit.beginOnFlag();
    screenWholeAnswer(chat(`key ${FAKE.awsKeyId}`), redacted.guard, redacted.ctx, redacted.deps);

    expect([streamed.ctx.audit.wanted, whole.ctx.audit.wanted, redacted.ctx.audit.wanted]).toEqual([true, true, false]);
  });

  it('counts a flag match the client was sent before it went away, though the window after it never came', async () => {
    // Prepare: flag rules only, so every chunk goes on as it came; the client leaves right after the token.
    const audit = new AuditLog({ mode: 'flagged', maxBytes: 1 << 20, retentionDays: 1 }, new MemoryAuditSink(), console);
    const { ctx, deps, guard } = setup();
    ctx.audit = audit.beginOnFlag();
    const flagOnly: AnswerGuard = { ...guard, rules: Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'jwt', action: 'flag' }] }), 'response')! };
    const sse = [...shape.start, shape.piece(`see ${FAKE.jwt}`), shape.piece(' and more'), shape.piece(' words'), ...shape.end];
    const { body } = screenedStream(chunks(sse), flagOnly, ctx, deps, false);
    // Act
    const sent: string[] = [];
    for await (const chunk of body) {
      sent.push(Buffer.from(chunk).toString());
      if (sent.join('').includes(FAKE.jwt)) break;
    }
    // Assess: the token went out; its hit is booked, and the call's record is to be written.
    expect(sent.join('')).toContain(FAKE.jwt);
    expect(ctx.guardrails).toEqual([{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]);
    expect(ctx.audit.wanted).toBe(true);
  });

  it('turns a block into guardrail_blocked for the in-band error, with nothing of the match sent', async () => {
    const { ctx, deps, guard } = setup();
    const sent: string[] = [];
    const { body } = screenedStream(chunks([...shape.start, shape.piece('use '), shape.piece(FAKE.githubClassic.slice(0, 9)), shape.piece(FAKE.githubClassic.slice(9))]), guard, ctx, deps, false);
    const err = await (async () => {
      for await (const chunk of body) sent.push(Buffer.from(chunk).toString());
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'guardrail_blocked' });
    // The place as the whole answer would have it, as a whole answer's block names it.
    expect((err as Error).message).toContain('choices[0].message.content');
    expect(sent.join('')).not.toContain('ghp_');
    expect(ctx.guardrails).toEqual([{ rule: 'github-token', action: 'block', count: 1, side: 'response' }]);
  });

  it('sends what it held, settled as it stands, when the upstream breaks off, then passes the failure on', async () => {
    const { ctx, deps, guard } = setup();
    const cut = new Error('socket hang up');
    const sent: string[] = [];
    const { body } = screenedStream(chunks([...shape.start, shape.piece('partial answer '), shape.piece(FAKE.awsKeyId)], cut), guard, ctx, deps, false);
    const err = await (async () => {
      for await (const chunk of body) sent.push(Buffer.from(chunk).toString());
    })().catch((e: unknown) => e);
    expect(err).toBe(cut);
    expect(sent.join('')).toContain('partial answer ');
    expect(sent.join('')).toContain('[REDACTED:aws-access-key]');
    expect(sent.join('')).not.toContain(FAKE.awsKeyId);
  });
});
