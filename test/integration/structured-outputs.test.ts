/**
 * Structured outputs through the official `openai` client's helpers (`openai/helpers/zod`):
 * `chat.completions.parse` with `zodResponseFormat`, `chat.completions.stream(...)
 * .finalChatCompletion()`, strict `zodFunction` tools read back as `parsed_arguments`, and
 * `responses.parse` with `zodTextFormat`, each against OpenAI (passed through) and Anthropic,
 * Gemini and Bedrock Converse (translated). Each case checks both ends: the object the client
 * parsed is the one the fake answered, and the fake was asked for the schema in its own dialect.
 */
import OpenAI from 'openai';
import { ContentFilterFinishReasonError } from 'openai/core/error';
import { zodFunction, zodResponseFormat, zodResponsesFunction, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { streamEvents, type FakeAnthropic } from '../fakes/anthropic';
import type { FakeBedrock } from '../fakes/bedrock';
import type { FakeGemini } from '../fakes/gemini';
import { startHarness, type Harness } from './harness';
import { startTranslatedFakes, type TranslatedFakes } from './translated-fakes';

const Person = z.object({
  name: z.string(),
  age: z.number().int(),
  nickname: z.string().nullable(),
  tags: z.array(z.string()),
});
const PERSON: z.infer<typeof Person> = { name: 'Ada', age: 36, nickname: null, tags: ['maths', 'engines'] };

const Lookup = z.object({ city: z.string(), units: z.enum(['c', 'f']).nullable() });
const LOOKUP: z.infer<typeof Lookup> = { city: 'Oslo', units: 'c' };
const lookupTool = () => zodFunction({ name: 'lookup_weather', parameters: Lookup, description: 'The weather in a city' });

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Who wrote the first program?' }];

type Upstream = 'openai' | 'anthropic' | 'gemini' | 'bedrock';

let h: Harness;
let translated: TranslatedFakes;
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let bedrock: FakeBedrock;
let client: OpenAI;

beforeAll(async () => {
  translated = await startTranslatedFakes();
  ({ anthropic, gemini, bedrock } = translated);
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [{ id: 'up', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }, ...translated.providers],
      models: [
        { name: 'gpt-4o', targets: [{ provider: 'up', model: 'gpt-4o' }] },
        // Renamed on the way: the gateway rewrites the body rather than sending the client's bytes.
        { name: 'mini', targets: [{ provider: 'up', model: 'gpt-4o-mini-2024-07-18' }] },
        { name: 'claude', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini', targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }] },
        { name: 'nova', targets: [{ provider: 'aws', model: 'amazon.nova-pro-v1:0' }] },
      ],
    }),
    credentials: translated.credentials,
  });
  const { key } = await h.createKey({ name: 'structured', models: ['*'] });
  client = h.openai({ apiKey: key });
});
afterAll(async () => {
  await h?.close();
  await translated?.close();
});
beforeEach(() => {
  h.upstream.reset();
  translated.reset();
  h.health.clear();
});

const MODEL: Record<Upstream, string> = { openai: 'gpt-4o', anthropic: 'claude', gemini: 'gemini', bedrock: 'nova' };
const UPSTREAMS: Upstream[] = ['openai', 'anthropic', 'gemini', 'bedrock'];

/** The fake `upstream` answers `text` (streamed word by word when asked to stream). */
function replyText(upstream: Upstream, text: string): void {
  if (upstream === 'openai') h.upstream.reply({ kind: 'text', text });
  if (upstream === 'anthropic') anthropic.reply({ kind: 'text', text });
  if (upstream === 'gemini') gemini.reply({ kind: 'text', text });
  if (upstream === 'bedrock') bedrock.reply({ kind: 'text', text });
}

/** The fake `upstream` calls `name` with `args`. */
function replyCall(upstream: Upstream, name: string, args: Record<string, unknown>): void {
  if (upstream === 'openai') h.upstream.reply({ kind: 'tool_calls', calls: [{ name, arguments: JSON.stringify(args) }] });
  if (upstream === 'anthropic') anthropic.reply({ kind: 'tool_use', calls: [{ name, input: args }] });
  if (upstream === 'gemini') gemini.reply({ kind: 'function_calls', calls: [{ name, args }] });
  if (upstream === 'bedrock') bedrock.reply({ kind: 'tool_use', calls: [{ name, input: args }] });
}

/** The one request body the fake `upstream` received. */
function sentBody(upstream: Upstream): Record<string, unknown> {
  const fake = { openai: h.upstream, anthropic, gemini, bedrock }[upstream];
  expect(fake.requests).toHaveLength(1);
  return fake.requests[0]!.body as Record<string, unknown>;
}

/** The JSON schema `zodResponseFormat(Person)` gives, as the client sends it. */
const personSchema = (): Record<string, unknown> => zodResponseFormat(Person, 'person').json_schema.schema as Record<string, unknown>;
const lookupSchema = (): Record<string, unknown> => lookupTool().function.parameters as Record<string, unknown>;

/** Person as Gemini's OpenAPI subset: capital types, `nullable` for the null branch, no `additionalProperties`. */
const GEMINI_PERSON = {
  type: 'OBJECT',
  properties: {
    name: { type: 'STRING' },
    age: { type: 'INTEGER' },
    nickname: { type: 'STRING', nullable: true },
    tags: { type: 'ARRAY', items: { type: 'STRING' } },
  },
  required: ['name', 'age', 'nickname', 'tags'],
};

/** Asserts the fake `upstream` was asked to answer in Person's schema, in its own dialect. */
function expectPersonSchemaSent(upstream: Upstream): void {
  const body = sentBody(upstream);
  if (upstream === 'openai') expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'person', strict: true, schema: personSchema() } });
  if (upstream === 'anthropic') expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: personSchema() } });
  if (upstream === 'gemini') {
    expect(body.generationConfig).toMatchObject({ responseMimeType: 'application/json', responseSchema: GEMINI_PERSON });
    expect(JSON.stringify(body)).not.toContain('additionalProperties');
  }
  if (upstream === 'bedrock') {
    const format = (body.outputConfig as { textFormat: { type: string; structure: { jsonSchema: { schema: string; name: string } } } }).textFormat;
    expect(format.type).toBe('json_schema');
    expect(format.structure.jsonSchema.name).toBe('person');
    expect(JSON.parse(format.structure.jsonSchema.schema)).toEqual(personSchema());
  }
}

/** Asserts the fake `upstream` was offered the strict lookup tool with its schema intact (Gemini: converted, it has no strict mode). */
function expectLookupToolSent(upstream: Upstream): void {
  const body = sentBody(upstream) as { tools?: unknown; toolConfig?: { tools: Record<string, unknown>[] } };
  const schema = lookupSchema();
  if (upstream === 'openai') expect(body.tools).toEqual([{ type: 'function', function: { name: 'lookup_weather', description: 'The weather in a city', strict: true, parameters: schema } }]);
  // (The gateway's own prompt-cache marks may ride on the tools; only the tool itself is asserted.)
  if (upstream === 'anthropic') expect(body.tools).toEqual([expect.objectContaining({ name: 'lookup_weather', description: 'The weather in a city', strict: true, input_schema: schema })]);
  if (upstream === 'gemini') {
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'lookup_weather',
            description: 'The weather in a city',
            parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' }, units: { type: 'STRING', enum: ['c', 'f'], nullable: true } }, required: ['city', 'units'] },
          },
        ],
      },
    ]);
  }
  if (upstream === 'bedrock') {
    const tools = body.toolConfig!.tools.filter((t) => 'toolSpec' in t);
    expect(tools).toEqual([
      { toolSpec: { name: 'lookup_weather', description: 'The weather in a city', strict: true, inputSchema: { json: schema } } },
    ]);
  }
}

describe.each(UPSTREAMS)('structured outputs to %s', (upstream) => {
  const model = MODEL[upstream];

  it('gives chat.completions.parse the object the upstream answered, asked for in its own dialect', async () => {
    replyText(upstream, JSON.stringify(PERSON));

    const completion = await client.chat.completions.parse({ model, messages, response_format: zodResponseFormat(Person, 'person') });

    expect(completion.choices[0]!.message.parsed).toEqual(PERSON);
    expect(completion.choices[0]!.message.refusal ?? null).toBeNull();
    expectPersonSchemaSent(upstream);
  });

  it('gives chat.completions.stream(...).finalChatCompletion() the object the upstream streamed', async () => {
    replyText(upstream, JSON.stringify(PERSON));

    const stream = client.chat.completions.stream({ model, messages, response_format: zodResponseFormat(Person, 'person') });
    const final = await stream.finalChatCompletion();

    expect(final.choices[0]!.message.parsed).toEqual(PERSON);
    expectPersonSchemaSent(upstream);
  });

  it.each([false, true])('reads a strict zodFunction call back as parsed_arguments (streamed: %s)', async (streamed) => {
    replyCall(upstream, 'lookup_weather', LOOKUP);
    const body = { model, messages, tools: [lookupTool()] };

    const completion = streamed ? await client.chat.completions.stream(body).finalChatCompletion() : await client.chat.completions.parse(body);

    // (`tool_calls` is optional on the non-streamed message's type.)
    const call = completion.choices[0]!.message.tool_calls?.[0];
    expect(call).toBeDefined();
    expect(call!.type).toBe('function');
    expect(call!.type === 'function' && call!.function.name).toBe('lookup_weather');
    expect(call!.type === 'function' && call!.function.parsed_arguments).toEqual(LOOKUP);
    expectLookupToolSent(upstream);
  });

  it.each([false, true])('reads a zodResponsesFunction call back as parsed_arguments on responses.parse (streamed: %s)', async (streamed) => {
    replyCall(upstream, 'lookup_weather', LOOKUP);
    const body = { model, input: 'Weather in Oslo?', tools: [zodResponsesFunction({ name: 'lookup_weather', parameters: Lookup, description: 'The weather in a city' })] };

    const response = streamed ? await client.responses.stream(body).finalResponse() : await client.responses.parse(body);

    const call = response.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ name: 'lookup_weather', parsed_arguments: LOOKUP });
    // Passed through, the tool keeps the Responses shape: flat, strict, the schema whole.
    if (upstream === 'openai') expect(sentBody(upstream).tools).toEqual([{ type: 'function', name: 'lookup_weather', description: 'The weather in a city', strict: true, parameters: lookupSchema() }]);
    else expectLookupToolSent(upstream);
  });

  it.each([false, true])('gives responses.parse the output_parsed of a zodTextFormat (streamed: %s)', async (streamed) => {
    replyText(upstream, JSON.stringify(PERSON));
    const body = { model, input: 'Who wrote the first program?', text: { format: zodTextFormat(Person, 'person') } };

    const response = streamed ? await client.responses.stream(body).finalResponse() : await client.responses.parse(body);

    expect(response.output_parsed).toEqual(PERSON);
    if (upstream === 'openai') expect(sentBody(upstream).text).toEqual({ format: { type: 'json_schema', name: 'person', strict: true, schema: personSchema() } });
    else expectPersonSchemaSent(upstream);
  });
});

describe('OpenAI under another model name', () => {
  it.each([false, true])('keeps the schema and the strict tool whole through the rewritten body (streamed: %s)', async (streamed) => {
    h.upstream.reply({ kind: 'text', text: JSON.stringify(PERSON) });
    const body = { model: 'mini', messages, response_format: zodResponseFormat(Person, 'person'), tools: [lookupTool()] };

    const completion = streamed ? await client.chat.completions.stream(body).finalChatCompletion() : await client.chat.completions.parse(body);

    expect(completion.choices[0]!.message.parsed).toEqual(PERSON);
    expect(sentBody('openai')).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: personSchema() } },
      tools: [{ type: 'function', function: { name: 'lookup_weather', strict: true, parameters: lookupSchema() } }],
    });
  });
});

describe('a schema the provider cannot express', () => {
  type TreeNode = { label: string; children: TreeNode[] };
  // Recursive: the helper writes `children.items` as `{"$ref": "#"}`, which Gemini's schema (no references) cannot hold.
  const Tree: z.ZodType<TreeNode> = z.lazy(() => z.object({ label: z.string(), children: z.array(Tree) }));

  /** The error a call failed with (it must fail). */
  async function failure(call: () => Promise<unknown>): Promise<unknown> {
    try {
      await call();
    } catch (err) {
      return err;
    }
    throw new Error('the call succeeded');
  }

  it.each([
    { name: 'chat.completions.parse', param: 'response_format.json_schema.schema', call: () => client.chat.completions.parse({ model: 'gemini', messages, response_format: zodResponseFormat(Tree, 'tree') }) },
    { name: 'chat.completions.stream', param: 'response_format.json_schema.schema', call: () => client.chat.completions.stream({ model: 'gemini', messages, response_format: zodResponseFormat(Tree, 'tree') }).finalChatCompletion() },
    { name: 'responses.parse', param: 'text.format.schema', call: () => client.responses.parse({ model: 'gemini', input: 'A tree', text: { format: zodTextFormat(Tree, 'tree') } }) },
    { name: 'responses.stream', param: 'text.format.schema', call: () => client.responses.stream({ model: 'gemini', input: 'A tree', text: { format: zodTextFormat(Tree, 'tree') } }).finalResponse() },
    { name: 'a strict zodFunction', param: 'tools[0].function.parameters', call: () => client.chat.completions.parse({ model: 'gemini', messages, tools: [zodFunction({ name: 'plant', parameters: z.object({ tree: Tree }) })] }) },
  ])('gives $name a 400 BadRequestError naming $param for a recursive schema to Gemini, and asks Gemini nothing', async ({ param, call }) => {
    const err = await failure(call);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.param).toBe(param);
    expect(bad.message).toContain(param);
    expect(bad.message).toMatch(/recursive|refers to itself/);
    expect(gemini.requests).toHaveLength(0);
  });
});

describe('a refusal from OpenAI, passed through', () => {
  const REFUSAL = "I'm sorry, I can't help with that.";
  const completion = {
    id: 'chatcmpl-refused',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: REFUSAL, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-refused', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;

  it('reaches chat.completions.parse as the SDK reads it: the refusal set, parsed null', async () => {
    h.upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(completion) });

    const parsed = await client.chat.completions.parse({ model: 'gpt-4o', messages, response_format: zodResponseFormat(Person, 'person') });

    expect(parsed.choices[0]!.message.refusal).toBe(REFUSAL);
    expect(parsed.choices[0]!.message.parsed).toBeNull();
  });

  it('reaches chat.completions.stream(...).finalChatCompletion() streamed: the refusal set, parsed null', async () => {
    h.upstream.reply({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: [
        chunk({ role: 'assistant', content: null, refusal: '' }, null),
        chunk({ refusal: "I'm sorry, " }, null),
        chunk({ refusal: "I can't help with that." }, null),
        chunk({}, 'stop'),
        `data: ${JSON.stringify({ id: 'chatcmpl-refused', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o', choices: [], usage: completion.usage })}\n\n`,
        'data: [DONE]\n\n',
      ],
    });

    const final = await client.chat.completions.stream({ model: 'gpt-4o', messages, response_format: zodResponseFormat(Person, 'person') }).finalChatCompletion();

    expect(final.choices[0]!.message.refusal).toBe(REFUSAL);
    expect(final.choices[0]!.message.parsed).toBeNull();
  });
});

describe('a refusal from a translated provider', () => {
  const REFUSED = "I can't help with that.";
  /** Each provider's own way of saying it stopped for its content rules. */
  const refuse: Record<Exclude<Upstream, 'openai'>, () => void> = {
    anthropic: () => anthropic.reply({ kind: 'text', text: REFUSED, stopReason: 'refusal' }),
    gemini: () => gemini.reply({ kind: 'text', text: REFUSED, finishReason: 'SAFETY' }),
    bedrock: () => bedrock.reply({ kind: 'text', text: REFUSED, stopReason: 'content_filtered' }),
  };

  const refuseSilently: Record<Exclude<Upstream, 'openai'>, () => void> = {
    anthropic: () => anthropic.reply({ kind: 'text', text: '', stopReason: 'refusal' }),
    gemini: () => gemini.reply({ kind: 'text', text: '', finishReason: 'SAFETY' }),
    bedrock: () => bedrock.reply({ kind: 'text', text: '', stopReason: 'content_filtered' }),
  };

  describe.each(['anthropic', 'gemini', 'bedrock'] as const)('from %s', (upstream) => {
    it('fails chat.completions.parse with the SDK\'s ContentFilterFinishReasonError, not a JSON error', async () => {
      refuse[upstream]();

      const failure = await client.chat.completions.parse({ model: MODEL[upstream], messages, response_format: zodResponseFormat(Person, 'person') }).then(
        () => undefined,
        (err: unknown) => err,
      );

      // By name: jest may load the SDK's error module apart from the client's copy of it.
      expect(failure).toBeInstanceOf(OpenAI.OpenAIError);
      expect((failure as Error).constructor.name).toBe(ContentFilterFinishReasonError.name);
    });

    it('answers a call asked for a schema, not streamed, as OpenAI words a refusal: content null, the words in refusal, finish_reason content_filter', async () => {
      refuse[upstream]();

      const completion = await client.chat.completions.create({ model: MODEL[upstream], messages, response_format: zodResponseFormat(Person, 'person') });

      expect(completion.choices[0]!.message).toMatchObject({ content: null, refusal: REFUSED });
      expect(completion.choices[0]!.finish_reason).toBe('content_filter');
    });

    it('streams a refusal to a call asked for a schema as OpenAI does: the words as refusal deltas, no content, finish_reason content_filter', async () => {
      refuse[upstream]();

      const stream = await client.chat.completions.create({ model: MODEL[upstream], messages, stream: true, response_format: zodResponseFormat(Person, 'person') });
      const finishes: (string | null)[] = [];
      let content = '';
      let refusal = '';
      for await (const chunk of stream) {
        finishes.push(...chunk.choices.map((c) => c.finish_reason));
        for (const c of chunk.choices) {
          content += c.delta.content ?? '';
          refusal += c.delta.refusal ?? '';
        }
      }

      expect(finishes.filter(Boolean)).toEqual(['content_filter']);
      expect(refusal).toBe(REFUSED);
      expect(content).toBe('');
    });

    it('fails chat.completions.stream(...) with ContentFilterFinishReasonError for a refusal in words, not with a JSON error', async () => {
      refuse[upstream]();

      const failure = await client.chat.completions
        .stream({ model: MODEL[upstream], messages, response_format: zodResponseFormat(Person, 'person') })
        .finalChatCompletion()
        .then(
          () => undefined,
          (err: unknown) => err,
        );

      expect((failure as Error | undefined)?.constructor.name).toBe(ContentFilterFinishReasonError.name);
    });

    it('keeps a refusal to a call that asked for no JSON as content, streamed and not', async () => {
      refuse[upstream]();
      const whole = await client.chat.completions.create({ model: MODEL[upstream], messages });
      refuse[upstream]();
      const stream = await client.chat.completions.create({ model: MODEL[upstream], messages, stream: true });
      let content = '';
      for await (const chunk of stream) for (const c of chunk.choices) content += c.delta.content ?? '';

      expect(whole.choices[0]!.message).toMatchObject({ content: REFUSED, refusal: null });
      expect(content).toBe(REFUSED);
    });

    it('fails chat.completions.stream(...) with ContentFilterFinishReasonError for a refusal before any output, as a streaming classifier sends it', async () => {
      // (Anthropic's classifier refusal carries no words; the stream is then nothing but the finish.)
      refuseSilently[upstream]();

      const failure = await client.chat.completions
        .stream({ model: MODEL[upstream], messages, response_format: zodResponseFormat(Person, 'person') })
        .finalChatCompletion()
        .then(
          () => undefined,
          (err: unknown) => err,
        );

      expect((failure as Error | undefined)?.constructor.name).toBe(ContentFilterFinishReasonError.name);
      expectPersonSchemaSent(upstream);
    });

    it.each([false, true])('gives responses.parse an incomplete response with output_parsed null (streamed: %s)', async (streamed) => {
      refuse[upstream]();
      const body = { model: MODEL[upstream], input: 'Who wrote the first program?', text: { format: zodTextFormat(Person, 'person') } };

      const response = streamed ? await client.responses.stream(body).finalResponse() : await client.responses.parse(body);

      expect(response.status).toBe('incomplete');
      expect(response.incomplete_details).toEqual({ reason: 'content_filter' });
      expect(response.output_parsed).toBeNull();
    });
  });
});

describe('a streamed structured answer from a translated provider', () => {
  const GAP_MS = 60;
  /** Person's JSON streamed by Claude a few characters at a time, GAP_MS before each event. */
  const slowPerson = () => {
    const json = JSON.stringify(PERSON);
    const chunks = json.match(/.{1,8}/g)!;
    const body = streamEvents('claude-sonnet-4-6', [{ type: 'text', text: json, chunks }], 'end_turn', { input: 12, output: chunks.length });
    anthropic.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body, delayMs: GAP_MS });
    return chunks.length;
  };

  it('is not held: the first content delta reaches the client well before the finish, not in the same burst', async () => {
    const chunks = slowPerson();

    const stream = await client.chat.completions.create({ model: 'claude', messages, stream: true, response_format: zodResponseFormat(Person, 'person') });
    const deltas: string[] = [];
    let firstAt: number | undefined;
    let finishAt: number | undefined;
    for await (const chunk of stream) {
      const at = performance.now();
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        deltas.push(choice.delta.content);
        firstAt ??= at;
      }
      if (choice?.finish_reason) finishAt = at;
    }

    expect(deltas.join('')).toBe(JSON.stringify(PERSON));
    expect(deltas.length).toBeGreaterThan(3);
    // Claude pauses GAP_MS before each event, so its stop reason leaves at least `chunks` pauses after
    // its first text: held text would reach the client in one burst with the finish. Timed between two
    // arrivals at the client, not from the request, so a slow start on a loaded machine cannot fail it.
    expect(finishAt! - firstAt!).toBeGreaterThanOrEqual((chunks * GAP_MS) / 3);
  });

  it('still gives chat.completions.stream(...) the parsed object, event by event', async () => {
    slowPerson();

    const final = await client.chat.completions.stream({ model: 'claude', messages, response_format: zodResponseFormat(Person, 'person') }).finalChatCompletion();

    expect(final.choices[0]!.message.parsed).toEqual(PERSON);
  });
});
