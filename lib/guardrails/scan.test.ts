import { GuardrailsSchema, type GuardrailsConfig } from './config';
import { FAKE, fakePem } from './fake-tokens';
import { carryThinking, markThoughtSignature, REDACTED_THOUGHT_SIGNATURE } from '../surfaces/gemini/carried-thinking';
import { Guardrails, type Screened } from './scan';

const rules = (...list: unknown[]): GuardrailsConfig => GuardrailsSchema.parse({ rules: list });
const bytes = (body: unknown) => Buffer.from(JSON.stringify(body));
const text = (screened: Screened | undefined) => Buffer.from(screened!.body).toString();

describe('Guardrails.from', () => {
  it('is undefined with no rules, so the pipeline looks at nothing', () => {
    expect(Guardrails.from(rules())).toBeUndefined();
  });

  it('spells the secrets preset out as one rule per built-in but jwt', () => {
    const guardrails = Guardrails.from(rules({ detect: 'secrets', action: 'redact' }))!;
    expect(guardrails.ruleIds).toEqual(['aws-access-key', 'aws-secret-key', 'private-key', 'github-token', 'openai-key', 'anthropic-key', 'google-api-key', 'slack-token', 'stripe-key', 'gateway-key']);
  });
});

describe('where a block names the match', () => {
  const block = Guardrails.from(rules({ detect: 'aws-access-key', action: 'block' }))!;
  const secret = `key ${FAKE.awsKeyId}`;
  const CASES: { surface: string; body: unknown; path: string }[] = [
    { surface: 'chat completions', body: { model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: secret }] }, path: 'messages[3].content' },
    {
      surface: 'chat tool call arguments',
      body: { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'write', arguments: JSON.stringify({ text: secret }) } }] }] },
      path: 'messages[0].tool_calls[0].function.arguments',
    },
    { surface: 'an Anthropic system prompt', body: { system: secret, messages: [] }, path: 'system' },
    {
      surface: 'an Anthropic tool result',
      body: { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: secret }] }] }] },
      path: 'messages[0].content[0].content[0].text',
    },
    { surface: 'Responses input', body: { input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_text', text: secret }] }] }, path: 'input[0].content[1].text' },
    { surface: 'Gemini contents', body: { contents: [{ parts: [{ text: 'a' }] }, { parts: [{ text: 'b' }] }, { parts: [{ text: secret }] }] }, path: 'contents[2].parts[0].text' },
    { surface: 'rerank documents', body: { query: 'q', documents: ['a', secret] }, path: 'documents[1]' },
    { surface: 'a key with odd characters', body: { metadata: { 'x-note': secret } }, path: 'metadata["x-note"]' },
  ];

  it.each(CASES)('names the param path in $surface', ({ body, path }) => {
    const screened = block.screen(bytes(body))!;
    expect(screened.blocked).toEqual({ rule: 'aws-access-key', path });
    expect(screened.hits).toEqual([{ rule: 'aws-access-key', action: 'block', count: 1 }]);
  });

  it('names the object, not the key, when the match is an object key (the param path goes back in the error)', () => {
    // A tool call's input written as an object: an agent may put a secret in a key as well as in a value.
    const body = { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'env', input: { note: 'a', [FAKE.awsKeyId]: 'value' } }] }] };
    const screened = block.screen(bytes(body))!;
    expect(screened.blocked).toEqual({ rule: 'aws-access-key', path: 'messages[0].content[0].input' });
  });

  it('keeps what another rule matched out of the param path, when it is a key on the way', () => {
    const both = Guardrails.from(rules({ detect: 'aws-access-key', action: 'redact' }, { detect: 'github-token', action: 'block' }))!;
    const screened = both.screen(bytes({ input: { [FAKE.awsKeyId]: `token ${FAKE.githubClassic}` } }))!;
    expect(screened.blocked).toEqual({ rule: 'github-token', path: 'input.[REDACTED:aws-access-key]' });
  });

  it('keeps the blocked secret out of the body an audit record would keep', () => {
    const screened = block.screen(bytes({ messages: [{ role: 'user', content: secret }] }))!;
    expect(Buffer.from(screened.audited).toString()).not.toContain(FAKE.awsKeyId);
    expect(Buffer.from(screened.audited).toString()).toContain('[REDACTED:aws-access-key]');
  });
});

describe('screening a body', () => {
  const guardrails = Guardrails.from(rules({ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'flag' }, { id: 'card', detect: { regex: '\\b4[0-9]{15}\\b' }, action: 'redact' }))!;

  it('finds nothing in a body without a match, and hands back no body of its own', () => {
    // A body that holds every prefilter literal, but no token.
    expect(guardrails.screen(bytes({ messages: [{ content: 'AKIA ghp_ sk-proj- sk-ant- AIza xoxb- _live_ eyJ sk-gw- T3BlbkFJ PRIVATE KEY-----' }] }))).toBeUndefined();
  });

  it('replaces every match and keeps the JSON valid', () => {
    // Prepare
    const body = { messages: [{ role: 'user', content: `a ${FAKE.githubClassic} b ${FAKE.google}\n${fakePem('EC ')}\nend`, note: 'card 4111111111111111' }] };
    // Act
    const screened = guardrails.screen(bytes(body))!;
    // Assess
    expect(JSON.parse(text(screened))).toEqual({ messages: [{ role: 'user', content: 'a [REDACTED:github-token] b [REDACTED:google-api-key]\n[REDACTED:private-key]\nend', note: 'card [REDACTED:card]' }] });
    expect(screened.hits).toEqual([
      { rule: 'private-key', action: 'redact', count: 1 },
      { rule: 'github-token', action: 'redact', count: 1 },
      { rule: 'google-api-key', action: 'redact', count: 1 },
      { rule: 'card', action: 'redact', count: 1 },
    ]);
    expect(screened.blocked).toBeUndefined();
    expect(screened.flagged).toBe(false);
  });

  describe('a body whose JSON escapes ordinary characters', () => {
    // Encoders that do: PHP's json_encode writes "/" as "\/", .NET's System.Text.Json writes "+" as "\u002B"; a client may escape any character.
    const secret = `${FAKE.awsSecret.slice(0, 19)}/+${FAKE.awsSecret.slice(21)}`;
    const CASES: { encoder: string; content: string; token: string; rule: string; escape: (json: string) => string }[] = [
      { encoder: 'PHP (\\/)', content: `-----\n${fakePem('RSA ')}\n-----`, token: fakePem('RSA '), rule: 'private-key', escape: (json) => json.replaceAll('/', '\\/') },
      { encoder: '.NET (\\u002B)', content: `aws_secret_access_key = ${secret}`, token: secret, rule: 'aws-secret-key', escape: (json) => json.replaceAll('+', '\\u002B') },
      { encoder: 'any (\\u0041)', content: `id ${FAKE.awsKeyId}`, token: FAKE.awsKeyId, rule: 'aws-access-key', escape: (json) => json.replace('AKIA', '\\u0041KIA') },
    ];

    it.each(CASES)('finds and replaces the whole token written by $encoder', ({ content, token, rule, escape }) => {
      // Prepare
      const raw = Buffer.from(escape(JSON.stringify({ messages: [{ role: 'user', content }] })));
      expect(JSON.parse(raw.toString())).toEqual({ messages: [{ role: 'user', content }] });
      // Act
      const screened = guardrails.screen(raw)!;
      // Assess
      expect(screened.hits).toEqual([{ rule, action: 'redact', count: 1 }]);
      expect(JSON.parse(text(screened))).toEqual({ messages: [{ role: 'user', content: content.replace(token, `[REDACTED:${rule}]`) }] });
    });

    it('sends the very bytes the client sent when nothing matches', () => {
      const raw = Buffer.from('{"content":"a\\/b \\u0041 c"}');
      expect(guardrails.screen(raw)).toBeUndefined();
    });
  });

  it('keeps a user pattern\'s offsets right after a byte that is not UTF-8 (decoded as U+FFFD, three bytes, as the parse reads it)', () => {
    // Prepare: a Latin-1 "é" (0xE9, not UTF-8) before the card number, as a client that wrote Latin-1 sends it.
    const raw = Buffer.concat([Buffer.from('{"content":"caf'), Buffer.from([0xe9]), Buffer.from(' 4111111111111111 ok"}')]);
    // Act
    const screened = guardrails.screen(raw)!;
    // Assess: the number, and only it, is replaced; the body parses as the gateway parses it.
    expect(JSON.parse(text(screened))).toEqual({ content: 'caf\ufffd [REDACTED:card] ok' });
  });

  it('keeps offsets right after non-ASCII text', () => {
    const body = { messages: [{ content: `héllo 👋 日本 ${FAKE.stripeLive} ✓` }] };
    expect(JSON.parse(text(guardrails.screen(bytes(body))))).toEqual({ messages: [{ content: 'héllo 👋 日本 [REDACTED:stripe-key] ✓' }] });
  });

  it('lets a flagged match go on as the very bytes the client sent', () => {
    const raw = bytes({ messages: [{ content: `Bearer ${FAKE.jwt}` }] });
    const screened = guardrails.screen(raw)!;
    expect(screened.body).toBe(raw);
    expect(screened.flagged).toBe(true);
    expect(screened.hits).toEqual([{ rule: 'jwt', action: 'flag', count: 1 }]);
  });

  it('ignores what a user pattern matches outside JSON strings, and looks again after a match that would cut an escape', () => {
    // Prepare: a pattern of digits, a number in the JSON's structure, and an escape (`\n`) followed by digits.
    const digits = Guardrails.from(rules({ id: 'digits', detect: { regex: 'n?[0-9]{6}' }, action: 'redact' }))!;
    // Act
    const screened = digits.screen(bytes({ seed: 12345678, messages: [{ content: 'line\n123456' }] }))!;
    // Assess: the number stays; the match that starts inside `\n` is not taken (the JSON stays valid), the digits after it are.
    expect(JSON.parse(text(screened))).toEqual({ seed: 12345678, messages: [{ content: 'line\n[REDACTED:digits]' }] });
  });

  it.each([
    // `\S+` runs on past the string's closing quote in the body's text; the match must stop at the string's end, not be dropped.
    { case: 'a match that would run past its string', regex: 'password=\\S+', flags: '', content: 'my password=hunter2', left: 'my [REDACTED:pw]' },
    // `[a-z_]*` with `i` takes the `n` of the `\n` before the line: the match must be looked for again after the escape, not dropped.
    { case: 'a match that would start inside an escape', regex: '[a-z_]*password=\\S+', flags: 'i', content: 'FOO=1\nDB_PASSWORD=hunter2', left: 'FOO=1\n[REDACTED:pw]' },
  ])('finds $case', ({ regex, flags, content, left }) => {
    const redact = Guardrails.from(rules({ id: 'pw', detect: { regex, flags }, action: 'redact' }))!;
    const block = Guardrails.from(rules({ id: 'pw', detect: { regex, flags }, action: 'block' }))!;
    expect(JSON.parse(text(redact.screen(bytes({ messages: [{ role: 'user', content }] }))))).toEqual({ messages: [{ role: 'user', content: left }] });
    expect(block.screen(bytes({ messages: [{ role: 'user', content }] }))?.blocked).toEqual({ rule: 'pw', path: 'messages[0].content' });
  });

  it('stays linear when every match of a pattern would cut an escape', () => {
    // Prepare: a pattern whose leftmost match always starts on the `n` of a `\n` and runs to the string's end.
    const escapes = Guardrails.from(rules({ id: 'n', detect: { regex: 'n[^x]*y' }, action: 'redact' }))!;
    const raw = bytes({ content: `${'\n'.repeat(200_000)}y` });
    // Act
    const started = performance.now();
    escapes.screen(raw);
    // Assess
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    { case: 'an Anthropic thinking signature', body: { messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 'EqQBCkgIBRABGAIiQ0123456789abc+/' }] }] } },
    { case: 'a Responses reasoning item', body: { input: [{ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAAABo7654321xyz==' }] } },
    { case: 'a Gemini thought signature', body: { contents: [{ role: 'model', parts: [{ text: 'a', thoughtSignature: 'CiQB0123456789zz' }] }] } },
  ])('leaves $case alone: the provider checks those bytes, and a secret is not readable in them', ({ body }) => {
    // Prepare: a broad user pattern (six digits) that a signature's base64 meets by chance.
    const digits = Guardrails.from(rules({ id: 'digits', detect: { regex: '[0-9]{6,}' }, action: 'redact' }))!;
    // Act and assess
    expect(digits.screen(bytes(body))).toBeUndefined();
  });

  it('takes many matches in one long string, each left whole', () => {
    // Prepare: a 200 KB tool result with a key every 2 KB, and escapes and non-ASCII text between them.
    const many = Guardrails.from(rules({ detect: 'aws-access-key', action: 'redact' }, { id: 'ticket', detect: { regex: 'TICKET-[0-9]{4}' }, action: 'redact' }))!;
    const chunk = `${'é "quoted" \\ line\n'.repeat(80)} ${FAKE.awsKeyId} TICKET-1234\n`;
    const content = chunk.repeat(100);
    // Act
    const started = performance.now();
    const screened = many.screen(bytes({ messages: [{ role: 'tool', content }] }))!;
    const took = performance.now() - started;
    // Assess
    expect(screened.hits).toEqual([
      { rule: 'aws-access-key', action: 'redact', count: 100 },
      { rule: 'ticket', action: 'redact', count: 100 },
    ]);
    expect(JSON.parse(text(screened))).toEqual({ messages: [{ role: 'tool', content: content.split(FAKE.awsKeyId).join('[REDACTED:aws-access-key]').split('TICKET-1234').join('[REDACTED:ticket]') }] });
    expect(took).toBeLessThan(500);
  });

  it('replaces a match once when two rules overlap, and counts both', () => {
    const both = Guardrails.from(rules({ detect: 'aws-access-key', action: 'redact' }, { id: 'akia', detect: { regex: 'AKIA[A-Z0-9]{4}' }, action: 'redact' }))!;
    const screened = both.screen(bytes({ content: `x ${FAKE.awsKeyId} y` }))!;
    expect(JSON.parse(text(screened))).toEqual({ content: 'x [REDACTED:aws-access-key] y' });
    expect(screened.hits.map((h) => h.rule)).toEqual(['aws-access-key', 'akia']);
  });

  it('replaces the whole of two matches that overlap in part, leaving no tail of the later one', () => {
    // A user pattern that starts before a built-in's match and ends inside it: the built-in's tail must not go upstream.
    const both = Guardrails.from(rules({ id: 'label', detect: { regex: 'key AKIA' }, action: 'redact' }, { detect: 'aws-access-key', action: 'redact' }))!;
    const screened = both.screen(bytes({ content: `x key ${FAKE.awsKeyId} y` }))!;
    expect(text(screened)).not.toContain(FAKE.awsKeyId.slice(4));
    expect(JSON.parse(text(screened))).toEqual({ content: 'x [REDACTED:label] y' });
  });

  it('blocks on the first block match even when others redact', () => {
    const mixed = Guardrails.from(rules({ detect: 'github-token', action: 'redact' }, { detect: 'private-key', action: 'block' }))!;
    const screened = mixed.screen(bytes({ messages: [{ content: FAKE.githubClassic }, { content: fakePem('') }] }))!;
    expect(screened.blocked).toEqual({ rule: 'private-key', path: 'messages[1].content' });
    expect(Buffer.from(screened.audited).toString()).not.toContain('PRIVATE KEY');
    expect(Buffer.from(screened.audited).toString()).not.toContain(FAKE.githubClassic);
  });
});

describe('documents and files sent as base64', () => {
  const guardrails = Guardrails.from(rules({ detect: 'aws-access-key', action: 'redact' }, { detect: 'github-token', action: 'block' }))!;
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const unb64 = (data: string) => Buffer.from(data, 'base64').toString();

  it('redacts a text/plain Anthropic document, and leaves a PDF alone', () => {
    // Prepare
    const doc = (mediaType: string, text: string) => ({ type: 'document', source: { type: 'base64', media_type: mediaType, data: b64(text) } });
    const body = { messages: [{ role: 'user', content: [doc('text/plain', `.env:\nAWS_ACCESS_KEY_ID=${FAKE.awsKeyId}\n`), doc('application/pdf', `%PDF ${FAKE.awsKeyId}`)] }] };
    // Act
    const screened = guardrails.screen(bytes(body))!;
    // Assess
    const out = JSON.parse(text(screened)) as typeof body;
    expect(unb64(out.messages[0]!.content[0]!.source.data)).toBe('.env:\nAWS_ACCESS_KEY_ID=[REDACTED:aws-access-key]\n');
    expect(out.messages[0]!.content[1]).toEqual(body.messages[0]!.content[1]);
    expect(screened.hits).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
  });

  it('reads an Anthropic plain-text document source as the text it is', () => {
    const body = { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: `AKIA notes ${FAKE.awsKeyId}` } }] }] };
    const out = JSON.parse(text(guardrails.screen(bytes(body)))) as typeof body;
    expect(out.messages[0]!.content[0]!.source.data).toBe('AKIA notes [REDACTED:aws-access-key]');
  });

  it('redacts a Gemini inlineData text part', () => {
    const body = { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'text/markdown', data: b64(`key ${FAKE.awsKeyId}`) } }] }] };
    const out = JSON.parse(text(guardrails.screen(bytes(body)))) as typeof body;
    expect(unb64(out.contents[0]!.parts[0]!.inlineData.data)).toBe('key [REDACTED:aws-access-key]');
  });

  it('blocks an OpenAI file given as a data: URL, naming its field, and keeps the token out of the audit body', () => {
    const body = { messages: [{ role: 'user', content: [{ type: 'text', text: 'read this' }, { type: 'file', file: { filename: 'a.txt', file_data: `data:text/plain;base64,${b64(`GITHUB_TOKEN=${FAKE.githubClassic}`)}` } }] }] };
    const screened = guardrails.screen(bytes(body))!;
    expect(screened.blocked).toEqual({ rule: 'github-token', path: 'messages[0].content[1].file.file_data' });
    const audited = JSON.parse(Buffer.from(screened.audited).toString()) as typeof body;
    expect(unb64(audited.messages[0]!.content[1]!.file!.file_data.split(',')[1]!)).toBe('GITHUB_TOKEN=[REDACTED:github-token]');
  });
});


describe('a redaction inside signed thinking sent back', () => {
  const redact = Guardrails.from(rules({ detect: 'aws-access-key', action: 'redact' }))!;
  const thought = `The user pasted ${FAKE.awsKeyId}; I will not repeat it.`;
  const redactedThought = 'The user pasted [REDACTED:aws-access-key]; I will not repeat it.';
  const turn = (thinking: string, signature: string) => ({ role: 'assistant', content: [{ type: 'thinking', thinking, signature }, { type: 'text', text: 'Done.' }] });

  it("replaces the signature of the Anthropic thinking block whose text it changed with aigw1:redacted, and keeps the others'", () => {
    // Prepare
    const body = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'go' }, turn('Plain thought.', 'EqQBkept'), { role: 'user', content: 'more' }, turn(thought, 'EqQBsigned')] };
    // Act
    const screened = redact.screen(bytes(body))!;
    // Assess
    expect(JSON.parse(text(screened))).toEqual({ ...body, messages: [body.messages[0], turn('Plain thought.', 'EqQBkept'), body.messages[2], turn(redactedThought, 'aigw1:redacted')] });
    expect(screened.hits).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
  });

  it('finds the signature before the thinking as well as after it, and leaves an empty one empty', () => {
    const raw = Buffer.from(`{"messages":[{"role":"assistant","content":[{"signature":"EqQB","type":"thinking","thinking":"${thought}"},{"type":"thinking","thinking":"${thought}","signature":""}]}]}`);
    const sent = JSON.parse(text(redact.screen(raw))) as { messages: { content: { signature: string }[] }[] };
    expect(sent.messages[0]!.content.map((b) => b.signature)).toEqual(['aigw1:redacted', '']);
  });

  it('leaves the signature alone when the match lies elsewhere in the body (text, a tool input)', () => {
    const body = { messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'ok', signature: 'EqQB' }, { type: 'tool_use', id: 't', name: 'f', input: { thinking: FAKE.awsKeyId } }] }, { role: 'user', content: FAKE.awsKeyId }] };
    const sent = JSON.parse(text(redact.screen(bytes(body)))) as { messages: { content: { signature?: string }[] }[] };
    expect(sent.messages[0]!.content[0]!.signature).toBe('EqQB');
  });

  it('keeps a flagged or blocked thinking block as it is: a flag changes nothing, a block ends the call', () => {
    const body = { messages: [turn(thought, 'EqQB')] };
    const flag = Guardrails.from(rules({ detect: 'aws-access-key', action: 'flag' }))!.screen(bytes(body))!;
    const block = Guardrails.from(rules({ detect: 'aws-access-key', action: 'block' }))!.screen(bytes(body))!;
    expect(text(flag)).toBe(JSON.stringify(body));
    expect(block.blocked).toEqual({ rule: 'aws-access-key', path: 'messages[0].content[0].thinking' });
  });

  it("replaces a Responses reasoning item's encrypted_content that the gateway wrote (Claude's signature, marked) when its summary changed, and never OpenAI's own", () => {
    // Prepare
    const item = (encrypted: string, text: string) => ({ type: 'reasoning', summary: [{ type: 'summary_text', text }], encrypted_content: encrypted });
    const body = { model: 'gpt-on-claude', input: [{ role: 'user', content: 'go' }, item('aigw1:claude:EqQB', thought), item('gAAAAABoFernet', thought), item('aigw1:claude:EqQC', 'Plain thought.')] };
    // Act
    const sent = JSON.parse(text(redact.screen(bytes(body)))) as { input: { encrypted_content?: string; summary?: { text: string }[] }[] };
    // Assess
    expect(sent.input.slice(1).map((i) => [i.encrypted_content, i.summary![0]!.text])).toEqual([
      ['aigw1:redacted', redactedThought],
      ['gAAAAABoFernet', redactedThought],
      ['aigw1:claude:EqQC', 'Plain thought.'],
    ]);
  });

  it("replaces the gateway's thoughtSignatures in a Gemini model turn whose thought text it changed, and leaves Gemini's own and other turns' alone", () => {
    // Prepare
    const carried = carryThinking([{ type: 'thinking', text: thought, signature: 'EqQB', signedBy: 'claude' }])!;
    const turn = (text: string, thoughtFlag: boolean) => ({
      role: 'model',
      parts: [{ text, thought: thoughtFlag, thoughtSignature: markThoughtSignature('claude', 'EqQB') }, { functionCall: { name: 'ls', args: {} }, thoughtSignature: carried }, { text: 'Done.', thoughtSignature: 'CiQBgemini' }],
    });
    const body = { contents: [{ role: 'user', parts: [{ text: 'go' }] }, turn(thought, true), turn(thought, false), turn('Plain thought.', true)] };
    // Act
    const sent = JSON.parse(text(redact.screen(bytes(body)))) as { contents: { parts: { thoughtSignature?: string }[] }[] };
    // Assess
    const marked = markThoughtSignature('claude', 'EqQB');
    expect(sent.contents.slice(1).map((c) => c.parts.map((p) => p.thoughtSignature))).toEqual([
      [REDACTED_THOUGHT_SIGNATURE, REDACTED_THOUGHT_SIGNATURE, 'CiQBgemini'],
      [marked, carried, 'CiQBgemini'],
      [marked, carried, 'CiQBgemini'],
    ]);
  });

  it('sends the very bytes the client sent when nothing matches, thinking or not', () => {
    const raw = bytes({ messages: [turn('Plain thought.', 'EqQB')] });
    expect(redact.screen(raw)).toBeUndefined();
  });
});
