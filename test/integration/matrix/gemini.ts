/** The Gemini fake in the matrix: scripted in generateContent terms, read back from `contents`. */
import { startFakeGemini, type GeminiReply } from '../../fakes/gemini';
import type { Meant, ProviderRig, Received } from './types';

const API_KEY = 'AIza-matrix';

/** Gemini counts cached tokens inside `promptTokenCount` and has no cache writes. */
export function geminiReply(meant: Meant): GeminiReply {
  if (meant.usage.cacheWrite) throw new Error('Gemini reports no cache writes: script none');
  const usage = { prompt: meant.usage.prompt, candidates: meant.usage.output, cached: meant.usage.cacheRead };
  if (meant.kind === 'text') return { kind: 'text', text: meant.text, ...(meant.cut ? { finishReason: 'MAX_TOKENS' } : {}), usage };
  // Each call in its own stream event: the form that breaks a translator counting calls per event (Gemini also sends them all in one).
  return { kind: 'function_calls', ...(meant.text ? { text: meant.text } : {}), calls: meant.calls.map((c) => ({ name: c.name, args: c.args })), callsApart: true, usage };
}

type Part = {
  text?: string;
  inlineData?: { mimeType?: string; data?: string };
  functionCall?: { id?: string; name: string; args?: unknown };
  functionResponse?: { id?: string; name: string; response?: unknown };
};
interface GenerateBody {
  contents?: { role?: string; parts?: Part[] }[];
  tools?: { functionDeclarations?: { name: string; description?: string; parameters?: unknown; parametersJsonSchema?: unknown }[] }[];
}

/** A generateContent request as comparable facts; the model and the mode are in the path. */
export function readGeminiRequest(path: string, body: unknown): Received {
  const route = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  const b = body as GenerateBody;
  const parts = (role: string) => (b.contents ?? []).filter((c) => (c.role ?? 'user') === role).flatMap((c) => c.parts ?? []);
  return {
    model: decodeURIComponent(route?.[1] ?? ''),
    stream: route?.[2] === 'streamGenerateContent',
    userTexts: (b.contents ?? [])
      .filter((c) => (c.role ?? 'user') === 'user')
      .map((c) => (c.parts ?? []).map((p) => p.text ?? '').join(''))
      .filter((t) => t !== ''),
    assistantTexts: (b.contents ?? [])
      .filter((c) => c.role === 'model')
      .map((c) => (c.parts ?? []).map((p) => p.text ?? '').join(''))
      .filter((t) => t !== ''),
    images: parts('user').flatMap((p) => (p.inlineData ? [{ mediaType: p.inlineData.mimeType ?? '', data: p.inlineData.data ?? '' }] : [])),
    tools: (b.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => ({ name: d.name, description: d.description, schema: d.parameters ?? d.parametersJsonSchema })),
    toolCalls: parts('model').flatMap((p) => (p.functionCall ? [{ id: p.functionCall.id, name: p.functionCall.name, args: p.functionCall.args }] : [])),
    toolResults: parts('user').flatMap((p) => (p.functionResponse ? [{ link: p.functionResponse.name, content: p.functionResponse.response }] : [])),
  };
}

export async function startGeminiRig(): Promise<ProviderRig> {
  const fake = await startFakeGemini({ apiKey: API_KEY });
  return {
    providerId: 'gemini',
    model: 'matrix-gemini',
    upstreamModel: 'gemini-2.5-flash',
    provider: { id: 'gemini', type: 'gemini', baseUrl: fake.url, accounts: [{ id: 'main', apiKey: { env: 'MATRIX_GEMINI_KEY' } }] },
    env: { MATRIX_GEMINI_KEY: API_KEY },
    reportsCacheWrites: false,
    toolCallId: () => undefined,
    resultLink: 'name',
    expectedToolSchema: (tool) => tool.geminiParameters,
    script: (meant) => fake.reply(geminiReply(meant)),
    reset: () => fake.reset(),
    count: () => fake.requests.length,
    last() {
      const r = fake.requests.at(-1);
      if (!r) throw new Error('the Gemini fake received no request');
      return readGeminiRequest(r.path, r.body);
    },
    close: () => fake.close(),
  };
}
