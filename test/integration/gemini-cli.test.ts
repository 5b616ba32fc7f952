/**
 * Gemini CLI's request (GOOGLE_GEMINI_BASE_URL at the gateway, GEMINI_API_KEY a gateway key):
 * passed through byte for byte to a Gemini target, translated to an Anthropic one with its system
 * prompt, tools, thinking and tool loop intact, and answered in the SSE Gemini CLI reads.
 */
import { markThoughtSignature } from '../../lib/surfaces/gemini/carried-thinking';
import { CLI_SYSTEM_PROMPT, CLI_TOOL_COUNT, geminiCliBody } from './gemini/cli-body';
import { MODELS, startGeminiStack, UPSTREAM_KEYS, type GeminiStack } from './gemini/stack';

let s: GeminiStack;
beforeAll(async () => {
  s = await startGeminiStack();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

/** Sends the body as Gemini CLI does and reads the SSE answer's events. */
async function sendAsCli(model: string, body: Record<string, unknown>): Promise<{ status: number; events: Record<string, unknown>[] }> {
  const res = await fetch(`${s.gw.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key, 'user-agent': 'GeminiCLI/0.18.0 (linux; x64)' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const events = text
    .split(/\r\n\r\n/)
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice('data: '.length)) as Record<string, unknown>);
  return { status: res.status, events };
}

type Part = { text?: string; thought?: boolean; thoughtSignature?: string };
const partsOf = (events: Record<string, unknown>[]) => events.flatMap((e) => ((e.candidates as { content?: { parts?: Part[] } }[] | undefined)?.[0]?.content?.parts ?? []));

describe('Gemini CLI through the gateway', () => {
  it('passes its body through to a Gemini target byte for byte, with the account’s key', async () => {
    // Prepare
    const body = geminiCliBody();

    // Act
    const { status, events } = await sendAsCli(MODELS.gemini.name, body);

    // Assess
    expect(status).toBe(200);
    const sent = s.gemini.requests.at(-1)!;
    expect(sent.path).toBe(`/v1beta/models/${MODELS.gemini.upstream}:streamGenerateContent`);
    expect(sent.search).toBe('?alt=sse');
    expect(sent.rawBody).toBe(JSON.stringify(body));
    expect(sent.headers['x-goog-api-key']).toBe(UPSTREAM_KEYS.gemini);
    expect((events.at(-1)?.candidates as { finishReason?: string }[])[0]?.finishReason).toBe('STOP');
  });

  it('translates it for an Anthropic target: system prompt, every tool, thinking and the tool loop', async () => {
    // Prepare
    s.anthropic.reply({ kind: 'thinking', thinking: 'The listing shows a Node project.', signature: 'EqQBCkYIAxgCIkB', text: 'A Node project: src, package.json and README.md.', usage: { input: 900, output: 40 } });

    // Act
    const { status, events } = await sendAsCli(MODELS.anthropic.name, geminiCliBody());

    // Assess: the upstream's body
    expect(status).toBe(200);
    const sent = s.anthropic.requests.at(-1)!.body as {
      system: { text: string }[] | string;
      tools: { name: string; input_schema: { type: string; required: string[] } }[];
      thinking: { type: string; budget_tokens: number };
      temperature?: number;
      messages: { role: string; content: { type: string; id?: string; tool_use_id?: string; content?: unknown; text?: string }[] }[];
      stream: boolean;
    };
    const system = typeof sent.system === 'string' ? sent.system : sent.system.map((b) => b.text).join('');
    expect(system).toBe(CLI_SYSTEM_PROMPT);
    expect(sent.tools).toHaveLength(CLI_TOOL_COUNT);
    expect(sent.tools.every((t) => t.input_schema.type === 'object' && t.input_schema.required.length === 1)).toBe(true);
    // The tool loop's turn was Gemini's, whose thinking Claude cannot take: Anthropic requires
    // thinking first in that turn when thinking is on, so the loop goes on without it.
    expect(sent.thinking).toBeUndefined();
    expect(sent.stream).toBe(true);
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    const use = sent.messages[3]!.content.find((b) => b.type === 'tool_use');
    const result = sent.messages[4]!.content.find((b) => b.type === 'tool_result');
    expect(use?.id).toBe('list_directory-1764186000000-a1b2c3');
    expect(result).toMatchObject({ tool_use_id: use?.id, content: expect.stringContaining('[DIR] src') });

    // Assess: the answer, as Gemini CLI reads it (thoughts apart, then text, then the finish with usage)
    const parts = partsOf(events);
    expect(parts.filter((p) => p.thought).map((p) => p.text).join('')).toBe('The listing shows a Node project.');
    expect(parts.some((p) => p.thought && p.thoughtSignature === markThoughtSignature('claude', 'EqQBCkYIAxgCIkB'))).toBe(true);
    expect(parts.filter((p) => !p.thought).map((p) => p.text).join('')).toBe('A Node project: src, package.json and README.md.');
    expect(events.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 40 }, modelVersion: MODELS.anthropic.name });
  });
});
