import { fuzzer } from '../../test/fuzz';
import { withoutGatewayThinking } from '../surfaces/anthropic-messages/signatures';
import { carryThinking, withoutGatewaySignatures } from '../surfaces/gemini/carried-thinking';
import { withoutGatewayReasoning } from '../surfaces/openai-responses/reasoning-content';

describe("the passthroughs' look for the gateway's signatures on arbitrary bodies (fuzz)", () => {
  it('never throws, and either leaves a body alone or returns one without any of the gateway\'s marks', () => {
    // Prepare: a seeded generator over the shapes the three looks walk, with marked and unmarked values among the scalars.
    const blob = carryThinking([{ type: 'thinking', text: 'x', signature: 'EqQB' }])!;
    const { random, pick, value, some } = fuzzer(23, {
      names: ['input', 'messages', 'contents', 'parts', 'content', 'type', 'role', 'encrypted_content', 'signature', 'thoughtSignature', 'thought', 'functionCall', 'thinking'],
      scalars: [null, undefined, 0, true, '', 'reasoning', 'thinking', 'tool_use', 'tool_result', 'assistant', 'user', 'model', 'aigw1:claude:EqQB', 'gAAAAABo', 'CiQB', blob],
    });
    const signatures = ['aigw1:claude:EqQB', 'aigw1:gemini:CiQB', 'redacted_thinking:x', 'tool_call_signature:y', 'gAAAAABo', 'CiQB', 'EqQB', '', blob, 7];
    const item = () => (random() < 0.8 ? { type: pick(['reasoning', 'function_call', 'message', value(3)]), encrypted_content: pick(signatures), summary: value(3) } : value(2));
    const block = () => (random() < 0.8 ? { type: pick(['thinking', 'text', 'tool_use', 'tool_result', value(3)]), signature: pick(signatures), thinking: 'x' } : value(2));
    const part = () => (random() < 0.8 ? { thoughtSignature: pick(signatures), ...(random() < 0.5 ? { thought: pick([true, false, value(3)]), text: 'x' } : { functionCall: value(2) }) } : value(2));
    const bodies = Array.from({ length: 3000 }, () => ({
      input: random() < 0.8 ? some(item) : value(1),
      messages: random() < 0.8 ? some(() => ({ role: pick(['user', 'assistant', value(3)]), content: random() < 0.8 ? some(block) : value(3) })) : value(1),
      contents: random() < 0.8 ? some(() => ({ role: pick(['user', 'model', value(3)]), parts: random() < 0.8 ? some(part) : value(3) })) : value(1),
      thinking: pick([{ type: 'enabled', budget_tokens: 1024 }, value(2)]),
    }));

    // Act
    const outs = bodies.map((body) => [withoutGatewayReasoning(body), withoutGatewayThinking(body), withoutGatewaySignatures(body, 'gemini-3-pro')]);

    // Assess: what comes back holds no mark in the field each look cleans (the generator writes `type` first).
    for (const [responses, messages, gemini] of outs) {
      expect(JSON.stringify((responses as { input?: unknown } | undefined)?.input ?? null)).not.toMatch(/"type":"reasoning","encrypted_content":"(aigw1:|redacted_thinking:|tool_call_signature:)/);
      expect(JSON.stringify((messages as { messages?: unknown } | undefined)?.messages ?? null)).not.toMatch(/"type":"thinking","signature":"(aigw1:|")/);
      expect(JSON.stringify((gemini as { contents?: unknown } | undefined)?.contents ?? null)).not.toContain(`"thoughtSignature":"${blob}"`);
    }
    expect(outs.filter(([r, m, g]) => r || m || g).length).toBeGreaterThan(100);
  });
});
