/**
 * What the passthroughs pay to look for signatures the gateway wrote for another family
 * (`withoutGatewayReasoning`, `withoutGatewaySignatures`, `withoutGatewayThinking`), on bodies as
 * large as real sessions send: a body without any must cost a walk and no copy or JSON rewrite.
 * Beside it, for scale, what re-serialising that body would cost.
 *
 *   npx tsx lib/pipeline/passthrough-signatures.bench.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withoutGatewayThinking } from '../surfaces/anthropic-messages/signatures';
import { carryThinking, withoutGatewaySignatures } from '../surfaces/gemini/carried-thinking';
import { withoutGatewayReasoning } from '../surfaces/openai-responses/reasoning-content';
import { medianNsPerCall } from '../../bench/measure';

const measure = (fn: () => unknown, n = 2_000) => medianNsPerCall(fn, n);

/** A Codex-like Responses body: `turns` tool steps, each a reasoning item, a call and its output. */
function responsesBody(turns: number, encrypted: (i: number) => string): Record<string, unknown> {
  const input: unknown[] = [{ role: 'user', content: 'Fix the failing test in lib/foo.ts' }];
  for (let i = 0; i < turns; i++) {
    input.push({ type: 'reasoning', id: `rs_${i}`, summary: [{ type: 'summary_text', text: 'I should read the file first. '.repeat(4) }], encrypted_content: encrypted(i) });
    input.push({ type: 'function_call', call_id: `call_${i}`, name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', `sed -n 1,80p lib/foo${i}.ts`] }) });
    input.push({ type: 'function_call_output', call_id: `call_${i}`, output: 'export function foo() {\n  return 1;\n}\n'.repeat(20) });
  }
  return { model: 'gpt-5', instructions: 'You are Codex.'.repeat(50), input, tools: [], reasoning: { effort: 'medium' }, store: false, stream: true, include: ['reasoning.encrypted_content'] };
}

/** A Gemini CLI-like body: `turns` tool steps with Gemini's signature on each call. */
function geminiBody(turns: number, signature: (i: number) => string): Record<string, unknown> {
  const contents: unknown[] = [{ role: 'user', parts: [{ text: 'List the project files.' }] }];
  for (let i = 0; i < turns; i++) {
    contents.push({ role: 'model', parts: [{ functionCall: { id: `c${i}`, name: 'list_directory', args: { path: `/src/${i}` } }, thoughtSignature: signature(i) }] });
    contents.push({ role: 'user', parts: [{ functionResponse: { id: `c${i}`, name: 'list_directory', response: { output: 'a.ts\nb.ts\n'.repeat(40) } } }] });
  }
  return { contents, systemInstruction: { parts: [{ text: 'You are Gemini CLI.'.repeat(50) }] }, generationConfig: { temperature: 0 } };
}

const openAI = () => `gAAAAABp${'x'.repeat(1_200)}`;
const geminiSig = () => `CiQB${'y'.repeat(400)}`;
const claudeCode = (JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/claude-code/cc-1.0.6-tool-loop.json'), 'utf8')) as { request: { body: Record<string, unknown> } }).request.body;
const claudeCodeForeign = structuredClone(claudeCode) as { messages: { role: string; content: unknown }[] };
const firstAssistant = claudeCodeForeign.messages.find((m) => m.role === 'assistant' && Array.isArray(m.content))!;
(firstAssistant.content as unknown[]).unshift({ type: 'thinking', thinking: 'Plan.', signature: 'aigw1:gemini:CiQBsig' });

const cases: { name: string; body: Record<string, unknown>; strip: (b: Record<string, unknown>) => unknown }[] = [
  { name: 'Responses, 60 steps, OpenAI items only', body: responsesBody(60, openAI), strip: withoutGatewayReasoning },
  { name: 'Responses, 60 steps, one gateway item', body: responsesBody(60, (i) => (i === 30 ? 'aigw1:claude:EqQB' : openAI())), strip: withoutGatewayReasoning },
  { name: 'Gemini, 60 steps, Gemini signatures only', body: geminiBody(60, geminiSig), strip: (b) => withoutGatewaySignatures(b, 'gemini-3-pro') },
  { name: 'Gemini, 60 steps, one gateway blob', body: geminiBody(60, (i) => (i === 30 ? carryThinking([{ type: 'thinking', text: 'x', signature: 'EqQB' }])! : geminiSig())), strip: (b) => withoutGatewaySignatures(b, 'gemini-3-pro') },
  { name: 'Claude Code 1.0.6 tool loop (74 KB), Claude only', body: claudeCode, strip: withoutGatewayThinking },
  { name: 'Claude Code 1.0.6 tool loop, one foreign thought', body: claudeCodeForeign, strip: withoutGatewayThinking },
];

console.log('| body | bytes | look (ns) | found something | JSON.stringify of the body (ns) |');
console.log('|---|---|---|---|---|');
for (const { name, body, strip } of cases) {
  const bytes = JSON.stringify(body).length;
  const look = measure(() => strip(body));
  const stringify = measure(() => JSON.stringify(body), 200);
  console.log(`| ${name} | ${bytes} | ${look.toFixed(0)} | ${strip(body) !== undefined} | ${stringify.toFixed(0)} |`);
}
