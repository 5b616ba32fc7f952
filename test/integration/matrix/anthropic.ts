/** The Anthropic fake in the matrix: scripted in Messages terms, read back from Messages bodies. */
import { startFakeAnthropic } from '../../fakes/anthropic';
import { parsedIfJson } from './scenario';
import type { Meant, ProviderRig, Received, ReceivedImage } from './types';

const API_KEY = 'sk-ant-matrix';
const toolCallId = (index: number): string => `toolu_0${index + 1}MatrixAnthropic`;

type AnthropicStyleReply =
  | { kind: 'text'; text: string; stopReason?: 'max_tokens'; usage: { input: number; output: number; cacheRead: number; cacheWrite: number } }
  | { kind: 'tool_use'; text?: string; calls: { id: string; name: string; input: Record<string, unknown> }[]; usage: { input: number; output: number; cacheRead: number; cacheWrite: number } };

/**
 * An answer in Anthropic's terms, which Bedrock shares: `input` counts only uncached prompt
 * tokens, so the cache reads and writes come off the meant prompt.
 */
export function anthropicStyleReply(meant: Meant, toolCallId: (index: number) => string): AnthropicStyleReply {
  const { prompt, output, cacheRead, cacheWrite } = meant.usage;
  const usage = { input: prompt - cacheRead - cacheWrite, output, cacheRead, cacheWrite };
  if (meant.kind === 'text') return { kind: 'text', text: meant.text, ...(meant.cut ? { stopReason: 'max_tokens' as const } : {}), usage };
  return { kind: 'tool_use', ...(meant.text ? { text: meant.text } : {}), calls: meant.calls.map((c, i) => ({ id: toolCallId(i), name: c.name, input: c.args })), usage };
}

type Block = {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | Block[];
  source?: { type?: string; media_type?: string; data?: string; url?: string };
};
interface MessagesBody {
  model?: string;
  stream?: boolean;
  messages?: { role?: string; content?: string | Block[] }[];
  tools?: { name: string; description?: string; input_schema?: unknown }[];
}

const blocksOf = (content: string | Block[] | undefined): Block[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []));
const textOf = (content: string | Block[] | undefined): string =>
  blocksOf(content)
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
const imageOf = (b: Block): ReceivedImage =>
  b.source?.type === 'base64' ? { mediaType: b.source.media_type ?? '', data: b.source.data ?? '' } : { mediaType: 'url', data: b.source?.url ?? '' };

/** A Messages request body (Anthropic's, or the one InvokeModel carries) as comparable facts. */
export function readAnthropicBody(body: unknown, overrides: Partial<Received> = {}): Received {
  const b = body as MessagesBody;
  const messages = b.messages ?? [];
  const blocks = (role: string) => messages.filter((m) => m.role === role).flatMap((m) => blocksOf(m.content));
  return {
    model: b.model ?? '',
    stream: b.stream === true,
    userTexts: messages
      .filter((m) => m.role === 'user')
      .map((m) => textOf(m.content))
      .filter((t) => t !== ''),
    assistantTexts: messages
      .filter((m) => m.role === 'assistant')
      .map((m) => textOf(m.content))
      .filter((t) => t !== ''),
    images: blocks('user')
      .filter((x) => x.type === 'image')
      .map(imageOf),
    tools: (b.tools ?? []).map((t) => ({ name: t.name, description: t.description, schema: t.input_schema })),
    toolCalls: blocks('assistant')
      .filter((x) => x.type === 'tool_use')
      .map((x) => ({ id: x.id, name: x.name ?? '', args: x.input })),
    toolResults: blocks('user')
      .filter((x) => x.type === 'tool_result')
      .map((x) => ({ link: x.tool_use_id ?? '', content: parsedIfJson(textOf(x.content)) })),
    ...overrides,
  };
}

export async function startAnthropicRig(): Promise<ProviderRig> {
  const fake = await startFakeAnthropic({ apiKey: API_KEY });
  return {
    providerId: 'anthropic',
    model: 'matrix-anthropic',
    upstreamModel: 'claude-sonnet-4-6',
    provider: { id: 'anthropic', type: 'anthropic', baseUrl: fake.url, accounts: [{ id: 'main', apiKey: { env: 'MATRIX_ANTHROPIC_KEY' } }] },
    env: { MATRIX_ANTHROPIC_KEY: API_KEY },
    reportsCacheWrites: true,
    toolCallId,
    resultLink: 'id',
    expectedToolSchema: (tool) => tool.parameters,
    script: (meant) => fake.reply(anthropicStyleReply(meant, toolCallId)),
    reset: () => fake.reset(),
    count: () => fake.requests.length,
    last() {
      const r = fake.requests.at(-1);
      if (!r) throw new Error('the Anthropic fake received no request');
      return readAnthropicBody(r.body);
    },
    close: () => fake.close(),
  };
}
