/** The OpenAI surface as the official `openai` client uses it. */
import OpenAI from 'openai';
import { openAIChunkViolations } from './stream-rules';
import { IMAGE_QUESTION, PNG_DATA_URL, PROMPT, toolResultFor } from './scenario';
import type { Answer, MatrixTool, Mode, SurfaceSpec } from './types';

type Params = Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'stream'>;

const toolsOf = (tools: MatrixTool[]): OpenAI.ChatCompletionTool[] =>
  tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters as OpenAI.FunctionParameters } }));

function answerOf(completion: OpenAI.ChatCompletion, streamViolations: string[]): Answer {
  const choice = completion.choices[0];
  if (!choice) throw new Error(`the completion has no choice: ${JSON.stringify(completion)}`);
  const usage = completion.usage;
  return {
    text: choice.message.content ?? '',
    toolCalls: (choice.message.tool_calls ?? []).map((c) => {
      if (c.type !== 'function') throw new Error(`unexpected tool call type ${c.type}`);
      return { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) as unknown };
    }),
    finish: choice.finish_reason,
    usage: usage ? { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens, cached: usage.prompt_tokens_details?.cached_tokens ?? 0 } : {},
    streamViolations,
  };
}

export const openAISurface: SurfaceSpec = {
  label: 'OpenAI surface',
  finish: { text: 'stop', toolCall: 'tool_calls', cut: 'length' },
  usage: (u) => ({ prompt: u.prompt, completion: u.output, total: u.prompt + u.output, cached: u.cacheRead }),
  connect(gatewayUrl, key) {
    const client = new OpenAI({ apiKey: key, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });

    async function complete(params: Params, mode: Mode): Promise<{ answer: Answer; message: OpenAI.ChatCompletionMessage }> {
      if (mode === 'non-stream') {
        const completion = await client.chat.completions.create({ ...params, stream: false });
        return { answer: answerOf(completion, []), message: completion.choices[0]!.message };
      }
      const stream = client.chat.completions.stream({ ...params, stream_options: { include_usage: true } });
      // Read chunk by chunk as an application would; the helper assembles them besides.
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const completion = await stream.finalChatCompletion();
      return { answer: answerOf(completion, openAIChunkViolations(chunks, true)), message: completion.choices[0]!.message };
    }

    return {
      say: async (model, mode) => (await complete({ model, messages: [{ role: 'user', content: PROMPT }] }, mode)).answer,

      async askWithTools(model, mode, ask) {
        const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: ask.question };
        const tools = toolsOf(ask.tools);
        const { answer, message } = await complete({ model, messages: [question], tools }, mode);
        return {
          answer,
          async sendResult(nextMode) {
            const calls = (message.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [{ id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } }] : []));
            const messages: OpenAI.ChatCompletionMessageParam[] = [
              question,
              { role: 'assistant', content: message.content, tool_calls: calls },
              // In the order the tools finished, as agents running them concurrently send them: here the last call's first.
              ...calls.toReversed().map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: JSON.stringify(toolResultFor(c.function.name, JSON.parse(c.function.arguments))) })),
              ...(ask.note ? [{ role: 'user' as const, content: ask.note }] : []),
            ];
            return (await complete({ model, messages, tools }, nextMode)).answer;
          },
        };
      },

      async showImage(model, mode) {
        const content: OpenAI.ChatCompletionContentPart[] = [
          { type: 'text', text: IMAGE_QUESTION },
          { type: 'image_url', image_url: { url: PNG_DATA_URL } },
        ];
        return (await complete({ model, messages: [{ role: 'user', content }] }, mode)).answer;
      },
    };
  },
};
