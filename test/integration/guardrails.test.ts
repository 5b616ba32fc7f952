/**
 * Guardrails end to end: the official clients against the gateway as `npm start` runs it, with
 * fake upstreams of each dialect. A blocked call never reaches an upstream; a redacted one reaches
 * it with `[REDACTED:<rule>]` in place of the secret, passed through or translated; a flagged one
 * goes as it came and its usage record (read from dynalite) says so; a body with no match goes
 * up as its bytes.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FAKE, fakePem } from '../../lib/guardrails/fake-tokens';
import { eventually } from './harness';
import { loadFixture, replayHeaders, type Block } from './claude-code/fixtures';
import { ADMIN_TOKEN, ANTHROPIC_ROUTES, startStack, TRANSLATED, type Stack } from './claude-code/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack({
    guardrails: {
      rules: [
        { detect: 'aws-access-key', action: 'redact' },
        { detect: 'private-key', action: 'redact' },
        { detect: 'github-token', action: 'block' },
        { detect: 'jwt', action: 'flag' },
      ],
    },
  });
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const CLAUDE = 'claude-sonnet-4-20250514';
const KEY_LINE = `AWS_ACCESS_KEY_ID=${FAKE.awsKeyId}`;
/** Anthropic refuses tool blocks in a request without tools. */
const TOOLS: Anthropic.Tool[] = [{ name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }];

/** A tool loop in Anthropic's shape whose tool result holds `output` (the agent read a file). */
function toolLoop(output: string): Anthropic.MessageParam[] {
  return [
    { role: 'user', content: 'What is in .env?' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'Read', input: { file_path: '.env' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: output }] }] },
  ];
}

async function usageOf(match: (u: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    found = (await s.usage()).find(match);
    expect(found).toBeDefined();
  });
  return found!;
}

describe('block', () => {
  it('refuses an OpenAI call with BadRequestError guardrail_blocked naming the param, and calls no upstream', async () => {
    // Act
    const call = s.openaiClient().chat.completions.create({
      model: TRANSLATED.openai.name,
      messages: [
        { role: 'system', content: 'You are a coding agent.' },
        { role: 'user', content: 'push it' },
        { role: 'user', content: `git remote set-url origin https://${FAKE.githubClassic}@github.com/o/r` },
      ],
    });
    // Assess
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.code).toBe('guardrail_blocked');
    expect(bad.param).toBe('messages[2].content');
    expect(bad.message).toContain('"github-token"');
    expect(bad.message).not.toContain(FAKE.githubClassic);
    expect(s.upstreamRequestCount()).toBe(0);
    const usage = await usageOf((u) => u.errorCode === 'guardrail_blocked' && u.model === TRANSLATED.openai.name);
    expect(usage.status).toBe(400);
    expect(usage.guardrails).toEqual([{ rule: 'github-token', action: 'block', count: 1 }]);
  });

  it('refuses an Anthropic call whose tool result holds a token, in Anthropic\'s error shape', async () => {
    const err = await s
      .anthropicClient()
      .messages.create({ model: CLAUDE, max_tokens: 100, tools: TOOLS, messages: toolLoop(`GITHUB_TOKEN=${FAKE.githubClassic}`) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const bad = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(bad.status).toBe(400);
    expect((bad.error as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(bad.message).toContain('guardrail_blocked');
    expect(bad.message).toContain('messages[2].content[0].content[0].text');
    expect(bad.message).not.toContain(FAKE.githubClassic);
    expect(s.upstreamRequestCount()).toBe(0);
  });

  it('refuses a Responses call, naming the input item', async () => {
    const err = await s
      .openaiClient()
      .responses.create({ model: TRANSLATED.openai.name, input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_text', text: FAKE.githubFineGrained }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input[0].content[1].text');
    expect(s.upstreamRequestCount()).toBe(0);
  });

  it('refuses a legacy completions call', async () => {
    const err = await s.openaiClient().completions.create({ model: TRANSLATED.openai.name, prompt: ['ok', `token ${FAKE.githubClassic}`] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('prompt[1]');
    expect(s.upstreamRequestCount()).toBe(0);
  });

  it('refuses a Gemini countTokens call in Gemini\'s error shape, naming the part', async () => {
    const res = await fetch(`${s.gw.url}/v1beta/models/${TRANSLATED.gemini.name}:countTokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }, { text: FAKE.githubClassic }] }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    const { error } = JSON.parse(text) as { error: { code: number; status: string; message: string } };
    expect([error.code, error.status]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(error.message).toContain('guardrail_blocked');
    expect(error.message).toContain('contents[0].parts[1].text');
    expect(text).not.toContain(FAKE.githubClassic);
    expect(s.upstreamRequestCount()).toBe(0);
  });

  it('refuses count_tokens too', async () => {
    const err = await s
      .anthropicClient()
      .messages.countTokens({ model: CLAUDE, messages: [{ role: 'user', content: FAKE.githubOAuth }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(s.upstreamRequestCount()).toBe(0);
  });
});

describe('redact', () => {
  it('sends an OpenAI passthrough call on with the key id replaced', async () => {
    // Act
    await s.openaiClient().chat.completions.create({ model: TRANSLATED.openai.name, messages: [{ role: 'user', content: `my .env:\n${KEY_LINE}\nREGION=eu` }] });
    // Assess
    const sent = s.openai.requests[0]!;
    expect(sent.rawBody).not.toContain(FAKE.awsKeyId);
    expect((sent.body as { messages: { content: string }[] }).messages[0]!.content).toBe('my .env:\nAWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]\nREGION=eu');
    const usage = await usageOf((u) => u.model === TRANSLATED.openai.name && u.status === 200 && Array.isArray(u.guardrails));
    expect(usage.guardrails).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
  });

  it('sends a streamed Anthropic passthrough call on with a PEM block in a tool result replaced whole', async () => {
    // Act
    const stream = await s.anthropicClient().messages.create({ model: CLAUDE, max_tokens: 100, stream: true, tools: TOOLS, messages: toolLoop(`id_rsa:\n${fakePem('RSA ')}\n`) });
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    // Assess
    expect(text.length).toBeGreaterThan(0);
    const sent = s.anthropic.requests[0]!;
    expect(sent.rawBody).not.toContain('PRIVATE KEY');
    const result = (sent.body as { messages: { content: Block[] }[] }).messages[2]!.content[0]!;
    expect(result.content).toEqual([{ type: 'text', text: 'id_rsa:\n[REDACTED:private-key]\n' }]);
  });

  it('translates the redacted body: an Anthropic client on an OpenAI model', async () => {
    await s.anthropicClient().messages.create({ model: TRANSLATED.openai.name, max_tokens: 100, tools: TOOLS, messages: toolLoop(KEY_LINE) });
    const sent = s.openai.requests[0]!;
    expect(sent.rawBody).not.toContain(FAKE.awsKeyId);
    expect(sent.rawBody).toContain('AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]');
  });

  it('translates the redacted body: an OpenAI client streaming from a Claude model', async () => {
    const stream = await s.openaiClient().chat.completions.create({ model: TRANSLATED.anthropic.name, stream: true, messages: [{ role: 'user', content: KEY_LINE }] });
    for await (const _chunk of stream) {
      // drained
    }
    const sent = s.anthropic.requests[0]!;
    expect(sent.rawBody).not.toContain(FAKE.awsKeyId);
    expect(JSON.stringify((sent.body as { messages: { content: unknown }[] }).messages[0]!.content)).toContain('AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]');
  });

  it('redacts a Gemini generateContent body', async () => {
    const res = await fetch(`${s.gw.url}/v1beta/models/${TRANSLATED.gemini.name}:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }, { role: 'model', parts: [{ text: 'hello' }] }, { role: 'user', parts: [{ text: KEY_LINE }] }] }),
    });
    expect(res.status).toBe(200);
    const sent = s.gemini.requests[0]!;
    expect(sent.rawBody).not.toContain(FAKE.awsKeyId);
    expect(sent.rawBody).toContain('[REDACTED:aws-access-key]');
  });

  it('redacts a Gemini stream translated for Anthropic', async () => {
    // Prepare: a Claude model, asked through Gemini's streaming route.
    const res = await fetch(`${s.gw.url}/v1beta/models/${CLAUDE}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `key\n${fakePem('EC ')}` }] }] }),
    });
    await res.text();
    // Assess
    expect(res.status).toBe(200);
    const sent = s.anthropic.requests[0]!;
    expect(sent.rawBody).not.toContain('PRIVATE KEY');
    expect(sent.rawBody).toContain('[REDACTED:private-key]');
  });

  it('redacts a body whose encoder escaped "/" and "+" (PHP, .NET), and the passthrough sends valid JSON', async () => {
    // Prepare: a PEM block in a tool result, written as PHP's json_encode writes it.
    const body = JSON.stringify({ model: CLAUDE, max_tokens: 100, tools: TOOLS, messages: toolLoop(fakePem('RSA ')) }).replaceAll('/', '\\/').replaceAll('+', '\\u002B');
    // Act
    const res = await fetch(`${s.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': s.key, 'anthropic-version': '2023-06-01' }, body });
    await res.text();
    // Assess
    expect(res.status).toBe(200);
    const sent = s.anthropic.requests[0]!;
    expect(JSON.stringify(JSON.parse(sent.rawBody))).not.toContain('PRIVATE KEY');
    expect(JSON.stringify((sent.body as { messages: unknown[] }).messages[2])).toContain('[REDACTED:private-key]');
  });

  it('redacts a base64 text part of a Gemini call, re-encoded', async () => {
    const original = Buffer.from(`# .env\n${KEY_LINE}\n`).toString('base64');
    const res = await fetch(`${s.gw.url}/v1beta/models/${TRANSLATED.gemini.name}:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'text/plain', data: original } }, { text: 'What is in it?' }] }] }),
    });
    expect(res.status).toBe(200);
    const sent = s.gemini.requests[0]!;
    const part = (sent.body as { contents: { parts: { inlineData?: { data: string } }[] }[] }).contents[0]!.parts[0]!;
    expect(Buffer.from(part.inlineData!.data, 'base64').toString()).toBe('# .env\nAWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]\n');
    expect(sent.rawBody).not.toContain(original);
  });

  it('redacts embeddings input', async () => {
    await s.openaiClient().embeddings.create({ model: TRANSLATED.openai.name, input: [`x ${FAKE.awsKeyId}`, 'y'] });
    const sent = s.openai.requests[0]!;
    expect((sent.body as { input: string[] }).input).toEqual(['x [REDACTED:aws-access-key]', 'y']);
  });

  it('redacts a secret planted in a captured Claude Code tool loop, and Anthropic takes the body', async () => {
    // Prepare: Claude Code 1.0.6's tool loop, with the last tool result holding an .env file.
    const fixture = loadFixture('cc-1.0.6-tool-loop');
    const body = structuredClone(fixture.request.body);
    const results = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b) => b.type === 'tool_result');
    const planted = results[results.length - 1]!;
    planted.content = `${String(typeof planted.content === 'string' ? planted.content : JSON.stringify(planted.content))}\n${KEY_LINE}\n${fakePem('OPENSSH ')}`;
    // Act
    const res = await fetch(`${s.gw.url}${fixture.request.path}`, { method: 'POST', headers: replayHeaders(fixture, 'x-api-key', s.key), body: JSON.stringify(body) });
    await res.text();
    // Assess: accepted, and the upstream got the body with the two secrets replaced and nothing else changed.
    expect(res.status).toBe(200);
    const expected = structuredClone(body);
    const expectedResults = expected.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b) => b.type === 'tool_result');
    const redacted = expectedResults[expectedResults.length - 1]!;
    redacted.content = String(redacted.content).replace(FAKE.awsKeyId, '[REDACTED:aws-access-key]').replace(fakePem('OPENSSH '), '[REDACTED:private-key]');
    expect(s.anthropic.requests[0]!.body).toEqual({ ...expected, model: ANTHROPIC_ROUTES[body.model] });
  });
});

describe('flag', () => {
  it('lets the call go unchanged and records the hit on its usage record', async () => {
    // Prepare
    const sentBytes = JSON.stringify({ model: TRANSLATED.openai.name, messages: [{ role: 'user', content: `decode ${FAKE.jwt}` }] });
    // Act
    const res = await fetch(`${s.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json', 'x-request-id': 'flagged-1' }, body: sentBytes });
    const answer = (await res.json()) as { id: string };
    // Assess
    expect(res.status).toBe(200);
    expect(s.openai.requests[0]!.rawBody === sentBytes.replace(TRANSLATED.openai.name, TRANSLATED.openai.upstream)).toBe(true);
    const usage = await usageOf((u) => Array.isArray(u.guardrails) && (u.guardrails as { rule: string }[])[0]!.rule === 'jwt');
    expect(usage.status).toBe(200);
    expect(usage.guardrails).toEqual([{ rule: 'jwt', action: 'flag', count: 1 }]);
    expect(answer.id).toBeDefined();
  });
});

describe('no hit', () => {
  it('passes a body that only mentions the prefixes as its exact bytes', async () => {
    // Prepare: every prefilter literal is there, no token is.
    const sentBytes = JSON.stringify({ model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: 'Keys start with AKIA or ASIA; tokens with ghp_; -----BEGIN RSA PRIVATE KEY----- opens a key; eyJ opens a JWT.' }] });
    // Act
    const res = await fetch(`${s.gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': s.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: sentBytes });
    await res.text();
    // Assess
    expect(res.status).toBe(200);
    expect(s.anthropic.requests[0]!.rawBody === sentBytes.replace(CLAUDE, ANTHROPIC_ROUTES[CLAUDE]!)).toBe(true);
  });
});

describe('keys and teams with guardrails off', () => {
  async function admin(method: string, path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(`${s.gw.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  }
  const pushWithToken = (apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${s.gw.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: TRANSLATED.openai.name, messages: [{ role: 'user', content: `push with ${FAKE.githubClassic}` }] });

  it('lets a key made with guardrails off send a token unscreened, and the admin API shows and removes the exemption', async () => {
    // Prepare
    const created = await admin('POST', '/admin/keys', { name: 'ci-bot', guardrails: 'off' });
    // Act
    await pushWithToken(created.key as string);
    // Assess
    expect(created.guardrails).toBe('off');
    expect(s.openai.requests[0]!.rawBody).toContain(FAKE.githubClassic);
    const patched = await admin('PATCH', `/admin/keys/${String(created.id)}`, { guardrails: 'on' });
    expect(patched.guardrails).toBeUndefined();
  });

  it('lets the keys of a team with guardrails off through, and still blocks other keys', async () => {
    // Prepare
    const team = await admin('POST', '/admin/teams', { name: 'automation', guardrails: 'off' });
    const member = await admin('POST', '/admin/keys', { name: 'deploy-bot', teamId: team.id });
    // Act
    await pushWithToken(member.key as string);
    const other = await pushWithToken(s.key).catch((e: unknown) => e);
    // Assess
    expect(team.guardrails).toBe('off');
    expect(s.openai.requests).toHaveLength(1);
    expect(other).toBeInstanceOf(OpenAI.BadRequestError);
  });
});
