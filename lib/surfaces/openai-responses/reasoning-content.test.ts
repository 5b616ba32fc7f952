import { decodeResponsesRequest } from './decode';
import { readEncryptedContent, withoutGatewayReasoning, writeEncryptedContent, type CarriedReasoning } from './reasoning-content';

describe('writeEncryptedContent and readEncryptedContent', () => {
  it.each<[string, CarriedReasoning, string]>([
    ["Claude's thinking signature", { kind: 'thinking', signature: 'EqQBCkYIAxgCIkB==', signedBy: 'claude' }, 'aigw1:claude:EqQBCkYIAxgCIkB=='],
    ["Gemini's thinking signature", { kind: 'thinking', signature: 'CiQB/+0=', signedBy: 'gemini' }, 'aigw1:gemini:CiQB/+0='],
    ['redacted thinking', { kind: 'redacted', data: 'EmwKAhgB' }, 'aigw1:claude:redacted_thinking:EmwKAhgB'],
    ["a Gemini call's signature", { kind: 'call_signature', signature: 'CiQB', signedBy: 'gemini' }, 'aigw1:gemini:tool_call_signature:CiQB'],
    ['unsigned thinking', { kind: 'unsigned' }, 'aigw1:unsigned'],
  ])('writes %s marked with its family, and reads it back', (_name, carried, written) => {
    expect(writeEncryptedContent(carried)).toBe(written);
    expect(readEncryptedContent(written)).toEqual(carried);
  });

  it.each<[string, string, CarriedReasoning]>([
    ["a plain signature as Claude's (the old code wrote Anthropic's and Bedrock's so)", 'EqQBCkYIAxgCIkB==', { kind: 'thinking', signature: 'EqQBCkYIAxgCIkB==', signedBy: 'claude' }],
    ['redacted thinking behind the old marker', 'redacted_thinking:EmwK', { kind: 'redacted', data: 'EmwK' }],
    ["a call's signature behind the old marker as Gemini's", 'tool_call_signature:CiQB', { kind: 'call_signature', signature: 'CiQB', signedBy: 'gemini' }],
    ["OpenAI's own encrypted content (a Fernet token) as OpenAI's", 'gAAAAABoXq1abc', { kind: 'thinking', signature: 'gAAAAABoXq1abc', signedBy: 'openai' }],
    ['a later version of its own mark as carrying nothing', 'aigw1:mistral:abc', { kind: 'unsigned' }],
  ])('reads %s', (_name, value, carried) => {
    expect(readEncryptedContent(value)).toEqual(carried);
  });
});

describe('reasoning items replayed to a translated target', () => {
  const input = (encrypted: string) => [
    { role: 'user', content: 'Weather?' },
    { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Look it up.' }], encrypted_content: encrypted },
    { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}' },
    { type: 'function_call_output', call_id: 'c1', output: '12' },
  ];

  it.each([
    ['aigw1:claude:EqQB', { signature: 'EqQB', signedBy: 'claude' }],
    ['aigw1:gemini:CiQB', { signature: 'CiQB', signedBy: 'gemini' }],
    ['gAAAAABoXq1abc', { signature: 'gAAAAABoXq1abc', signedBy: 'openai' }],
  ])('become thinking signed by the family %j says', (encrypted, signed) => {
    const req = decodeResponsesRequest({ model: 'm', input: input(encrypted) });
    expect(req.messages[1]).toEqual({ role: 'assistant', parts: [{ type: 'thinking', text: 'Look it up.', ...signed }, { type: 'tool_call', id: 'c1', name: 'weather', arguments: '{}' }] });
  });

  it('leave unsigned thinking out (Anthropic would refuse it)', () => {
    const req = decodeResponsesRequest({ model: 'm', input: input('aigw1:unsigned') });
    expect(req.messages[1]).toEqual({ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'weather', arguments: '{}' }] });
  });

  it("put a marked call signature on the next call, with its family", () => {
    const req = decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'q' }, { type: 'reasoning', summary: [], encrypted_content: 'aigw1:gemini:tool_call_signature:CiQB' }, { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }] });
    expect(req.messages[1]?.parts).toEqual([{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}', signature: 'CiQB', signedBy: 'gemini' }]);
  });
});

describe('withoutGatewayReasoning (Responses passthrough to OpenAI and Azure)', () => {
  const openAIItem = { type: 'reasoning', id: 'rs_a', summary: [], encrypted_content: 'gAAAAABoXq1abc' };
  const call = { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' };

  it.each([
    ['a marked thinking signature', 'aigw1:claude:EqQB'],
    ['marked redacted thinking', 'aigw1:claude:redacted_thinking:EmwK'],
    ["a marked call's signature", 'aigw1:gemini:tool_call_signature:CiQB'],
    ['redacted thinking from before the mark', 'redacted_thinking:EmwK'],
    ["a call's signature from before the mark", 'tool_call_signature:CiQB'],
    ['the mark of unsigned thinking', 'aigw1:unsigned'],
    // Before the mark the gateway wrote Claude's (and Gemini's thought) signatures as they came: a conversation that spans the upgrade still holds them.
    ["Claude's thinking signature from before the mark", 'EqQBCkYIAxgCIkB=='],
    ["Gemini's thought signature from before the mark", 'CiQB/+0='],
  ])('drops the reasoning item that carries %s, and keeps the rest in order', (_name, encrypted) => {
    const body = { model: 'gpt-5', input: [{ role: 'user', content: 'q' }, openAIItem, { type: 'reasoning', summary: [], encrypted_content: encrypted }, call], store: false };
    expect(withoutGatewayReasoning(body)).toEqual({ model: 'gpt-5', input: [{ role: 'user', content: 'q' }, openAIItem, call], store: false });
  });

  it.each([
    ["OpenAI's own reasoning items", { model: 'gpt-5', input: [{ role: 'user', content: 'q' }, openAIItem, call] }],
    ['a string input', { model: 'gpt-5', input: 'Hi' }],
    ['no input', { model: 'gpt-5' }],
    ['odd items', { model: 'gpt-5', input: [null, 3, { type: 'reasoning' }, { type: 'reasoning', encrypted_content: 5 }] }],
  ])('leaves a body with %s alone (undefined: its bytes go on)', (_name, body) => {
    expect(withoutGatewayReasoning(body)).toBeUndefined();
  });
});
