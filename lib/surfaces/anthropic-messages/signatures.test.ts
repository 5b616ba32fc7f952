import { decodeAnthropicRequest } from './request';
import { readThinkingSignature, thinkingSignature, withoutGatewayThinking } from './signatures';

describe('thinkingSignature and readThinkingSignature', () => {
  it.each([
    ["Claude's, as it came", 'EqQB', 'claude', 'EqQB'],
    ['one of no known family (from before the mark), as it came', 'EqQB', undefined, 'EqQB'],
    ["Gemini's, marked", 'CiQB', 'gemini', 'aigw1:gemini:CiQB'],
    ["OpenAI's, marked", 'gAAAAABo', 'openai', 'aigw1:openai:gAAAAABo'],
  ] as const)('writes %s', (_name, signature, signedBy, written) => {
    expect(thinkingSignature(signature, signedBy)).toBe(written);
    expect(readThinkingSignature(written)).toEqual({ signature, signedBy: signedBy ?? 'claude' });
  });
});

describe('a signature a guardrail took away (aigw1:redacted)', () => {
  it('reads as no signature, so translating builders leave the thinking out', () => {
    expect(readThinkingSignature('aigw1:redacted')).toEqual({ signature: '', signedBy: 'claude' });
  });

  it('is left out by the passthrough, and a tool loop it leaves without thinking goes on without thinking', () => {
    const body = {
      model: 'claude-sonnet-4-6',
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'key [REDACTED:aws-access-key]', signature: 'aigw1:redacted' }, { type: 'tool_use', id: 't1', name: 'weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }] },
      ],
    };
    const out = withoutGatewayThinking(body)!;
    expect((out.messages as { content: { type: string }[] }[])[1]!.content.map((b) => b.type)).toEqual(['tool_use']);
    expect(out.thinking).toBeUndefined();
  });
});

describe('a Messages API request replaying thinking', () => {
  it('decodes a marked signature with its family, so translating builders know whose it is', () => {
    const req = decodeAnthropicRequest({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'Plan.', signature: 'aigw1:gemini:CiQB' }, { type: 'text', text: 'A' }] }, { role: 'user', content: 'more' }],
    });
    expect(req.messages[1]?.parts[0]).toEqual({ type: 'thinking', text: 'Plan.', signature: 'CiQB', signedBy: 'gemini' });
  });
});

describe('withoutGatewayThinking (Anthropic and Bedrock passthrough)', () => {
  const toolLoop = (thinking: Record<string, unknown>[]) => [
    { role: 'user', content: 'Weather?' },
    { role: 'assistant', content: [...thinking, { type: 'tool_use', id: 't1', name: 'weather', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '12' }] },
  ];
  const thinkingOn = { type: 'enabled', budget_tokens: 2048 };

  it("drops another family's thinking, and turns thinking off for the tool loop it leaves without", () => {
    const out = withoutGatewayThinking({ model: 'claude', thinking: thinkingOn, messages: toolLoop([{ type: 'thinking', thinking: 'x', signature: 'aigw1:gemini:CiQB' }]) });
    expect(out).toEqual({ model: 'claude', messages: toolLoop([]) });
  });

  it('drops unsigned thinking the gateway wrote (an empty signature), and keeps thinking on when the turn still starts with Claude\'s', () => {
    const claude = { type: 'thinking', thinking: 'mine', signature: 'EqQB' };
    const out = withoutGatewayThinking({ model: 'claude', thinking: thinkingOn, messages: toolLoop([claude, { type: 'thinking', thinking: 'x', signature: '' }]) });
    expect(out).toEqual({ model: 'claude', thinking: thinkingOn, messages: toolLoop([claude]) });
  });

  it('drops a turn left empty', () => {
    const out = withoutGatewayThinking({ model: 'claude', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 'aigw1:gemini:CiQB' }] }, { role: 'user', content: 'more' }] });
    expect(out).toEqual({ model: 'claude', messages: [{ role: 'user', content: 'q' }, { role: 'user', content: 'more' }] });
  });

  it.each([
    ["Claude's own thinking", { model: 'claude', thinking: thinkingOn, messages: toolLoop([{ type: 'thinking', thinking: 'x', signature: 'EqQB' }]) }],
    ['string contents', { model: 'claude', messages: [{ role: 'user', content: 'q' }] }],
    ['no messages', { model: 'claude' }],
  ])('leaves a body with %s alone (undefined: its bytes go on)', (_name, body) => {
    expect(withoutGatewayThinking(body)).toBeUndefined();
  });
});
