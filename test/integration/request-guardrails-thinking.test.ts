/**
 * Guardrails on requests over signed thinking a client sends back, end to end: Claude thought
 * about a key the user pasted (the fake Anthropic signed that text, and refuses the block if the
 * text comes back changed, as Anthropic does), answers are not screened, and the client sends the
 * turn back in a tool loop under a request `redact` rule. The redaction unsigns the block in the
 * same pass (`aigw1:redacted`), so the gateway leaves the thinking out (and turns thinking off for
 * the tool loop) instead of the turn failing with "Invalid `signature`": passed through (Anthropic's
 * client) and translated (OpenAI's Responses client on Claude, whose reasoning item carries it;
 * Google's, whose thought part and function call's thoughtSignature carry it).
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Content, Part } from '@google/genai';
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fakes/anthropic';
import { eventually, geminiClient, type Harness } from './harness';
import { BASH, KEY, THOUGHT, startThinkingRig, type ThinkingRig } from './thinking-rig';

let rig: ThinkingRig;
let h: Harness;
let anthropic: FakeAnthropic;
let key: string;
let keyId: string;

beforeAll(async () => {
  // Requests only: turn 1's thinking reaches the client with the key in it and Claude's signature over it.
  rig = await startThinkingRig({ rules: [{ detect: 'aws-access-key', action: 'redact' }] });
  ({ h, anthropic, key, keyId } = rig);
});
afterAll(async () => {
  await rig.close();
});
beforeEach(() => anthropic.reset());

/** What the fake got on the second turn: the assistant turn's block types, whether thinking was on, and whether the key was anywhere in it. */
function secondTurnSent(): { blocks: string[]; thinking: boolean; key: boolean } {
  const body = anthropic.requests.at(-1)!.body as { messages: { role: string; content: string | { type: string }[] }[]; thinking?: unknown };
  const assistant = body.messages.find((m) => m.role === 'assistant')!;
  return { blocks: typeof assistant.content === 'string' ? ['text'] : assistant.content.map((b) => b.type), thinking: body.thinking !== undefined, key: JSON.stringify(body).includes(KEY) };
}

/** The usage record of the key's call to `model` with a guardrail hit. */
async function hitsOf(model: string): Promise<unknown> {
  let hits: unknown;
  await eventually(async () => {
    hits = (await h.usage(keyId)).find((u) => u.model === model && u.guardrails !== undefined)?.guardrails;
    expect(hits).toBeDefined();
  });
  return hits;
}

describe('a request redaction inside signed thinking sent back', () => {
  it('Anthropic client (passed through): the thinking is left out, the turn succeeds without thinking, and the key never reaches Anthropic', async () => {
    // Prepare
    rig.replyThinkingThenDone();
    const claude = new Anthropic({ apiKey: key, baseURL: h.gw.url, maxRetries: 0, timeout: 20_000 });
    const ask = { model: 'claude-sonnet-4-6', max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools: [BASH] };
    const user = { role: 'user' as const, content: 'List my files.' };
    const first = await claude.messages.create({ ...ask, messages: [user] });
    expect(first.content.find((b) => b.type === 'thinking')).toMatchObject({ thinking: THOUGHT, signature: expect.stringMatching(/^Sig/) });
    // Act
    const second = await claude.messages.create({ ...ask, messages: [user, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'a.txt b.txt' }] }] });
    // Assess
    expect(second.content).toEqual([expect.objectContaining({ type: 'text', text: 'Two files.' })]);
    expect(secondTurnSent()).toEqual({ blocks: ['tool_use'], thinking: false, key: false });
    expect(await hitsOf('claude-sonnet-4-6')).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
  });

  it('OpenAI Responses client on Claude (translated): the reasoning item carrying the thinking is left out, and the turn succeeds', async () => {
    // Prepare
    rig.replyThinkingThenDone();
    const openai = h.openai({ apiKey: key, maxRetries: 0 });
    const ask = { model: 'gpt-on-claude', reasoning: { effort: 'low' as const, summary: 'auto' as const }, tools: [{ type: 'function' as const, name: 'Bash', parameters: BASH.input_schema, strict: false }] };
    const input = [{ role: 'user' as const, content: 'List my files.' }];
    const { output } = await openai.responses.create({ ...ask, input });
    expect(output.find((o) => o.type === 'reasoning')).toMatchObject({ summary: [{ type: 'summary_text', text: THOUGHT }], encrypted_content: expect.stringMatching(/^(?!aigw1:redacted)/) });
    const call = output.find((o) => o.type === 'function_call');
    // Act
    const second = await openai.responses.create({ ...ask, input: [...input, ...(output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call?.type === 'function_call' ? call.call_id : '', output: 'a.txt b.txt' }] });
    // Assess
    expect(second.output_text).toBe('Two files.');
    expect(secondTurnSent()).toEqual({ blocks: ['tool_use'], thinking: false, key: false });
    expect(await hitsOf('gpt-on-claude')).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
  });

  it("Google client on Claude (translated): the gateway's thoughtSignatures over the thought are replaced, the thinking is left out, and the turn succeeds", async () => {
    // Prepare
    rig.replyThinkingThenDone();
    const ai = geminiClient(h.gw, key);
    const config = { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 }, tools: [{ functionDeclarations: [{ name: 'Bash', parametersJsonSchema: BASH.input_schema }] }] };
    const user: Content = { role: 'user', parts: [{ text: 'List my files.' }] };
    const parts: Part[] = (await ai.models.generateContent({ model: 'gemini-on-claude', contents: [user], config })).candidates![0]!.content!.parts!;
    expect(parts.filter((p) => p.thought).map((p) => p.text).join('')).toBe(THOUGHT);
    const call = parts.find((p) => p.functionCall)!.functionCall!;
    // Act
    const second = await ai.models.generateContent({ model: 'gemini-on-claude', config, contents: [user, { role: 'model', parts }, { role: 'user', parts: [{ functionResponse: { id: call.id, name: 'Bash', response: { output: 'a.txt b.txt' } } }] }] });
    // Assess
    expect(second.text).toBe('Two files.');
    expect(secondTurnSent()).toEqual({ blocks: ['tool_use'], thinking: false, key: false });
    expect(await hitsOf('gemini-on-claude')).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
  });
});
