/**
 * Guardrails on answers over signed thinking, end to end: Claude thinks about a key the user
 * pasted (the fake Anthropic, which refuses a thinking block whose text is not the one it signed,
 * as Anthropic does), the gateway redacts it on its way to the client, and the client sends the
 * turn back in a tool loop with thinking on. The redacted thinking reaches the client without its
 * signature (`aigw1:redacted`), so the gateway leaves it out of the next turn and goes on without
 * thinking there, instead of the next turn failing with Anthropic's "Invalid signature".
 * With the official clients: Anthropic's (passed through, whole and streamed), OpenAI's Responses
 * and Chat Completions, and Google's (translated; the gateway carries Claude's thinking in a
 * function call's thoughtSignature for it).
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Content, Part } from '@google/genai';
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fakes/anthropic';
import { geminiClient, type Harness } from './harness';
import { BASH, KEY, startThinkingRig, type ThinkingRig } from './thinking-rig';

const REDACTED_THOUGHT = 'The user pasted [REDACTED:aws-access-key] into the chat; I will list the files and not repeat it.';

let rig: ThinkingRig;
let h: Harness;
let anthropic: FakeAnthropic;
let key: string;

beforeAll(async () => {
  rig = await startThinkingRig({ on: ['response'], rules: [{ detect: 'aws-access-key', action: 'redact' }] });
  ({ h, anthropic, key } = rig);
});
afterAll(async () => {
  await rig.close();
});
beforeEach(() => anthropic.reset());

const claude = () => new Anthropic({ apiKey: key, baseURL: h.gw.url, maxRetries: 0, timeout: 20_000 });
const openai = (): OpenAI => h.openai({ apiKey: key, maxRetries: 0 });

/** What the fake got on the second turn: the assistant turn's block types, and whether thinking was on. */
function secondTurnSent(): { blocks: string[]; thinking: boolean } {
  const body = anthropic.requests.at(-1)!.body as { messages: { role: string; content: string | { type: string }[] }[]; thinking?: unknown };
  const assistant = body.messages.find((m) => m.role === 'assistant')!;
  return { blocks: typeof assistant.content === 'string' ? ['text'] : assistant.content.map((b) => b.type), thinking: body.thinking !== undefined };
}

describe('redacted signed thinking, sent back on the next turn', () => {
  it.each([false, true])('Anthropic client (streamed: %s): the thinking comes redacted with aigw1:redacted for a signature, and the tool loop goes on without it', async (streamed) => {
    // Prepare
    rig.replyThinkingThenDone();
    const ask = { model: 'claude-sonnet-4-6', max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools: [BASH] };
    const user = { role: 'user' as const, content: 'List my files. My key is in .env.' };
    // Act
    const first = streamed ? await claude().messages.stream({ ...ask, messages: [user] }).finalMessage() : await claude().messages.create({ ...ask, messages: [user] });
    const thinking = first.content.find((b) => b.type === 'thinking');
    const second = await claude().messages.create({
      ...ask,
      messages: [user, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'a.txt b.txt' }] }],
    });
    // Assess
    expect(thinking).toEqual({ type: 'thinking', thinking: REDACTED_THOUGHT, signature: 'aigw1:redacted' });
    expect(second.content).toEqual([expect.objectContaining({ type: 'text', text: 'Two files.' })]);
    expect(secondTurnSent()).toEqual({ blocks: ['tool_use'], thinking: false });
  });

  it('Anthropic client: thinking nothing was redacted in keeps its signature, and goes back to Claude with thinking on', async () => {
    rig.replyThinkingThenDone('Just list the files.');
    const ask = { model: 'claude-sonnet-4-6', max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools: [BASH] };
    const user = { role: 'user' as const, content: 'List my files.' };
    const first = await claude().messages.stream({ ...ask, messages: [user] }).finalMessage();
    const thinking = first.content.find((b) => b.type === 'thinking');
    expect(thinking && thinking.type === 'thinking' && thinking.signature).toMatch(/^Sig/);
    await claude().messages.create({ ...ask, messages: [user, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'a.txt' }] }] });
    expect(secondTurnSent()).toEqual({ blocks: ['thinking', 'tool_use'], thinking: true });
  });

  it("the fake checks the text against its signature as Anthropic does: Claude's signature over changed text is refused", async () => {
    rig.replyThinkingThenDone('Just list the files.');
    const ask = { model: 'claude-sonnet-4-6', max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools: [BASH] };
    const user = { role: 'user' as const, content: 'List my files.' };
    const first = await claude().messages.create({ ...ask, messages: [user] });
    // What a gateway that kept the signature over a redaction would send back: Claude's signature over other text.
    const changed = first.content.map((b) => (b.type === 'thinking' ? { ...b, thinking: 'Just list the [REDACTED:aws-access-key].' } : b));
    const sent = claude().messages.create({ ...ask, messages: [user, { role: 'assistant', content: changed }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'a.txt' }] }] });
    await expect(sent).rejects.toMatchObject({ status: 400, message: expect.stringContaining('Invalid `signature` in `thinking` block') });
  });

  it.each([false, true])('OpenAI Responses client on Claude (streamed: %s): the reasoning item comes redacted with aigw1:redacted, and sent back it is left out', async (streamed) => {
    rig.replyThinkingThenDone();
    const ask = { model: 'gpt-on-claude', reasoning: { effort: 'low' as const, summary: 'auto' as const }, tools: [{ type: 'function' as const, name: 'Bash', parameters: BASH.input_schema, strict: false }] };
    const input = [{ role: 'user' as const, content: 'List my files. My key is in .env.' }];
    let output: OpenAI.Responses.ResponseOutputItem[];
    if (streamed) {
      const stream = openai().responses.stream({ ...ask, input });
      output = (await stream.finalResponse()).output;
    } else output = (await openai().responses.create({ ...ask, input })).output;
    const reasoning = output.find((o) => o.type === 'reasoning');
    const call = output.find((o) => o.type === 'function_call');
    expect(reasoning).toMatchObject({ summary: [{ type: 'summary_text', text: REDACTED_THOUGHT }], encrypted_content: 'aigw1:redacted' });
    const second = await openai().responses.create({ ...ask, input: [...input, ...(output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call!.type === 'function_call' ? call!.call_id : '', output: 'a.txt b.txt' }] });
    expect(second.output_text).toBe('Two files.');
    expect(secondTurnSent()).toEqual({ blocks: ['tool_use'], thinking: false });
  });

  it('OpenAI Chat client on Claude: reasoning_content comes redacted (it carries no signature), and the next turn of the tool loop succeeds', async () => {
    rig.replyThinkingThenDone();
    const tools = [{ type: 'function' as const, function: { name: 'Bash', parameters: BASH.input_schema } }];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'List my files. My key is in .env.' }];
    const first = await openai().chat.completions.create({ model: 'gpt-on-claude', reasoning_effort: 'low', tools, messages });
    const message = first.choices[0]!.message as OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).toBe(REDACTED_THOUGHT);
    const second = await openai().chat.completions.create({ model: 'gpt-on-claude', reasoning_effort: 'low', tools, messages: [...messages, message, { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: 'a.txt b.txt' }] });
    expect(second.choices[0]!.message.content).toBe('Two files.');
  });

  it.each([false, true])("Google client on Claude (streamed: %s): the thought comes redacted, the gateway's thoughtSignatures that carried it are replaced, and the next turn succeeds", async (streamed) => {
    rig.replyThinkingThenDone();
    const ai = geminiClient(h.gw, key);
    const config = { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 }, tools: [{ functionDeclarations: [{ name: 'Bash', parametersJsonSchema: BASH.input_schema }] }] };
    const user: Content = { role: 'user', parts: [{ text: 'List my files. My key is in .env.' }] };
    let parts: Part[] = [];
    if (streamed) for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-on-claude', contents: [user], config })) parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
    else parts = (await ai.models.generateContent({ model: 'gemini-on-claude', contents: [user], config })).candidates![0]!.content!.parts!;
    expect(parts.filter((p) => p.thought).map((p) => p.text).join('')).toBe(REDACTED_THOUGHT);
    // The carried thinking (base64 JSON on the call's thoughtSignature) held the key too: it is gone.
    const signatures = parts.flatMap((p) => (p.thoughtSignature ? [Buffer.from(p.thoughtSignature, 'base64').toString()] : []));
    expect(signatures.length).toBeGreaterThan(0);
    for (const signature of signatures) expect(signature).not.toContain(KEY);
    const call = parts.find((p) => p.functionCall)!.functionCall!;
    const second = await ai.models.generateContent({ model: 'gemini-on-claude', config, contents: [user, { role: 'model', parts }, { role: 'user', parts: [{ functionResponse: { id: call.id, name: 'Bash', response: { output: 'a.txt b.txt' } } }] }] });
    expect(second.text).toBe('Two files.');
    expect(secondTurnSent()).toEqual({ blocks: ['tool_use'], thinking: false });
  });
});
