/** The Responses API surface as the official `openai` client uses it (`responses.create`, `responses.stream`). */
import OpenAI from 'openai';
import { responsesEventViolations } from './stream-rules';
import { IMAGE_QUESTION, PNG_DATA_URL, PROMPT, toolResultFor } from './scenario';
import type { Answer, MatrixTool, Mode, SurfaceSpec } from './types';

type Params = Omit<OpenAI.Responses.ResponseCreateParamsNonStreaming, 'stream'>;

const toolsOf = (tools: MatrixTool[]): OpenAI.Responses.FunctionTool[] =>
  tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters as Record<string, unknown>, strict: false }));

function answerOf(response: OpenAI.Responses.Response, streamViolations: string[]): Answer {
  const usage = response.usage;
  return {
    text: response.output_text,
    toolCalls: response.output.flatMap((item) => (item.type === 'function_call' ? [{ id: item.call_id, name: item.name, args: JSON.parse(item.arguments) as unknown }] : [])),
    finish: [response.status, response.incomplete_details?.reason].filter(Boolean).join(': ') || null,
    usage: usage ? { prompt: usage.input_tokens, completion: usage.output_tokens, total: usage.total_tokens, cached: usage.input_tokens_details.cached_tokens } : {},
    streamViolations,
  };
}

export const responsesSurface: SurfaceSpec = {
  label: 'Responses surface',
  finish: { text: 'completed', toolCall: 'completed', cut: 'incomplete: max_output_tokens' },
  usage: (u) => ({ prompt: u.prompt, completion: u.output, total: u.prompt + u.output, cached: u.cacheRead }),
  connect(gatewayUrl, key) {
    const client = new OpenAI({ apiKey: key, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });

    async function respond(params: Params, mode: Mode): Promise<OpenAI.Responses.Response & { violations: string[] }> {
      if (mode === 'non-stream') return { ...(await client.responses.create({ ...params, stream: false })), violations: [] };
      const stream = client.responses.stream(params);
      // Read event by event as an application would; the helper assembles them besides.
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const response = await stream.finalResponse();
      return Object.assign(response, { violations: responsesEventViolations(events) });
    }

    return {
      say: async (model, mode) => {
        const r = await respond({ model, input: PROMPT }, mode);
        return answerOf(r, r.violations);
      },

      async askWithTools(model, mode, ask) {
        const question: OpenAI.Responses.ResponseInputItem = { role: 'user', content: ask.question };
        const tools = toolsOf(ask.tools);
        const first = await respond({ model, input: [question], tools }, mode);
        return {
          answer: answerOf(first, first.violations),
          async sendResult(nextMode) {
            // As applications do: the whole output goes back as input, then one output per call.
            const calls = first.output.flatMap((item) => (item.type === 'function_call' ? [item] : []));
            const input: OpenAI.Responses.ResponseInput = [
              question,
              ...(first.output as OpenAI.Responses.ResponseInputItem[]),
              // In the order the tools finished, as agents running them concurrently send them: here the last call's first.
              ...calls.toReversed().map((c) => ({ type: 'function_call_output' as const, call_id: c.call_id, output: JSON.stringify(toolResultFor(c.name, JSON.parse(c.arguments))) })),
              ...(ask.note ? [{ role: 'user' as const, content: ask.note }] : []),
            ];
            const after = await respond({ model, input, tools }, nextMode);
            return answerOf(after, after.violations);
          },
        };
      },

      async showImage(model, mode) {
        const r = await respond(
          {
            model,
            input: [
              {
                role: 'user',
                content: [
                  { type: 'input_text', text: IMAGE_QUESTION },
                  { type: 'input_image', image_url: PNG_DATA_URL, detail: 'auto' },
                ],
              },
            ],
          },
          mode,
        );
        return answerOf(r, r.violations);
      },
    };
  },
};
