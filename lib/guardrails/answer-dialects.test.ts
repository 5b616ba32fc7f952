import { answerPaths, closedChannels, echoes, hasOtherText, textSlots, type AnswerDialect } from './answer-dialects';
import { GuardrailsSchema } from './config';
import { FAKE } from './fake-tokens';
import { Guardrails } from './scan';
import { TextChannel } from './text-channel';

describe('textSlots', () => {
  it.each<{ dialect: AnswerDialect; event: unknown; slots: [string, string, string][]; other: boolean }>([
    { dialect: 'openai', event: { choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' } }] }, slots: [['0:content', 'choices[0].delta.content', 'hi']], other: false },
    { dialect: 'openai', event: { choices: [{ index: 1, delta: { tool_calls: [{ index: 2, function: { arguments: '{"a' } }] } }] }, slots: [['1:tool:2', 'choices[0].delta.tool_calls[0].function.arguments', '{"a']], other: false },
    { dialect: 'openai', event: { choices: [{ index: 0, text: 'def f' }] }, slots: [['0:text', 'choices[0].text', 'def f']], other: true },
    // The deprecated `functions` API streams its one call's arguments here.
    { dialect: 'openai', event: { choices: [{ index: 0, delta: { function_call: { arguments: '{"a' } } }] }, slots: [['0:function_call', 'choices[0].delta.function_call.arguments', '{"a']], other: true },
    { dialect: 'openai', event: { choices: [], usage: { total_tokens: 3 } }, slots: [], other: false },
    // Content as parts (Mistral's reasoning models): not running text, so looked at on its own.
    { dialect: 'openai', event: { choices: [{ index: 0, delta: { content: [{ type: 'text', text: 'x' }] } }] }, slots: [], other: true },
    { dialect: 'anthropic', event: { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'x' } }, slots: [['3:', 'delta.text', 'x']], other: false },
    { dialect: 'anthropic', event: { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"k":' } }, slots: [['1:', 'delta.partial_json', '{"k":']], other: false },
    // Signed: never read, never rewritten.
    { dialect: 'anthropic', event: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }, slots: [['0:', 'delta.thinking', 'hmm']], other: false },
    { dialect: 'anthropic', event: { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB' } }, slots: [], other: false },
    { dialect: 'anthropic', event: { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', input: {} } }, slots: [], other: true },
    // A text block may open with text (some Anthropic-compatible servers): its deltas continue it.
    { dialect: 'anthropic', event: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Hi' } }, slots: [['0:', 'content_block.text', 'Hi']], other: true },
    { dialect: 'openai-responses', event: { type: 'response.output_text.delta', output_index: 1, content_index: 0, delta: 'so' }, slots: [['response.output_text.delta:1:0', 'delta', 'so']], other: false },
    { dialect: 'openai-responses', event: { type: 'response.function_call_arguments.delta', output_index: 2, delta: '{' }, slots: [['response.function_call_arguments.delta:2:', 'delta', '{']], other: false },
    { dialect: 'openai-responses', event: { type: 'response.output_text.done', output_index: 1, content_index: 0, text: 'so' }, slots: [], other: true },
    { dialect: 'gemini', event: { candidates: [{ content: { parts: [{ text: 'a', thought: true }, { text: 'b' }] } }] }, slots: [['0:thought', 'candidates[0].content.parts[0].text', 'a'], ['0:text', 'candidates[0].content.parts[1].text', 'b']], other: false },
    { dialect: 'gemini', event: { candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: { k: 'v' } } }] } }] }, slots: [], other: true },
  ])('$dialect: $event', ({ dialect, event, slots, other }) => {
    expect(textSlots(dialect, event).map((s) => [s.channel, s.path, s.text])).toEqual(slots);
    expect(hasOtherText(dialect, event)).toBe(other);
  });

  it.each<[AnswerDialect, unknown, string[]]>([
    ['anthropic', { type: 'content_block_stop', index: 1 }, ['1:']],
    ['anthropic', { type: 'message_delta', delta: { stop_reason: 'end_turn' } }, []],
    ['openai', { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }, ['0:']],
    ['openai', { choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] }, []],
    ['openai-responses', { type: 'response.output_item.done', output_index: 2 }, ['response.output_text.delta:2:', 'response.refusal.delta:2:', 'response.function_call_arguments.delta:2:', 'response.reasoning_summary_text.delta:2:', 'response.custom_tool_call_input.delta:2:', 'response.reasoning_text.delta:2:', 'response.code_interpreter_call_code.delta:2:', 'response.mcp_call_arguments.delta:2:']],
    ['gemini', { candidates: [{ index: 0, finishReason: 'STOP', content: { parts: [] } }] }, ['0:']],
  ])('%s: %j closes %j', (dialect, event, closed) => {
    expect(closedChannels(dialect, event)).toEqual(closed);
  });

  it('counts Responses closing events as echoes of their deltas, and nothing else', () => {
    expect(echoes('openai-responses', { type: 'response.completed' })).toBe(true);
    expect(echoes('openai-responses', { type: 'response.output_text.delta' })).toBe(false);
    expect(echoes('anthropic', { type: 'message_stop' })).toBe(false);
  });
});

describe('answerPaths', () => {
  it.each<[AnswerDialect, string, boolean]>([
    ['openai', 'choices[0].message.content', true],
    ['openai', 'choices[0].message.tool_calls[0].function.arguments', true],
    ['openai', 'id', false],
    ['anthropic', 'content[1].text', true],
    ['anthropic', 'content[1].input.command', true],
    // Signed thinking is read: a redaction there replaces its signature (`unsignRedacted`).
    ['anthropic', 'content[0].thinking', true],
    ['anthropic', 'content[0].signature', false],
    ['anthropic', 'content[0].signature', false],
    ['anthropic', 'content[2].data', false],
    ['openai-responses', 'output[1].content[0].text', true],
    ['openai-responses', 'output[0].encrypted_content', false],
    ['openai-responses', 'instructions', false],
    // Written by some OpenAI-compatible servers (OpenAI's SDKs make it): the output's text again.
    ['openai-responses', 'output_text', true],
    ['gemini', 'candidates[0].content.parts[0].text', true],
    ['gemini', '[2].candidates[0].content.parts[0].functionCall.args.k', true],
    ['gemini', 'candidates[0].content.parts[1].thoughtSignature', false],
    ['gemini', 'modelVersion', false],
  ])('%s: %s counts: %s', (dialect, path, counts) => {
    expect(answerPaths(dialect)(path)).toBe(counts);
  });
});

describe('TextChannel', () => {
  const guardrails = Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'aws-access-key', action: 'redact' }, { id: 'ticket', detect: { regex: 'TICKET-[0-9]+' }, action: 'flag' }] }), 'response')!;
  const key = FAKE.awsKeyId;

  it.each([
    { case: 'plain text: all but the window settled', pieces: ['x'.repeat(300)], window: 128, decided: 300 - 128, found: 0 },
    { case: 'a key at the very end: not reported, it may still grow', pieces: ['a'.repeat(200), ` ${key}`], window: 128, decided: 221 - 128, found: 0 },
    { case: 'a key at the end, longer than the window: held from its start', pieces: [` ${key}`], window: 8, decided: 1, found: 0 },
    { case: 'a key followed by a byte: decided up to its end and reported', pieces: [` ${key}`, '.'], window: 128, decided: 21, found: 1 },
    { case: "a pattern of the operator's: decided only a window after its start", pieces: ['TICKET-12', '3 and more'], window: 128, decided: 0, found: 0 },
    // `line\n\"` is 8 bytes of JSON text: the key lies at 8–28.
    { case: 'a key split over pieces, with escapes before it', pieces: ['line\n"', key.slice(0, 5), `${key.slice(5)} `], window: 128, decided: 28, found: 1 },
  ])('$case', ({ pieces, window, decided, found }) => {
    const matches: unknown[] = [];
    const channel = new TextChannel(guardrails, window, (m) => matches.push(m));
    for (const piece of pieces) channel.push(piece);
    channel.scan(false);
    expect(channel.decided).toBe(decided);
    expect(matches).toHaveLength(found);
  });

  it('reports a match once, however often it is scanned, and everything when the text ends', () => {
    const matches: { rule: string }[] = [];
    const channel = new TextChannel(guardrails, 128, (m) => matches.push(m));
    channel.push(`${key} and TICKET-7`);
    channel.scan(false);
    channel.push(' more');
    channel.scan(false);
    channel.scan(true);
    expect(matches.map((m) => m.rule)).toEqual(['aws-access-key', 'ticket']);
    expect(channel.decided).toBe(channel.end);
  });

  it('puts the replacement in the piece where the match starts and cuts the rest from the pieces after', () => {
    const channel = new TextChannel(guardrails, 128, () => {});
    const a = channel.push(`id=${key.slice(0, 8)}`);
    const b = channel.push(`${key.slice(8)}"ok`);
    channel.scan(true);
    expect(channel.textOf(a)).toBe('id=[REDACTED:aws-access-key]');
    expect(channel.textOf(b)).toBe('"ok');
  });
});
