/** The OpenAI fake in the matrix: scripted in Chat Completions terms, read back from Chat Completions bodies. */
import { startFakeOpenAI, type Reply } from '../../fakes/openai';
import type { RecordedRequest } from '../../fakes/http';
import { parsedIfJson } from './scenario';
import type { Meant, ProviderRig, Received, ReceivedImage } from './types';

const API_KEY = 'sk-matrix-openai';
/** The id OpenAI gives the answer's `index`th tool call. */
export const openAIToolCallId = (index: number): string => `call_MatrixOpenAI0${index + 1}`;

/** What an OpenAI-dialect upstream (OpenAI, Azure) answers for `meant`; prompt_tokens include cached ones. */
export function openAIReply(meant: Meant, toolCallId: (index: number) => string): Extract<Reply, { kind: 'text' | 'tool_calls' }> {
  if (meant.usage.cacheWrite) throw new Error('OpenAI reports no cache writes: script none');
  const usage = { prompt: meant.usage.prompt, completion: meant.usage.output, cached: meant.usage.cacheRead };
  if (meant.kind === 'text') return { kind: 'text', text: meant.text, ...(meant.cut ? { finishReason: 'length' as const } : {}), usage };
  return { kind: 'tool_calls', ...(meant.text ? { text: meant.text } : {}), calls: meant.calls.map((c, i) => ({ id: toolCallId(i), name: c.name, arguments: JSON.stringify(c.args) })), usage };
}

type Part = { type?: string; text?: string; image_url?: { url?: string } };
interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: { role?: string; content?: string | Part[] | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { function: { name: string; description?: string; parameters?: unknown } }[];
}

const textOf = (content: string | Part[] | null | undefined): string =>
  typeof content === 'string' ? content : (content ?? []).filter((p) => p.type === 'text').map((p) => p.text ?? '').join('');

function imageOf(part: Part): ReceivedImage {
  const m = /^data:([^;]+);base64,(.*)$/.exec(part.image_url?.url ?? '');
  return m ? { mediaType: m[1]!, data: m[2]! } : { mediaType: 'url', data: part.image_url?.url ?? '' };
}

/** A Chat Completions request body as comparable facts. */
export function readOpenAIBody(body: unknown): Received {
  const b = body as ChatBody;
  const messages = b.messages ?? [];
  return {
    model: b.model ?? '',
    stream: b.stream === true,
    userTexts: messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)),
    assistantTexts: messages
      .filter((m) => m.role === 'assistant')
      .map((m) => textOf(m.content))
      .filter((t) => t !== ''),
    images: messages.flatMap((m) => (Array.isArray(m.content) ? m.content.filter((p) => p.type === 'image_url').map(imageOf) : [])),
    tools: (b.tools ?? []).map((t) => ({ name: t.function.name, description: t.function.description, schema: t.function.parameters })),
    toolCalls: messages.flatMap((m) => (m.role === 'assistant' ? (m.tool_calls ?? []) : []).map((c) => ({ id: c.id, name: c.function.name, args: parsedIfJson(c.function.arguments) }))),
    toolResults: messages.filter((m) => m.role === 'tool').map((m) => ({ link: m.tool_call_id ?? '', content: parsedIfJson(textOf(m.content)) })),
  };
}

export async function startOpenAIRig(): Promise<ProviderRig> {
  const fake = await startFakeOpenAI({ apiKey: API_KEY });
  const lastRequest = (): RecordedRequest => {
    const r = fake.requests.at(-1);
    if (!r) throw new Error('the OpenAI fake received no request');
    return r;
  };
  return {
    providerId: 'openai',
    model: 'matrix-openai',
    upstreamModel: 'gpt-4o-mini',
    provider: { id: 'openai', type: 'openai', baseUrl: fake.url, accounts: [{ id: 'main', apiKey: { env: 'MATRIX_OPENAI_KEY' } }] },
    env: { MATRIX_OPENAI_KEY: API_KEY },
    reportsCacheWrites: false,
    toolCallId: openAIToolCallId,
    resultLink: 'id',
    expectedToolSchema: (tool) => tool.parameters,
    script: (meant) => fake.reply(openAIReply(meant, openAIToolCallId)),
    reset: () => fake.reset(),
    count: () => fake.requests.length,
    last: () => readOpenAIBody(lastRequest().body),
    close: () => fake.close(),
  };
}
