/**
 * The `openai` client's `reasoning_effort` beside `tool_choice: 'required'` (as the OpenAI Agents
 * SDK's `toolChoice` or LangChain's `bind_tools(tool_choice=...)` send it) to Claude on Anthropic and
 * on Bedrock: Claude refuses thinking beside a forced tool, so the call goes without thinking and
 * answers with the tool call the client forced. The fakes refuse the pair as Claude does.
 */
import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { RIG_MODELS as M, callerRigForSuite, type Upstream } from './caller-rig';

const rig = callerRigForSuite();

const WEATHER: ChatCompletionTool = {
  type: 'function',
  function: { name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

const ROUTES: { name: string; model: string; upstream: Extract<Upstream, 'anthropic' | 'bedrock'> }[] = [
  { name: 'Claude on Anthropic', model: M.claude, upstream: 'anthropic' },
  { name: 'Claude on Bedrock (Converse)', model: M.bedrockClaude, upstream: 'bedrock' },
];

/** Whether the fake's one request asked Claude to think, wherever its dialect puts thinking. */
function thinkingSent(upstream: Upstream): boolean {
  const body = rig.fakes[upstream].requests[0]?.body as { thinking?: unknown; additionalModelRequestFields?: { thinking?: unknown } } | undefined;
  return (body?.thinking ?? body?.additionalModelRequestFields?.thinking) !== undefined;
}

describe.each(ROUTES)('reasoning_effort and tool_choice required to $name', ({ model, upstream }) => {
  const ask = { model, messages: [{ role: 'user' as const, content: 'Weather in Oslo?' }], tools: [WEATHER], tool_choice: 'required' as const, reasoning_effort: 'medium' as const };

  it('answers with the tool call, not streamed', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyToolLoop(upstream);
    const client = new OpenAI({ apiKey: key, baseURL: rig.baseURL, maxRetries: 0 });

    // Act
    const completion = await client.chat.completions.create(ask);

    // Assess
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? { name: call.function.name, args: JSON.parse(call.function.arguments) as unknown } : call).toEqual({ name: 'weather', args: { city: 'Oslo' } });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(thinkingSent(upstream)).toBe(false);
  });

  it('answers with the tool call, streamed', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyToolLoop(upstream);
    const client = new OpenAI({ apiKey: key, baseURL: rig.baseURL, maxRetries: 0 });

    // Act
    const stream = await client.chat.completions.create({ ...ask, stream: true });
    let name = '';
    let args = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const delta of choice?.delta.tool_calls ?? []) {
        name += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
    }

    // Assess
    expect({ name, args: JSON.parse(args) as unknown }).toEqual({ name: 'weather', args: { city: 'Oslo' } });
    expect(finish).toBe('tool_calls');
    expect(thinkingSent(upstream)).toBe(false);
  });
});
