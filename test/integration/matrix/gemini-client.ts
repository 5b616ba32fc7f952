/** The Gemini surface as the official `@google/genai` client uses it. */
import { GoogleGenAI, type Content, type GenerateContentConfig, type GenerateContentResponse, type Part } from '@google/genai';
import { IMAGE_QUESTION, PNG_BASE64, PROMPT, toolResultFor } from './scenario';
import type { Answer, MatrixTool, Mode, ProviderRig, SurfaceSpec } from './types';

/** The tools as current SDK apps declare them: their JSON Schema as `parametersJsonSchema`. */
const configOf = (tools: MatrixTool[]): GenerateContentConfig => ({ tools: [{ functionDeclarations: tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }] });

/**
 * The rules a Gemini stream keeps for its clients (Gemini CLI among them): one response id, every
 * chunk's content is the model's, a function call comes whole (args an object), and the
 * finishReason comes on the last chunk only.
 */
function geminiChunkViolations(chunks: GenerateContentResponse[]): string[] {
  const out: string[] = [];
  if (new Set(chunks.map((c) => c.responseId)).size > 1) out.push('more than one responseId');
  chunks.forEach((chunk, i) => {
    const candidate = chunk.candidates?.[0];
    if (candidate?.content && candidate.content.role !== 'model') out.push(`chunk ${i} is not the model's`);
    if (candidate?.finishReason && i !== chunks.length - 1) out.push(`finishReason in chunk ${i} of ${chunks.length}`);
    for (const part of candidate?.content?.parts ?? []) if (part.functionCall && typeof part.functionCall.args !== 'object') out.push(`a function call without args in chunk ${i}`);
  });
  return out;
}

/** The answer of one response (or of a stream's chunks put together). */
function answerOf(chunks: GenerateContentResponse[], streamViolations: string[]): Answer {
  const parts = chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []);
  const usage = chunks.findLast((c) => c.usageMetadata)?.usageMetadata;
  return {
    text: parts.filter((p) => !p.thought && typeof p.text === 'string').map((p) => p.text).join(''),
    // Gemini's own calls carry no id (the name is what ties a result to its call); calls from other providers keep theirs.
    toolCalls: parts.flatMap((p) => (p.functionCall ? [{ id: p.functionCall.id ?? p.functionCall.name ?? '', name: p.functionCall.name ?? '', args: p.functionCall.args }] : [])),
    finish: chunks.findLast((c) => c.candidates?.[0]?.finishReason)?.candidates?.[0]?.finishReason ?? null,
    usage: { prompt: usage?.promptTokenCount ?? 0, output: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0), cached: usage?.cachedContentTokenCount ?? 0 },
    streamViolations,
  };
}

export const geminiSurface: SurfaceSpec = {
  label: 'Gemini surface',
  finish: { text: 'STOP', toolCall: 'STOP', cut: 'MAX_TOKENS' },
  usage: (u) => ({ prompt: u.prompt, output: u.output, cached: u.cacheRead }),
  // Passed through, the declaration reaches Gemini as the client wrote it.
  toolSchemaFor: (rig: ProviderRig, tool: MatrixTool) => (rig.providerId === 'gemini' ? tool.parameters : rig.expectedToolSchema(tool)),
  callsWithoutIds: (rig: ProviderRig) => rig.providerId === 'gemini',
  connect(gatewayUrl, key) {
    // The global fetch: the SDK's own set-up reads undici's dispatcher off a global that jest's sandbox lacks.
    const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: gatewayUrl, fetch: (url, init) => fetch(url, init) } });

    async function complete(model: string, contents: Content[], mode: Mode, tools?: MatrixTool[]): Promise<{ answer: Answer; content: Content }> {
      const params = { model, contents, ...(tools ? { config: configOf(tools) } : {}) };
      const chunks: GenerateContentResponse[] = [];
      if (mode === 'non-stream') chunks.push(await ai.models.generateContent(params));
      else for await (const chunk of await ai.models.generateContentStream(params)) chunks.push(chunk);
      const content: Content = { role: 'model', parts: chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []) };
      return { answer: answerOf(chunks, mode === 'stream' ? geminiChunkViolations(chunks) : []), content };
    }

    return {
      say: async (model, mode) => (await complete(model, [{ role: 'user', parts: [{ text: PROMPT }] }], mode)).answer,

      async askWithTools(model, mode, ask) {
        const question: Content = { role: 'user', parts: [{ text: ask.question }] };
        const { answer, content } = await complete(model, [question], mode, ask.tools);
        return {
          answer,
          async sendResult(nextMode) {
            // The documented loop: the model's content goes back as it came, then a functionResponse per call (and the note after them).
            const responses: Part[] = (content.parts ?? []).flatMap((p) =>
              p.functionCall ? [{ functionResponse: { ...(p.functionCall.id ? { id: p.functionCall.id } : {}), name: p.functionCall.name ?? '', response: toolResultFor(p.functionCall.name ?? '', p.functionCall.args) } }] : [],
            );
            const results: Content = { role: 'user', parts: [...responses, ...(ask.note ? [{ text: ask.note }] : [])] };
            return (await complete(model, [question, content, results], nextMode, ask.tools)).answer;
          },
        };
      },

      async showImage(model, mode) {
        return (await complete(model, [{ role: 'user', parts: [{ text: IMAGE_QUESTION }, { inlineData: { mimeType: 'image/png', data: PNG_BASE64 } }] }], mode)).answer;
      },
    };
  },
};
