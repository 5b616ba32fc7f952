/**
 * The caller rig's scripted replies, as the third-party client suites rely on them: for each fake,
 * what `replyText` and `replyToolLoop` promise reaches an OpenAI caller through the model of that
 * fake, token counts included.
 */
import OpenAI from 'openai';
import { RIG_MODELS as M, callerRigForSuite, type Upstream } from './caller-rig';

const rig = callerRigForSuite();

const client = (key: string) => new OpenAI({ apiKey: key, baseURL: rig.baseURL, maxRetries: 0 });

const ROUTES: { upstream: Upstream; model: string }[] = [
  { upstream: 'openai', model: M.gpt },
  { upstream: 'anthropic', model: M.claude },
  { upstream: 'gemini', model: M.gemini },
  { upstream: 'bedrock', model: M.bedrockClaude },
];

const ASK: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Oslo?' };
const WEATHER: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

describe.each(ROUTES)('the $upstream fake behind $model', ({ upstream, model }) => {
  it('answers the text replyText gave it, with 11 input and 7 output tokens', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'Hello from the rig.');

    // Act
    const answer = await client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });

    // Assess
    expect(answer.choices[0]?.message.content).toBe('Hello from the rig.');
    expect(answer.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    expect(rig.fakes[upstream].requests).toHaveLength(1);
  });

  it("asks for one weather call for Oslo, then answers once it is sent the tool's result (replyToolLoop)", async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyToolLoop(upstream);

    // Act
    const first = await client(key).chat.completions.create({ model, messages: [ASK], tools: WEATHER });
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('the first turn made no function call');
    const second = await client(key).chat.completions.create({ model, messages: [ASK, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '4°C' }], tools: WEATHER });

    // Assess
    expect(call.function.name).toBe('weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo' });
    expect(first.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 9 });
    expect(second.choices[0]?.message.content).toBe('Oslo is 4°C.');
    expect(second.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 5 });
    expect(rig.fakes[upstream].requests).toHaveLength(2);
  });
});
