/**
 * Gemini's function call ids go back to Gemini: the gateway hands a client Gemini's `functionCall.id`
 * as the tool call's id, and the next turn's request carries it on the call and on its
 * `functionResponse`, as Gemini's docs ask; so does another family's id after a model switch, which
 * Gemini takes as given. The Gemini surface's requests to Gemini pass through untouched.
 */
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeGemini } from '../fakes/gemini';
import { geminiClient, startHarness, type Harness } from './harness';
import { startTranslatedFakes, type TranslatedFakes } from './translated-fakes';

const GEMINI_ID = 'n3v0qk2x';

let h: Harness;
let fakes: TranslatedFakes;
let gemini: FakeGemini;
let anthropic: FakeAnthropic;
let key: string;

beforeAll(async () => {
  fakes = await startTranslatedFakes();
  ({ gemini, anthropic } = fakes);
  h = await startHarness({
    credentials: fakes.credentials,
    config: () => ({
      providers: fakes.providers,
      models: [
        { name: 'gemini-3-pro-preview', targets: [{ provider: 'gem', model: 'gemini-3-pro-preview' }] },
        { name: 'claude-x', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
      ],
    }),
  });
  key = (await h.createKey({ name: 'call-ids', models: ['*'] })).key;
});
afterAll(async () => {
  await h?.close();
  await fakes?.close();
});
beforeEach(() => fakes.reset());

const TOOLS: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
type Sent = { contents: { role: string; parts: { functionCall?: { id?: string }; functionResponse?: { id?: string } }[] }[] };
const functionIds = (body: unknown) =>
  (body as Sent).contents.flatMap((c) => c.parts.flatMap((p) => [...(p.functionCall ? [['call', p.functionCall.id]] : []), ...(p.functionResponse ? [['response', p.functionResponse.id]] : [])]));

/** The first turn through Chat Completions (streamed or not): the tool call the client got. */
async function firstCall(client: OpenAI, model: string, stream: boolean): Promise<{ id: string; name: string; arguments: string }> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
  if (!stream) {
    const first = await client.chat.completions.create({ model, messages, tools: TOOLS });
    const call = first.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    return { id: call.id, ...call.function };
  }
  const runner = client.chat.completions.stream({ model, messages, tools: TOOLS });
  const done = await runner.finalChatCompletion();
  const call = done.choices[0]!.message.tool_calls![0]!;
  if (call.type !== 'function') throw new Error('not a function call');
  return { id: call.id, ...call.function };
}

/** The next turn to Gemini: the client's history with the call and its result. */
function answerCall(client: OpenAI, call: { id: string; name: string; arguments: string }): Promise<OpenAI.Chat.ChatCompletion> {
  return client.chat.completions.create({
    model: 'gemini-3-pro-preview',
    messages: [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] },
      { role: 'tool', tool_call_id: call.id, content: '-5C' },
    ],
    tools: TOOLS,
  });
}

describe('Gemini call ids through Chat Completions', () => {
  // Gemini 3's ids are like `n3v0qk2x`; later models' like `call_4162774` (brainlid/langchain#620).
  it.each([GEMINI_ID, 'call_4162774'].flatMap((id) => [false, true].map((stream) => ({ id, stream }))))("sends Gemini's call id $id back on the call and its response (stream $stream)", async ({ id, stream }) => {
    // Prepare
    gemini.reply({ kind: 'function_calls', calls: [{ id, name: 'get_weather', args: { city: 'Oslo' }, thoughtSignature: 'CiQBsig' }] });
    const client = h.openai({ apiKey: key, maxRetries: 0 });
    const call = await firstCall(client, 'gemini-3-pro-preview', stream);
    gemini.reply({ kind: 'text', text: 'Cold.' });

    // Act
    const second = await answerCall(client, call);

    // Assess
    expect(call.id).toBe(id);
    expect(second.choices[0]!.message.content).toBe('Cold.');
    expect(functionIds(gemini.requests[1]!.body)).toEqual([
      ['call', id],
      ['response', id],
    ]);
  });

  it('sends Gemini no id for a call it gave none: the id the client holds is one the gateway made up', async () => {
    // Prepare
    gemini.reply({ kind: 'function_calls', calls: [{ name: 'get_weather', args: { city: 'Oslo' } }] });
    const client = h.openai({ apiKey: key, maxRetries: 0 });
    const call = await firstCall(client, 'gemini-3-pro-preview', false);
    gemini.reply({ kind: 'text', text: 'Cold.' });

    // Act
    await answerCall(client, call);

    // Assess
    expect(call.id).toMatch(/^call_[0-9a-f]{16}_0$/);
    expect(functionIds(gemini.requests[1]!.body)).toEqual([
      ['call', undefined],
      ['response', undefined],
    ]);
  });

  it("sends Gemini the id Claude made on the call and its response, when the conversation moves from Claude to Gemini (Gemini takes any id, and ties the two by it)", async () => {
    // Prepare
    anthropic.reply({ kind: 'tool_use', calls: [{ name: 'get_weather', input: { city: 'Oslo' } }] });
    gemini.reply({ kind: 'text', text: 'Cold.' });
    const client = h.openai({ apiKey: key, maxRetries: 0 });
    const call = await firstCall(client, 'claude-x', false);

    // Act
    await answerCall(client, call);

    // Assess
    expect(call.id).toMatch(/^toolu_/);
    expect(functionIds(gemini.requests[0]!.body)).toEqual([
      ['call', call.id],
      ['response', call.id],
    ]);
  });
});

describe('Gemini call ids through the Gemini surface', () => {
  it("passes a Gemini client's history through with Gemini's ids as it sent them", async () => {
    // Prepare
    gemini.reply({ kind: 'function_calls', calls: [{ id: GEMINI_ID, name: 'get_weather', args: { city: 'Oslo' }, thoughtSignature: 'CiQBsig' }] });
    const genai = geminiClient(h.gw, key);
    const question = { role: 'user', parts: [{ text: 'Weather in Oslo?' }] };
    const tools = [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }] }] as never;
    const first = await genai.models.generateContent({ model: 'gemini-3-pro-preview', contents: [question], config: { tools } });
    const turn = first.candidates![0]!.content!;
    gemini.reply({ kind: 'text', text: 'Cold.' });

    // Act
    await genai.models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: [question, turn, { role: 'user', parts: [{ functionResponse: { id: GEMINI_ID, name: 'get_weather', response: { output: '-5C' } } }] }],
      config: { tools },
    });

    // Assess
    expect(turn.parts![0]!.functionCall!.id).toBe(GEMINI_ID);
    expect(functionIds(gemini.requests[1]!.body)).toEqual([
      ['call', GEMINI_ID],
      ['response', GEMINI_ID],
    ]);
  });
});
