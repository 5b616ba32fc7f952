import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { AssistantContentPart, decodeChatRequest, isPlainTextPart, plainTranslatedFields, TextContentPart, TranslatedFields, UserContentPart } from './decode';

const base = { model: 'gpt-4o' };
const hi = { role: 'user', content: 'Hi' };

describe('decodeChatRequest', () => {
  const cases: { name: string; input: Record<string, unknown>; expected: Partial<ChatRequest> }[] = [
    {
      name: 'decodes a plain user message and the client model name',
      input: { ...base, messages: [hi] },
      expected: { model: 'gpt-4o', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false },
    },
    {
      name: 'turns system and developer messages into system parts in order, also from the middle of the history',
      input: {
        ...base,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
          hi,
          { role: 'assistant', content: 'Salut' },
          { role: 'system', content: 'Now use German.' },
          { role: 'user', content: 'Again' },
        ],
      },
      expected: {
        system: [
          { type: 'text', text: 'Be terse.' },
          { type: 'text', text: 'Use French.' },
          { type: 'text', text: 'Now use German.' },
        ],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'Salut' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Again' }] },
        ],
      },
    },
    {
      name: 'decodes images as base64 or url sources keeping detail, and files as documents',
      input: {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look', cache_control: { type: 'ephemeral' } },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K', detail: 'low' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
              { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0x' } },
            ],
          },
        ],
      },
      expected: {
        messages: [
          {
            role: 'user',
            parts: [
              { type: 'text', text: 'Look', cacheControl: { type: 'ephemeral' } },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0K' }, detail: 'low' },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0x' }, title: 'a.pdf' },
            ],
          },
        ],
      },
    },
    {
      name: 'folds consecutive tool messages and the user message after them into one user message with tool names',
      input: {
        ...base,
        messages: [
          hi,
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
          { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '12:00' }] },
          { role: 'user', content: 'Thanks' },
          { role: 'assistant', content: '', tool_calls: [{ id: 'call_c', type: 'function', function: { name: 'time', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_c', content: '13:00' },
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
          {
            role: 'assistant',
            parts: [
              { type: 'tool_call', id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
              { type: 'tool_call', id: 'call_b', name: 'time', arguments: '' },
            ],
          },
          {
            role: 'user',
            parts: [
              { type: 'tool_result', toolCallId: 'call_a', name: 'weather', content: 'sunny' },
              { type: 'tool_result', toolCallId: 'call_b', name: 'time', content: [{ type: 'text', text: '12:00' }] },
              { type: 'text', text: 'Thanks' },
            ],
          },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_c', name: 'time', arguments: '{}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_c', name: 'time', content: '13:00' }] },
        ],
      },
    },
    {
      name: 'reads an image in a tool message (Zed sends what read_file gives for a PNG) into the tool result',
      input: {
        ...base,
        messages: [
          hi,
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_a', content: [{ type: 'text', text: 'pixel.png:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] },
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_a', name: 'read_file', arguments: '{}' }] },
          {
            role: 'user',
            parts: [{ type: 'tool_result', toolCallId: 'call_a', name: 'read_file', content: [{ type: 'text', text: 'pixel.png:' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AA==' } }] }],
          },
        ],
      },
    },
    {
      name: 'keeps assistant text parts and reads a refusal part as text',
      input: { ...base, messages: [hi, { role: 'assistant', content: [{ type: 'text', text: 'A' }, { type: 'refusal', refusal: 'No.' }] }, hi] },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'A' }, { type: 'text', text: 'No.' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
        ],
      },
    },
    {
      name: 'decodes tools, a named tool choice and parallel_tool_calls',
      input: {
        ...base,
        messages: [hi],
        tools: [
          { type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } },
          { type: 'function', function: { name: 'noop' } },
        ],
        tool_choice: { type: 'function', function: { name: 'weather' } },
        parallel_tool_calls: false,
      },
      expected: {
        tools: [
          { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
          { name: 'noop', parameters: { type: 'object', properties: {} } },
        ],
        toolChoice: { type: 'tool', name: 'weather' },
        parallelToolCalls: false,
      },
    },
    {
      name: 'decodes the string tool choices',
      input: { ...base, messages: [hi], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' },
      expected: { toolChoice: { type: 'required' } },
    },
    {
      name: 'prefers max_completion_tokens to max_tokens and wraps a single stop string',
      input: { ...base, messages: [hi], max_tokens: 10, max_completion_tokens: 20, stop: 'END' },
      expected: { maxTokens: 20, stop: ['END'] },
    },
    {
      name: 'reads max_tokens, a stop array and the sampling options',
      input: { ...base, messages: [hi], max_tokens: 10, stop: ['a', 'b'], temperature: 0.2, top_p: 0.9, seed: 7, user: 'u-1', stream: true },
      expected: { maxTokens: 10, stop: ['a', 'b'], temperature: 0.2, topP: 0.9, seed: 7, user: 'u-1', stream: true },
    },
    {
      name: 'uses safety_identifier as the end-user id when user is absent',
      input: { ...base, messages: [hi], safety_identifier: 'hash-1' },
      expected: { user: 'hash-1' },
    },
    {
      name: 'decodes a json_schema response format',
      input: { ...base, messages: [hi], response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } } },
      expected: { responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
    },
    {
      name: 'decodes a json_object response format',
      input: { ...base, messages: [hi], response_format: { type: 'json_object' } },
      expected: { responseFormat: { type: 'json_object' } },
    },
    {
      name: 'maps reasoning_effort to the reasoning effort',
      input: { ...base, messages: [hi], reasoning_effort: 'high' },
      expected: { reasoning: { effort: 'high' } },
    },
    {
      name: "reads reasoning_effort 'xhigh' (Zed sends it from its settings) as the most there is elsewhere, high, as the Responses and Messages surfaces do",
      input: { ...base, messages: [hi], reasoning_effort: 'xhigh' },
      expected: { reasoning: { effort: 'high' } },
    },
    {
      name: "treats reasoning_effort 'none' as no reasoning options",
      input: { ...base, messages: [hi], reasoning_effort: 'none' },
      expected: { reasoning: undefined },
    },
    {
      name: 'accepts neutral values of fields it would otherwise refuse, and ignores platform bookkeeping',
      input: { ...base, messages: [hi], n: 1, logprobs: false, presence_penalty: 0, frequency_penalty: 0, modalities: ['text'], store: true, metadata: { a: 'b' }, service_tier: 'auto' },
      expected: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }] },
    },
  ];

  it.each(cases)('$name', ({ input, expected }) => {
    // Act
    const req = decodeChatRequest(input);

    // Assess
    const absent = Object.keys(expected).filter((key) => expected[key as keyof ChatRequest] === undefined);
    expect(req).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, value]) => value !== undefined)));
    for (const key of absent) expect(req).not.toHaveProperty(key);
  });

  const refusals: { name: string; input: Record<string, unknown>; param: string }[] = [
    { name: 'refuses n > 1', input: { n: 2 }, param: 'n' },
    { name: 'refuses logprobs', input: { logprobs: true }, param: 'logprobs' },
    { name: 'refuses top_logprobs', input: { top_logprobs: 2 }, param: 'top_logprobs' },
    { name: 'refuses audio output', input: { audio: { voice: 'alloy', format: 'wav' } }, param: 'audio' },
    { name: 'refuses the audio modality', input: { modalities: ['text', 'audio'] }, param: 'modalities' },
    { name: 'refuses the legacy functions parameter', input: { functions: [{ name: 'f' }] }, param: 'functions' },
    { name: 'refuses the legacy function_call parameter', input: { function_call: 'auto' }, param: 'function_call' },
    { name: 'refuses a presence penalty', input: { presence_penalty: 0.5 }, param: 'presence_penalty' },
    { name: 'refuses logit_bias', input: { logit_bias: { '50256': -100 } }, param: 'logit_bias' },
    { name: 'refuses a reasoning effort OpenAI does not have', input: { reasoning_effort: 'extreme' }, param: 'reasoning_effort' },
    { name: 'refuses the function role', input: { messages: [hi, { role: 'function', name: 'f', content: 'x' }] }, param: 'messages[1].role' },
    { name: 'refuses audio input naming the part', input: { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, param: 'messages[0].content[0]' },
    { name: 'refuses a file uploaded to OpenAI', input: { messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }, param: 'messages[0].content[0].file.file_id' },
    { name: 'refuses a data URL that is not base64', input: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }] }] }, param: 'messages[0].content[0].image_url.url' },
    { name: 'refuses an unknown content part type', input: { messages: [{ role: 'user', content: [{ type: 'video', video: {} }] }] }, param: 'messages[0].content[0].type' },
    { name: 'refuses a json_schema format without a name', input: { response_format: { type: 'json_schema', json_schema: { schema: {} } } }, param: 'response_format.json_schema.name' },
    {
      name: 'refuses a file in a tool message, naming the part',
      input: { messages: [hi, { role: 'tool', tool_call_id: 'c', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,AA==' } }] }] },
      param: 'messages[1].content[0]',
    },
    { name: 'refuses audio in a tool message, naming the part', input: { messages: [hi, { role: 'tool', tool_call_id: 'c', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, param: 'messages[1].content[0]' },
    { name: 'refuses an assistant audio reference', input: { messages: [hi, { role: 'assistant', content: null, audio: { id: 'audio_1' } }] }, param: 'messages[1].audio' },
    { name: 'refuses what the OpenAI schema refuses, naming the field', input: { messages: [] }, param: 'messages' },
  ];

  it.each(refusals)('$name with a 400 naming the field', ({ input, param }) => {
    // Act
    let caught: unknown;
    try {
      decodeChatRequest({ ...base, messages: [hi], ...input });
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ status: 400, kind: 'invalid_request', param });
  });
});

describe('decodeChatRequest on random input', () => {
  /** A small seeded generator, so a failure can be replayed. */
  function random(seed: number): () => number {
    let s = seed;
    return () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31;
    };
  }
  const atoms = [null, true, 0, 2, -1, 0.5, '', 'x', 'data:image/png;base64,AA', 'user', 'tool', 'assistant', 'function', 'text', 'image_url', 'file', [], {}];
  const keys = ['role', 'content', 'type', 'text', 'image_url', 'url', 'file', 'file_data', 'tool_calls', 'tool_call_id', 'id', 'function', 'name', 'arguments', 'json_schema', 'schema'];
  function value(next: () => number, depth: number): unknown {
    const r = next();
    if (depth > 3 || r < 0.5) return atoms[Math.floor(next() * atoms.length)];
    if (r < 0.7) return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [keys[Math.floor(next() * keys.length)]!, value(next, depth + 1)]));
  }

  it('either decodes or throws a GatewayError, never anything else', () => {
    const next = random(42);
    for (let i = 0; i < 2000; i++) {
      // Prepare
      const body = { model: 'm', messages: Array.from({ length: 1 + Math.floor(next() * 3) }, () => value(next, 1)), response_format: next() < 0.2 ? value(next, 2) : undefined };

      // Act
      let caught: unknown;
      try {
        decodeChatRequest(body);
      } catch (err) {
        caught = err;
      }

      // Assess
      if (caught !== undefined && !(caught instanceof GatewayError)) throw new Error(`case ${i}: ${String(caught)} for ${JSON.stringify(body)}`);
    }
  });
});

describe('the quick checks of the fields a translation reads and of text parts', () => {
  const tool = { type: 'function', function: { name: 'read', parameters: { type: 'object' } } };
  const plainBodies: Array<[string, Record<string, unknown>]> = [
    ['none of the fields', { ...base, messages: [hi] }],
    ['parallel_tool_calls', { ...base, messages: [hi], parallel_tool_calls: false }],
    ['a seed', { ...base, messages: [hi], seed: 7 }],
    ['a negative seed', { ...base, messages: [hi], seed: -7 }],
    ['each effort', { ...base, messages: [hi], reasoning_effort: 'minimal' }],
    ['no effort', { ...base, messages: [hi], reasoning_effort: 'none' }],
    ['the most effort (Zed’s xhigh)', { ...base, messages: [hi], reasoning_effort: 'xhigh' }],
    ['a safety_identifier', { ...base, messages: [hi], safety_identifier: 'u-1' }],
    ['nulls everywhere', { ...base, messages: [hi], parallel_tool_calls: null, seed: null, reasoning_effort: null, safety_identifier: null, response_format: null }],
    ['tools', { ...base, messages: [hi], tools: [tool] }],
    ['a strict tool', { ...base, messages: [hi], tools: [{ ...tool, function: { ...tool.function, strict: true } }] }],
  ];
  const otherBodies: Array<[string, Record<string, unknown>]> = [
    ['parallel_tool_calls as a string', { ...base, parallel_tool_calls: 'yes' }],
    ['a fractional seed', { ...base, seed: 1.5 }],
    ['a seed past the safe integers', { ...base, seed: 2 ** 60 }],
    ['a seed as a string', { ...base, seed: '7' }],
    ['an effort OpenAI does not have', { ...base, reasoning_effort: 'extreme' }],
    ['an effort as a number', { ...base, reasoning_effort: 1 }],
    ['a safety_identifier as a number', { ...base, safety_identifier: 1 }],
    ['a response_format', { ...base, response_format: { type: 'json_object' } }],
    ['a response_format of no known type', { ...base, response_format: { type: 'yaml' } }],
    ['tools as an object', { ...base, tools: tool }],
    ['a tool without a function', { ...base, tools: [{ type: 'function' }] }],
    ['a strict tool as a string', { ...base, tools: [{ ...tool, function: { ...tool.function, strict: 'yes' } }] }],
    ['a tool with a cache mark', { ...base, tools: [{ ...tool, cache_control: { type: 'ephemeral' } }] }],
    ['a tool with a bad cache mark', { ...base, tools: [{ ...tool, cache_control: { type: 'forever' } }] }],
  ];
  const read = ['parallel_tool_calls', 'seed', 'reasoning_effort', 'safety_identifier', 'response_format', 'tools'] as const;

  // Over the bodies the check passes (on the others it asserts nothing: 'leaves the rest to the schema' does).
  it.each(plainBodies)('never accepts fields the schema refuses, and reads those it accepts as the schema gives them: %s', (_name, body) => {
    // Act
    const quick = plainTranslatedFields(body);
    const schema = TranslatedFields.safeParse(body);

    // Assess
    expect(quick).toBe(true);
    expect(schema.success).toBe(true);
    for (const field of read) expect(body[field]).toEqual(schema.data?.[field]);
  });

  it.each(plainBodies)('passes the fields real clients send without the schema: %s', (_name, body) => {
    expect(plainTranslatedFields(body)).toBe(true);
  });

  it.each(otherBodies)('leaves the rest to the schema: %s', (_name, body) => {
    expect(plainTranslatedFields(body)).toBe(false);
  });

  const parts: Array<[string, unknown, boolean]> = [
    ['a text part', { type: 'text', text: 'Hi' }, true],
    ['an empty text part', { type: 'text', text: '' }, true],
    ['a text part with fields of its own', { type: 'text', text: 'Hi', annotations: [] }, true],
    ['a text part with a cache mark', { type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }, false],
    ['a text part with a bad cache mark', { type: 'text', text: 'Hi', cache_control: 'yes' }, false],
    ['a text part without text', { type: 'text' }, false],
    ['a text part with text as a number', { type: 'text', text: 1 }, false],
    ['an image part', { type: 'image_url', image_url: { url: 'https://x/y.png' } }, false],
    ['a refusal', { type: 'refusal', refusal: 'no' }, false],
    ['a list', [], false],
    ['null', null, false],
  ];

  it.each(parts)('reads a part as every content schema does, or leaves it to them: %s', (_name, part, plain) => {
    // Act
    const quick = isPlainTextPart(part);

    // Assess
    expect(quick).toBe(plain);
    if (!quick) return;
    for (const schema of [TextContentPart, UserContentPart, AssistantContentPart]) {
      const parsed = schema.safeParse(part);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toMatchObject({ type: 'text', text: part.text });
      expect((parsed.data as { cache_control?: unknown }).cache_control).toBeUndefined();
    }
  });

  it('decodes text parts read without the schema as it decodes those read with it', () => {
    // Prepare
    const body = {
      ...base,
      seed: 3,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Cached.', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'there', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'Hello' }, { type: 'refusal', refusal: 'No.' }] },
        hi,
      ],
    };

    // Act
    const req = decodeChatRequest(body);

    // Assess
    expect(req.seed).toBe(3);
    expect(req.system).toEqual([{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Cached.', cacheControl: { type: 'ephemeral' } }]);
    expect(req.messages).toEqual([
      { role: 'user', parts: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'there', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'No.' }] },
      { role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
    ]);
  });
});
