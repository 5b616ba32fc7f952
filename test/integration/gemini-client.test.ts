/**
 * @google/genai, the official Gemini SDK, against the gateway: the same calls served by a Gemini
 * upstream (the body passed through untouched) and by Anthropic and OpenAI upstreams (translated),
 * with the SDK's own types, streams and errors, and usage records for each.
 */
import { ApiError, Type, type Content, type GoogleGenAI } from '@google/genai';
import type { Reply as AnthropicReply } from '../fakes/anthropic';
import type { GeminiReply } from '../fakes/gemini';
import type { Reply as OpenAIReply } from '../fakes/openai';
import { MODELS, PRICE, startGeminiStack, UPSTREAM_KEYS, type GeminiStack, type TargetName } from './gemini/stack';

let s: GeminiStack;
let ai: GoogleGenAI;
beforeAll(async () => {
  s = await startGeminiStack();
  ai = s.client();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const TARGETS: TargetName[] = ['gemini', 'anthropic', 'openai'];
const USAGE = { input: 11, output: 7 };

/** Scripts the target's fake to answer with text, in its own dialect, with USAGE's counts. */
function scriptText(target: TargetName, text: string): void {
  if (target === 'gemini') s.gemini.reply({ kind: 'text', text, usage: { prompt: USAGE.input, candidates: USAGE.output } } satisfies GeminiReply);
  else if (target === 'anthropic') s.anthropic.reply({ kind: 'text', text, usage: { input: USAGE.input, output: USAGE.output } } satisfies AnthropicReply);
  else s.openai.reply({ kind: 'text', text, usage: { prompt: USAGE.input, completion: USAGE.output } } satisfies OpenAIReply);
}

function scriptCall(target: TargetName, name: string, args: Record<string, unknown>): void {
  if (target === 'gemini') s.gemini.reply({ kind: 'function_calls', calls: [{ name, args }] });
  else if (target === 'anthropic') s.anthropic.reply({ kind: 'tool_use', calls: [{ name, input: args }] });
  else s.openai.reply({ kind: 'tool_calls', calls: [{ name, arguments: JSON.stringify(args) }] });
}

/** The body the target's fake received last. */
function lastUpstream(target: TargetName): { path: string; body: Record<string, unknown>; rawBody: string; headers: Record<string, unknown> } {
  const fake = target === 'gemini' ? s.gemini : target === 'anthropic' ? s.anthropic : s.openai;
  const r = fake.requests.at(-1);
  if (!r) throw new Error(`the ${target} fake received no request`);
  return { path: r.path, body: r.body as Record<string, unknown>, rawBody: r.rawBody, headers: r.headers as Record<string, unknown> };
}

const WEATHER_TOOLS = [
  {
    functionDeclarations: [
      {
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING, description: 'City name' } }, required: ['city'] },
      },
    ],
  },
];

async function latestRecord(keyId?: string) {
  const records = await s.usage(keyId);
  return records.sort((a, b) => String(a.SK).localeCompare(String(b.SK))).at(-1);
}

describe.each(TARGETS)('@google/genai through the gateway to a %s target', (target) => {
  const model = MODELS[target].name;

  it('answers generateContent with the upstream text, and records tokens, cost and surface gemini', async () => {
    // Prepare
    scriptText(target, 'Hello from upstream');

    // Act
    const response = await ai.models.generateContent({ model, contents: 'Say hello' });

    // Assess
    expect(response.text).toBe('Hello from upstream');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: USAGE.input, candidatesTokenCount: USAGE.output });
    const upstream = lastUpstream(target);
    expect(upstream.headers['x-goog-api-key'] ?? upstream.headers['x-api-key'] ?? upstream.headers['authorization']).toMatch(new RegExp(Object.values(UPSTREAM_KEYS).join('|')));
    const record = await latestRecord();
    expect(record).toMatchObject({ surface: 'gemini', model, upstreamModel: MODELS[target].upstream, status: 200, outcome: 'ok', inputTokens: USAGE.input, outputTokens: USAGE.output, stream: false });
    expect(record?.costMicros).toBe(USAGE.input * PRICE.input + USAGE.output * PRICE.output);
  });

  it('streams generateContentStream chunk by chunk, ending with the finish reason and usage', async () => {
    // Prepare
    scriptText(target, 'one two three four');

    // Act
    const chunks = [];
    for await (const chunk of await ai.models.generateContentStream({ model, contents: 'Count to four' })) chunks.push(chunk);

    // Assess
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((c) => c.text ?? '').join('')).toBe('one two three four');
    const last = chunks.at(-1)!;
    expect(last.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: USAGE.input, candidatesTokenCount: USAGE.output });
    const record = await latestRecord();
    expect(record).toMatchObject({ surface: 'gemini', model, stream: true, outcome: 'ok', inputTokens: USAGE.input, outputTokens: USAGE.output });
    expect(record?.ttftMs).toBeGreaterThan(0);
  });

  it('returns a function call, and maps the functionResponse of the next turn back to it', async () => {
    // Prepare
    scriptCall(target, 'get_weather', { city: 'Oslo' });
    const question: Content = { role: 'user', parts: [{ text: 'Weather in Oslo?' }] };

    // Act
    const first = await ai.models.generateContent({ model, contents: [question], config: { tools: WEATHER_TOOLS } });
    const call = first.functionCalls?.[0];
    scriptText(target, 'It is 12 °C in Oslo.');
    const answer: Content = { role: 'user', parts: [{ functionResponse: { ...(call?.id ? { id: call.id } : {}), name: 'get_weather', response: { output: '12 °C' } } }] };
    const second = await ai.models.generateContent({ model, contents: [question, first.candidates![0]!.content!, answer], config: { tools: WEATHER_TOOLS } });

    // Assess
    expect(call).toMatchObject({ name: 'get_weather', args: { city: 'Oslo' } });
    expect(second.text).toBe('It is 12 °C in Oslo.');
    const sent = lastUpstream(target).body;
    if (target === 'gemini') {
      const contents = sent.contents as { parts: Record<string, { name?: string }>[] }[];
      expect(contents[1]?.parts[0]?.functionCall?.name).toBe('get_weather');
      expect(contents[2]?.parts[0]?.functionResponse?.name).toBe('get_weather');
    } else if (target === 'anthropic') {
      const messages = sent.messages as { role: string; content: { type: string; id?: string; tool_use_id?: string; content?: unknown }[] }[];
      const use = messages[1]?.content.find((b) => b.type === 'tool_use');
      const result = messages[2]?.content.find((b) => b.type === 'tool_result');
      expect(use?.id).toBe(call?.id);
      expect(result).toMatchObject({ tool_use_id: call?.id, content: '12 °C' });
    } else {
      const messages = sent.messages as { role: string; tool_calls?: { id: string }[]; tool_call_id?: string; content?: unknown }[];
      expect(messages[1]?.tool_calls?.[0]?.id).toBe(call?.id);
      expect(messages[2]).toMatchObject({ role: 'tool', tool_call_id: call?.id, content: '12 °C' });
    }
  });

  it('asks for JSON output with the response schema', async () => {
    // Prepare
    scriptText(target, '{"city":"Oslo"}');
    const responseSchema = { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ['city'] };

    // Act
    const response = await ai.models.generateContent({ model, contents: 'Which city?', config: { responseMimeType: 'application/json', responseSchema } });

    // Assess
    expect(JSON.parse(response.text ?? '')).toEqual({ city: 'Oslo' });
    const sent = lastUpstream(target).body;
    const expected = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    if (target === 'gemini') expect((sent.generationConfig as Record<string, unknown>).responseSchema).toEqual(responseSchema);
    else if (target === 'anthropic') expect(sent.output_config).toEqual({ format: { type: 'json_schema', schema: expected } });
    else expect(sent.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: expected } });
  });

  it('counts tokens: asked of a Gemini target, estimated for the others', async () => {
    // Act
    const counted = await ai.models.countTokens({ model, contents: 'How many tokens is this sentence?' });

    // Assess
    expect(counted.totalTokens).toBeGreaterThan(0);
    if (target === 'gemini') expect(lastUpstream('gemini').path).toBe(`/v1beta/models/${MODELS.gemini.upstream}:countTokens`);
    else expect(s.gemini.requests).toHaveLength(0);
  });

  it('refuses an unknown model with a typed 404 and a forbidden one with a 403', async () => {
    // Act
    const unknown = await ai.models.generateContent({ model: 'no-such-model', contents: 'x' }).catch((e: unknown) => e);
    const forbidden = await ai.models.generateContent({ model: 'not-for-you', contents: 'x' }).catch((e: unknown) => e);

    // Assess
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).status).toBe(404);
    expect(JSON.parse((unknown as ApiError).message)).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    expect(forbidden).toBeInstanceOf(ApiError);
    expect((forbidden as ApiError).status).toBe(403);
    expect(JSON.parse((forbidden as ApiError).message)).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  });

  it('refuses an unknown gateway key with a typed 401 and reaches no upstream', async () => {
    // Act
    const error = await s.client('sk-gw-not-a-key').models.generateContent({ model, contents: 'x' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(s.gemini.requests.length + s.anthropic.requests.length + s.openai.requests.length).toBe(0);
  });
});

describe('@google/genai: what only one side can do', () => {
  it('refuses a built-in tool with a 400 naming the field when the target translates', async () => {
    // Act
    const error = await ai.models.generateContent({ model: MODELS.anthropic.name, contents: 'Search the news', config: { tools: [{ googleSearch: {} }] } }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    const body = JSON.parse((error as ApiError).message) as { error: { message: string; status: string } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toContain('tools[0].googleSearch');
    expect(s.anthropic.requests).toHaveLength(0);
  });

  it('passes a built-in tool through to a Gemini target, body untouched', async () => {
    // Act
    await ai.models.generateContent({ model: MODELS.gemini.name, contents: 'Search the news', config: { tools: [{ googleSearch: {} }], safetySettings: [] } });

    // Assess
    expect(lastUpstream('gemini').body.tools).toEqual([{ googleSearch: {} }]);
  });

  it('passes an upstream 400 on as a typed 400 in Gemini shape', async () => {
    // Prepare
    s.gemini.reply({ kind: 'error', status: 400 });

    // Act
    const error = await ai.models.generateContent({ model: MODELS.gemini.name, contents: 'x' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it.each(['gemini', 'anthropic'] as const)('ends a stream the %s upstream broke off with an error the SDK raises', async (target) => {
    // Prepare
    if (target === 'gemini') s.gemini.reply({ kind: 'drop', afterEvents: 2 });
    else s.anthropic.reply({ kind: 'drop', afterEvents: 4 });

    // Act
    const texts: string[] = [];
    const error = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model: MODELS[target].name, contents: 'Tell me a long story' })) texts.push(chunk.text ?? '');
    })().catch((e: unknown) => e);

    // Assess
    expect(texts.join('')).not.toBe('');
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBeGreaterThanOrEqual(500);
    const record = await latestRecord();
    expect(record).toMatchObject({ surface: 'gemini', outcome: 'interrupted' });
  });

  it('accepts the key as ?key= and as a Bearer token too', async () => {
    // Act
    const byQuery = await fetch(`${s.gw.url}/v1beta/models/${MODELS.gemini.name}:generateContent?key=${s.key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }) });
    const byBearer = await fetch(`${s.gw.url}/v1/models/${MODELS.gemini.name}:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` }, body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }) });

    // Assess
    expect(byQuery.status).toBe(200);
    expect(byBearer.status).toBe(200);
    expect(s.gemini.requests.map((r) => r.search ?? '')).not.toContain(expect.stringContaining(s.key));
  });
});

describe('Gemini routes the SDK does not reach by itself', () => {
  const post = (path: string, body: unknown = { contents: [{ parts: [{ text: 'hi' }] }] }) =>
    fetch(`${s.gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': s.key }, body: JSON.stringify(body) });

  it.each([
    { name: 'a stream asked for with an alt it does not know', send: () => post(`/v1beta/models/${MODELS.anthropic.name}:streamGenerateContent?alt=proto`), status: 400, googleStatus: 'INVALID_ARGUMENT' },
    { name: 'a body without contents', send: () => post(`/v1beta/models/${MODELS.anthropic.name}:generateContent`, { prompt: 'hi' }), status: 400, googleStatus: 'INVALID_ARGUMENT' },
    { name: 'a method the gateway does not serve', send: () => post(`/v1beta/models/${MODELS.gemini.name}:embedContent`), status: 404, googleStatus: 'NOT_FOUND' },
    { name: 'GET on generateContent', send: () => fetch(`${s.gw.url}/v1beta/models/${MODELS.gemini.name}:generateContent`, { headers: { 'x-goog-api-key': s.key } }), status: 405, googleStatus: 'UNIMPLEMENTED' },
    { name: 'an unknown v1beta path', send: () => fetch(`${s.gw.url}/v1beta/files`, { headers: { 'x-goog-api-key': s.key } }), status: 404, googleStatus: 'NOT_FOUND' },
  ])('answers $name with $status in Gemini’s shape, reaching no upstream', async ({ send, status, googleStatus }) => {
    // Act
    const res = await send();

    // Assess
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code: status, status: googleStatus, message: expect.any(String) } });
    expect(s.gemini.requests.length + s.anthropic.requests.length + s.openai.requests.length).toBe(0);
  });
});

describe('@google/genai: models', () => {
  it('lists the models the key may use in Gemini shape', async () => {
    // Act
    const names: string[] = [];
    for await (const m of await ai.models.list()) names.push(m.name ?? '');

    // Assess
    expect(names.sort()).toEqual([`models/${MODELS.anthropic.name}`, `models/${MODELS.openai.name}`, `models/${MODELS.gemini.name}`].sort());
  });

  it('gets one model, and answers 404 alike for an unknown and a forbidden one', async () => {
    // Act
    const model = await ai.models.get({ model: MODELS.gemini.name });
    const unknown = await ai.models.get({ model: 'no-such-model' }).catch((e: unknown) => e);
    const forbidden = await ai.models.get({ model: 'not-for-you' }).catch((e: unknown) => e);

    // Assess
    expect(model).toMatchObject({ name: `models/${MODELS.gemini.name}`, outputTokenLimit: 65536 });
    expect(model.supportedActions ?? (model as { supportedGenerationMethods?: string[] }).supportedGenerationMethods).toContain('generateContent');
    expect((unknown as ApiError).status).toBe(404);
    expect((forbidden as ApiError).status).toBe(404);
    expect(JSON.parse((forbidden as ApiError).message)).toEqual(JSON.parse((unknown as ApiError).message.replace('no-such-model', 'not-for-you')));
  });
});
