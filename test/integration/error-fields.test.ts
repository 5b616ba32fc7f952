/**
 * A translator's refusal names the field of the body the client sent, whatever its API: the
 * official Anthropic, Gemini and OpenAI clients against the gateway, each with a request a
 * provider of another dialect cannot take (translators name fields as Chat Completions does, and
 * count the canonical messages, not the client's).
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApiError } from '@google/genai';
import OpenAI from 'openai';
import { anthropicClient, openAIClient } from './harness';
import { MODELS, startGeminiStack, type GeminiStack } from './gemini/stack';

let s: GeminiStack;
beforeAll(async () => {
  s = await startGeminiStack();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const WEATHER = { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };
/** A tree: Gemini has no $ref, and a recursive one cannot be inlined. */
const TREE = {
  name: 'walk_tree',
  input_schema: { type: 'object' as const, properties: { root: { $ref: '#/$defs/Node' } }, $defs: { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } } },
};

describe('an Anthropic client, translated for Gemini', () => {
  it("names the tool's input_schema, at the client's index, when Gemini cannot take its recursive schema", async () => {
    const err = await anthropicClient(s.gw, s.key)
      .messages.create({ model: MODELS.gemini.name, max_tokens: 256, tools: [WEATHER, TREE], messages: [{ role: 'user', content: 'Walk it' }] })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const message = (err as InstanceType<typeof Anthropic.BadRequestError>).message;
    expect(message).toContain('The schema in tools[1].input_schema refers to itself');
    expect(message).not.toContain('function.parameters');
    expect(s.gemini.requests).toHaveLength(0);
  });

  it('sends Gemini the first five of more stop_sequences than it takes, and cuts the answer at the sixth itself (no refusal)', async () => {
    s.gemini.reply({ kind: 'text', text: 'one two three f four' });

    const message = await anthropicClient(s.gw, s.key).messages.create({
      model: MODELS.gemini.name,
      max_tokens: 256,
      stop_sequences: ['#1', '#2', '#3', '#4', '#5', ' f'],
      messages: [{ role: 'user', content: 'Count' }],
    });

    expect((s.gemini.requests[0]!.body as { generationConfig: { stopSequences?: unknown } }).generationConfig.stopSequences).toEqual(['#1', '#2', '#3', '#4', '#5']);
    expect(message.content).toMatchObject([{ type: 'text', text: 'one two three' }]);
    expect({ stop_reason: message.stop_reason, stop_sequence: message.stop_sequence }).toEqual({ stop_reason: 'stop_sequence', stop_sequence: ' f' });
  });
});

describe('a Gemini client, translated for Anthropic', () => {
  it('names generationConfig.maxOutputTokens when it leaves Anthropic no room beyond the thinking budget', async () => {
    const err = await s
      .client()
      .models.generateContent({ model: MODELS.anthropic.name, contents: 'Think hard', config: { maxOutputTokens: 1024, thinkingConfig: { thinkingBudget: 4096 } } })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toContain('generationConfig.maxOutputTokens (1024) must be greater than the thinking budget (4096) for provider type anthropic.');
    expect(s.anthropic.requests).toHaveLength(0);
  });
});

describe('a Chat Completions client, translated for Gemini', () => {
  it("names the client's index of a message after system messages, which the canonical messages leave out", async () => {
    // Client messages 0 and 2 join the system prompt: the user message, index 3, is canonical message 1.
    const err = await openAIClient(s.gw, s.key)
      .chat.completions.create({
        model: MODELS.gemini.name,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Hi' },
          { role: 'developer', content: 'Metric units.' },
          { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] },
        ],
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const param = (err as InstanceType<typeof OpenAI.BadRequestError>).param;
    expect(param).toMatch(/^messages\[3\]\.content\[1\]/);
    expect((err as Error).message).toContain(`(${param})`);
    expect(s.gemini.requests).toHaveLength(0);
  });

  it("names the client's tool message, among results merged into one canonical message, whose call id answers no call", async () => {
    // Client messages 2 and 3, two results, are canonical message 2's parts 0 and 1: Gemini refuses part 1, the client's message 3.
    const err = await openAIClient(s.gw, s.key)
      .chat.completions.create({
        model: MODELS.gemini.name,
        messages: [
          { role: 'user', content: 'Weather in Oslo and Graz?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Oslo"}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '-5C' },
          { role: 'tool', tool_call_id: 'call_unknown', content: '12C' },
        ],
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'messages[3].tool_call_id', code: 'unknown_tool_call_id' });
    expect((err as Error).message).toContain('The tool result for "call_unknown" (messages[3].tool_call_id) answers no tool call');
    expect(s.gemini.requests).toHaveLength(0);
  });
});

describe('a Chat Completions client, translated for Gemini and for Anthropic', () => {
  it.each([
    ['gemini', 'are not a JSON object'],
    ['anthropic', 'must be valid JSON'],
  ] as const)("names the client's call, tool_calls[1], when its arguments are not JSON (to %s)", async (target, refusal) => {
    // Client message 1's canonical parts are its text, then its calls: canonical part 2 is the client's tool_calls[1]. The results after it merge with the last user message.
    const err = await openAIClient(s.gw, s.key)
      .chat.completions.create({
        model: MODELS[target].name,
        messages: [
          { role: 'user', content: 'Weather in Oslo and Graz?' },
          {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Oslo"}' } },
              { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city": ' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '-5C' },
          { role: 'tool', tool_call_id: 'call_2', content: '12C' },
          { role: 'user', content: 'Well?' },
        ],
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'messages[1].tool_calls[1].function.arguments' });
    expect((err as Error).message).toContain(`The tool call arguments in messages[1].tool_calls[1].function.arguments ${refusal}`);
    expect(s[target].requests).toHaveLength(0);
  });
});

describe('a Responses client, translated for Anthropic', () => {
  it("names the input, in param and message, when a call's arguments are not JSON: its items are not the canonical messages one to one", async () => {
    const err = await openAIClient(s.gw, s.key)
      .responses.create({
        model: MODELS.anthropic.name,
        input: [
          { role: 'user', content: 'Weather in Oslo?' },
          { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city": ' },
          { type: 'function_call_output', call_id: 'call_1', output: '-5C' },
        ],
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'input' });
    expect((err as Error).message).toContain('The tool call arguments in input must be valid JSON for provider type anthropic.');
    expect(s.anthropic.requests).toHaveLength(0);
  });
});
