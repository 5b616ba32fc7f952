/** The Anthropic surface as the official `@anthropic-ai/sdk` client uses it. */
import Anthropic from '@anthropic-ai/sdk';
import { anthropicEventViolations } from './stream-rules';
import { IMAGE_QUESTION, PNG_BASE64, PROMPT, toolResultFor } from './scenario';
import type { Answer, MatrixTool, Mode, SurfaceSpec } from './types';

type Params = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'>;

const MAX_TOKENS = 256;
const toolsOf = (tools: MatrixTool[]): Anthropic.Tool[] => tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters as Anthropic.Tool.InputSchema }));

function answerOf(message: Anthropic.Message, streamViolations: string[]): Answer {
  const u = message.usage;
  return {
    text: message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(''),
    toolCalls: message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, args: b.input }] : [])),
    finish: message.stop_reason,
    usage: { input: u.input_tokens, output: u.output_tokens, cacheRead: u.cache_read_input_tokens ?? 0, cacheWrite: u.cache_creation_input_tokens ?? 0 },
    streamViolations,
  };
}

export const anthropicSurface: SurfaceSpec = {
  label: 'Anthropic surface',
  finish: { text: 'end_turn', toolCall: 'tool_use', cut: 'max_tokens' },
  // input_tokens leaves out the cached tokens that the canonical prompt count includes.
  usage: (u) => ({ input: u.prompt - u.cacheRead - u.cacheWrite, output: u.output, cacheRead: u.cacheRead, cacheWrite: u.cacheWrite }),
  connect(gatewayUrl, key) {
    const client = new Anthropic({ apiKey: key, baseURL: gatewayUrl, maxRetries: 0 });

    async function complete(params: Params, mode: Mode): Promise<{ answer: Answer; message: Anthropic.Message }> {
      if (mode === 'non-stream') {
        const message = await client.messages.create({ ...params, stream: false });
        return { answer: answerOf(message, []), message };
      }
      const stream = client.messages.stream(params);
      const events: Anthropic.MessageStreamEvent[] = [];
      stream.on('streamEvent', (event) => events.push(event));
      const message = await stream.finalMessage();
      return { answer: answerOf(message, anthropicEventViolations(events)), message };
    }

    return {
      say: async (model, mode) => (await complete({ model, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: PROMPT }] }, mode)).answer,

      async askWithTools(model, mode, ask) {
        const question: Anthropic.MessageParam = { role: 'user', content: ask.question };
        const tools = toolsOf(ask.tools);
        const { answer, message } = await complete({ model, max_tokens: MAX_TOKENS, messages: [question], tools }, mode);
        return {
          answer,
          async sendResult(nextMode) {
            // The documented loop: the assistant's content goes back as it came, then the results, here
            // in the order the tools finished (last call first), as agents running them concurrently send them.
            const results: Anthropic.ToolResultBlockParam[] = message.content.toReversed().flatMap((b) => (b.type === 'tool_use' ? [{ type: 'tool_result' as const, tool_use_id: b.id, content: JSON.stringify(toolResultFor(b.name, b.input)) }] : []));
            const note: Anthropic.TextBlockParam[] = ask.note ? [{ type: 'text', text: ask.note }] : [];
            const messages: Anthropic.MessageParam[] = [question, { role: 'assistant', content: message.content }, { role: 'user', content: [...results, ...note] }];
            return (await complete({ model, max_tokens: MAX_TOKENS, messages, tools }, nextMode)).answer;
          },
        };
      },

      async showImage(model, mode) {
        const content: Anthropic.ContentBlockParam[] = [
          { type: 'text', text: IMAGE_QUESTION },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
        ];
        return (await complete({ model, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content }] }, mode)).answer;
      },
    };
  },
};
