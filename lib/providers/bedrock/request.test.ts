import type { ChatRequest, Message } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { inClientFields, type FieldTable } from '../../surfaces/error-fields';
import { cachePointFields, NO_TOOLS_PLACEHOLDER, toConverseBody } from './request';

const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const LLAMA = 'meta.llama3-1-70b-instruct-v1:0';
const NOVA = 'amazon.nova-pro-v1:0';
const EMPTY_SCHEMA = { type: 'object', properties: {} };
const TOOL = { name: 'a', parameters: EMPTY_SCHEMA };

const base = (over: Partial<ChatRequest> = {}): ChatRequest => ({ model: CLAUDE, system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], stream: false, ...over });
const user = (...parts: Extract<Message, { role: 'user' }>['parts']): Message => ({ role: 'user', parts });
const assistant = (...parts: Extract<Message, { role: 'assistant' }>['parts']): Message => ({ role: 'assistant', parts });
const call = (id: string, name: string, args = '{}') => ({ type: 'tool_call' as const, id, name, arguments: args });
const result = (toolCallId: string, content: string, extra: { isError?: boolean; name?: string } = {}) => ({ type: 'tool_result' as const, toolCallId, content, ...extra });

describe('toConverseBody', () => {
  const cases: { name: string; input: ChatRequest; expected: Record<string, unknown> }[] = [
    {
      name: 'sends a plain user turn as one text block, with nothing else',
      input: base(),
      expected: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    },
    {
      name: 'puts system prompts into system blocks and skips blank ones',
      input: base({ system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: '  ' }, { type: 'text', text: 'Be kind.' }] }),
      expected: { system: [{ text: 'Be brief.' }, { text: 'Be kind.' }] },
    },
    {
      name: 'maps sampling options and limits into inferenceConfig',
      input: base({ maxTokens: 100, temperature: 0.2, topP: 0.9, stop: ['END', ''] }),
      expected: { inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END'] }, additionalModelResponseFieldPaths: ['/stop_sequence'] },
    },
    {
      name: 'drops whitespace-only stop sequences for Claude, which refuses them',
      input: base({ stop: ['\n', 'END'] }),
      expected: { inferenceConfig: { stopSequences: ['END'] } },
    },
    {
      name: 'keeps a newline stop sequence for other models and asks for no response fields',
      input: base({ model: LLAMA, stop: ['\n'] }),
      expected: { inferenceConfig: { stopSequences: ['\n'] }, additionalModelResponseFieldPaths: undefined },
    },
    {
      name: 'sends top_k to Claude in additionalModelRequestFields',
      input: base({ topK: 40 }),
      expected: { additionalModelRequestFields: { top_k: 40 } },
    },
    {
      name: 'sends top-k to Nova inside its own inferenceConfig field',
      input: base({ model: NOVA, topK: 40 }),
      expected: { additionalModelRequestFields: { inferenceConfig: { topK: 40 } } },
    },
    {
      name: 'raises a thinking budget under Anthropic\'s least (Gemini\'s go down to 128) to 1 024',
      input: base({ reasoning: { budgetTokens: 128 } }),
      expected: { additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } } },
    },
    {
      name: 'turns a thinking budget into Claude thinking',
      input: base({ reasoning: { budgetTokens: 3000 } }),
      expected: { additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 3000 } } },
    },
    {
      name: 'sends the client’s temperature to Claude when the policy’s maxTokens leaves no room for the effort’s thinking, which is then not turned on',
      input: base({ temperature: 0.2, maxTokens: 100, reasoning: { effort: 'low' }, setByPolicy: { maxTokens: true } }),
      expected: { additionalModelRequestFields: undefined, inferenceConfig: { maxTokens: 100, temperature: 0.2 } },
    },
    {
      name: 'turns reasoning_effort into a thinking budget for Claude',
      input: base({ model: 'us.anthropic.claude-sonnet-4-20250514-v1:0', reasoning: { effort: 'high' } }),
      expected: { additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 4096 } } },
    },
    {
      name: 'leaves out the client’s temperature and top_p when it asked Claude for thinking as an effort (Roo Code’s temperature 0 beside reasoning_effort)',
      input: base({ temperature: 0, topP: 0.9, reasoning: { effort: 'medium' } }),
      expected: { additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } }, inferenceConfig: undefined },
    },
    {
      name: 'passes reasoning_effort to OpenAI open-weight models',
      input: base({ model: 'openai.gpt-oss-120b-1:0', reasoning: { effort: 'low' } }),
      expected: { additionalModelRequestFields: { reasoning_effort: 'low' } },
    },
    {
      name: 'merges consecutive turns of one role, since Converse wants them alternating',
      input: base({ messages: [user({ type: 'text', text: 'a' }), user({ type: 'text', text: 'b' }), assistant({ type: 'text', text: 'c' })] }),
      expected: { messages: [{ role: 'user', content: [{ text: 'a' }, { text: 'b' }] }, { role: 'assistant', content: [{ text: 'c' }] }] },
    },
    {
      name: 'never sends an empty text block, and drops a turn left empty',
      input: base({ messages: [user({ type: 'text', text: 'a' }), assistant({ type: 'text', text: '' }), user({ type: 'text', text: 'b' })] }),
      expected: { messages: [{ role: 'user', content: [{ text: 'a' }, { text: 'b' }] }] },
    },
    {
      name: 'sends a tool-call-only assistant turn as toolUse blocks with object input',
      input: base({
        tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
        messages: [user({ type: 'text', text: 'weather?' }), assistant({ type: 'text', text: '' }, call('call_1', 'get_weather', '{"city":"Paris"}')), user(result('call_1', 'sunny'))],
      }),
      expected: {
        messages: [
          { role: 'user', content: [{ text: 'weather?' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: 'sunny' }] } }] },
        ],
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', description: 'Weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }] },
      },
    },
    {
      name: 'reads empty arguments as {} and sanitises tool ids the same way in calls and results',
      input: base({
        tools: [{ name: 'now', parameters: {} }],
        messages: [user({ type: 'text', text: 'time?' }), assistant(call('call.1:x', 'now', '')), user(result('call.1:x', 'noon'))],
      }),
      expected: {
        messages: [
          { role: 'user', content: [{ text: 'time?' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1_x', name: 'now', input: {} } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 'call_1_x', content: [{ text: 'noon' }] } }] },
        ],
        toolConfig: { tools: [{ toolSpec: { name: 'now', inputSchema: { json: EMPTY_SCHEMA } } }] },
      },
    },
    {
      name: 'puts tool results first in a user turn, marks errors, and sends an empty result as no content',
      input: base({
        tools: [{ name: 'a', parameters: EMPTY_SCHEMA }],
        messages: [user({ type: 'text', text: 'go' }), assistant(call('t1', 'a'), call('t2', 'a')), user({ type: 'text', text: 'and then?' }, result('t1', 'boom', { isError: true }), result('t2', ''))],
      }),
      expected: {
        messages: [
          { role: 'user', content: [{ text: 'go' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'a', input: {} } }, { toolUse: { toolUseId: 't2', name: 'a', input: {} } }] },
          {
            role: 'user',
            content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'boom' }], status: 'error' } }, { toolResult: { toolUseId: 't2', content: [] } }, { text: 'and then?' }],
          },
        ],
      },
    },
    {
      name: 'synthesises minimal tool specs from the history when the request has tool blocks but no tools',
      input: base({ messages: [user({ type: 'text', text: 'go' }), assistant(call('t1', 'search'), call('t2', 'fetch')), user(result('t1', 'x'), result('t2', 'y'))] }),
      expected: { toolConfig: { tools: [{ toolSpec: { name: 'search', inputSchema: { json: EMPTY_SCHEMA } } }, { toolSpec: { name: 'fetch', inputSchema: { json: EMPTY_SCHEMA } } }] } },
    },
    {
      name: 'sends no tools for tool_choice none when the history has no tool blocks',
      input: base({ tools: [{ name: 'a', parameters: EMPTY_SCHEMA }], toolChoice: { type: 'none' } }),
      expected: { toolConfig: undefined },
    },
    {
      name: 'sends only the inert placeholder for tool_choice none when the history has tool blocks',
      input: base({
        tools: [{ name: 'a', parameters: EMPTY_SCHEMA }],
        toolChoice: { type: 'none' },
        messages: [user({ type: 'text', text: 'go' }), assistant(call('t1', 'a')), user(result('t1', 'x'))],
      }),
      expected: { toolConfig: { tools: [NO_TOOLS_PLACEHOLDER] } },
    },
    {
      name: 'maps tool_choice required to any and a named tool to tool, leaving auto to the default',
      input: base({ tools: [{ name: 'a', parameters: EMPTY_SCHEMA, strict: true }], toolChoice: { type: 'tool', name: 'a' } }),
      expected: { toolConfig: { tools: [{ toolSpec: { name: 'a', inputSchema: { json: EMPTY_SCHEMA }, strict: true } }], toolChoice: { tool: { name: 'a' } } } },
    },
    {
      name: 'maps tool_choice required to any',
      input: base({ tools: [{ name: 'a', parameters: EMPTY_SCHEMA }], toolChoice: { type: 'required' } }),
      expected: { toolConfig: { tools: [{ toolSpec: { name: 'a', inputSchema: { json: EMPTY_SCHEMA } } }], toolChoice: { any: {} } } },
    },
    {
      name: 'sends base64 images and data URLs as image bytes with their format',
      input: base({
        messages: [
          user(
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image', source: { kind: 'url', url: 's3://bucket/cat.webp' } },
          ),
        ],
      }),
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } },
              { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } },
              { image: { format: 'webp', source: { s3Location: { uri: 's3://bucket/cat.webp' } } } },
            ],
          },
        ],
      },
    },
    {
      name: 'sends documents with a format and a unique name Bedrock accepts',
      input: base({
        messages: [
          user(
            { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, title: 'Q3 report: final.pdf' },
            { type: 'document', source: { kind: 'text', text: 'plain' }, title: 'Q3 report: final.pdf' },
            { type: 'document', source: { kind: 'base64', mediaType: 'text/csv', data: 'YSxi' } },
          ),
        ],
      }),
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              { document: { format: 'pdf', name: 'Q3 report- final-pdf', source: { bytes: 'JVBERi0=' } } },
              { document: { format: 'txt', name: 'Q3 report- final-pdf (2)', source: { bytes: 'cGxhaW4=' } } },
              { document: { format: 'csv', name: 'document-3', source: { bytes: 'YSxi' } } },
            ],
          },
        ],
      },
    },
    {
      name: 'keeps thinking with its signature and redacted thinking in assistant turns',
      input: base({
        messages: [user({ type: 'text', text: 'q' }), assistant({ type: 'thinking', text: 'hmm', signature: 'sig==' }, { type: 'redacted_thinking', data: 'ZW5j' }, { type: 'text', text: 'a' })],
      }),
      expected: {
        messages: [
          { role: 'user', content: [{ text: 'q' }] },
          { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig==' } } }, { reasoningContent: { redactedContent: 'ZW5j' } }, { text: 'a' }] },
        ],
      },
    },
    {
      name: 'puts a cache point behind each system, message and tool block that carried cache_control, for Claude',
      input: base({
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        messages: [user({ type: 'text', text: 'long', cacheControl: { type: 'ephemeral', ttl: '1h' } })],
        tools: [{ name: 'a', parameters: EMPTY_SCHEMA, cacheControl: { type: 'ephemeral' } }],
      }),
      expected: {
        system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
        messages: [{ role: 'user', content: [{ text: 'long' }, { cachePoint: { type: 'default', ttl: '1h' } }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'a', inputSchema: { json: EMPTY_SCHEMA } } }, { cachePoint: { type: 'default' } }] },
      },
    },
    {
      // "Max checkpoints per request: 4" for Claude and Nova (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html).
      name: 'sends at most four cache points, leaving off the earliest turns’ marks first (a client marking every user turn)',
      input: base({
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        messages: ['a', 'b', 'c', 'd', 'e'].flatMap((text): Message[] => [user({ type: 'text', text, cacheControl: { type: 'ephemeral' } }), { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] }]).slice(0, -1),
      }),
      expected: {
        system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
        messages: ['a', 'b', 'c', 'd', 'e'].flatMap((text, i) => [
          { role: 'user', content: i < 2 ? [{ text }] : [{ text }, { cachePoint: { type: 'default' } }] },
          { role: 'assistant', content: [{ text: 'ok' }] },
        ]).slice(0, -1),
      },
    },
    {
      name: 'does not count a mark inside a tool result’s content, where Converse has no cache point, against the four',
      input: base({
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        tools: [{ name: 'read', parameters: EMPTY_SCHEMA }],
        messages: [
          user({ type: 'text', text: 'a', cacheControl: { type: 'ephemeral' } }),
          { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'read', arguments: '{}' }] },
          user({ type: 'tool_result', toolCallId: 't1', content: [{ type: 'text', text: 'file', cacheControl: { type: 'ephemeral' } }] }, { type: 'text', text: 'b', cacheControl: { type: 'ephemeral' } }),
          { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] },
          user({ type: 'text', text: 'c', cacheControl: { type: 'ephemeral' } }),
        ],
      }),
      expected: {
        system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
        messages: [
          { role: 'user', content: [{ text: 'a' }, { cachePoint: { type: 'default' } }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'read', input: {} } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'file' }] } }, { text: 'b' }, { cachePoint: { type: 'default' } }] },
          { role: 'assistant', content: [{ text: 'ok' }] },
          { role: 'user', content: [{ text: 'c' }, { cachePoint: { type: 'default' } }] },
        ],
      },
    },
    {
      name: 'drops cache_control for models without prompt caching',
      input: base({ model: LLAMA, system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }] }),
      expected: { system: [{ text: 'sys' }] },
    },
    {
      name: 'maps a json_schema response format to native structured output',
      input: base({ responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { n: { type: 'number' } } } } }),
      expected: { outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{"type":"object","properties":{"n":{"type":"number"}}}', name: 'answer' } } } } },
    },
    {
      name: 'sends the end user as request metadata',
      input: base({ user: 'user-42@example.com' }),
      expected: { requestMetadata: { user: 'user-42@example.com' } },
    },
  ];

  it.each<{ name: string; input: Partial<ChatRequest>; additional: unknown; toolChoice?: unknown }>([
    // Converse has no field for it: Claude takes Anthropic's own in additionalModelRequestFields. With no
    // toolChoice Bedrock sends Claude none, so the type must come along ("missing field `type`" otherwise);
    // beside a toolChoice Bedrock refuses a second type ("tool_choice/type conflicts with toolConfig.toolChoice").
    { name: 'sends Claude disable_parallel_tool_use with type auto when no tool choice is set', input: { tools: [TOOL] }, additional: { tool_choice: { type: 'auto', disable_parallel_tool_use: true } } },
    { name: 'sends Claude disable_parallel_tool_use with type auto for tool_choice auto', input: { tools: [TOOL], toolChoice: { type: 'auto' } }, additional: { tool_choice: { type: 'auto', disable_parallel_tool_use: true } } },
    {
      name: 'sends Claude disable_parallel_tool_use alone beside a forced tool, which brings its own type',
      input: { tools: [TOOL], toolChoice: { type: 'tool', name: 'a' } },
      additional: { tool_choice: { disable_parallel_tool_use: true } },
      toolChoice: { tool: { name: 'a' } },
    },
    { name: 'sends Claude disable_parallel_tool_use alone beside tool_choice required', input: { tools: [TOOL], toolChoice: { type: 'required' } }, additional: { tool_choice: { disable_parallel_tool_use: true } }, toolChoice: { any: {} } },
    { name: 'keeps it beside Claude thinking', input: { tools: [TOOL], reasoning: { budgetTokens: 2048 } }, additional: { thinking: { type: 'enabled', budget_tokens: 2048 }, tool_choice: { type: 'auto', disable_parallel_tool_use: true } } },
    { name: 'drops it without tools, where no call can be made (clients such as n8n send it on every turn)', input: {}, additional: undefined },
    { name: 'sends nothing for a model with no switch for it (its answer is held to the first call, response.ts)', input: { model: LLAMA, tools: [TOOL] }, additional: undefined },
    { name: 'sends nothing for a model with no switch when no tools are offered', input: { model: LLAMA }, additional: undefined },
    { name: 'drops it with tool_choice none, which offers Claude no tool', input: { tools: [TOOL], toolChoice: { type: 'none' } }, additional: undefined },
  ])('parallel_tool_calls false: $name', ({ input, additional, toolChoice }) => {
    // Act
    const body = toConverseBody(base({ ...input, parallelToolCalls: false }));

    // Assess
    expect(body.additionalModelRequestFields).toEqual(additional);
    expect(body.toolConfig?.toolChoice).toEqual(toolChoice);
  });

  it.each(cases)('$name', ({ input, expected }) => {
    // Act
    const body = toConverseBody(input) as unknown as Record<string, unknown>;

    // Assess
    for (const [key, value] of Object.entries(expected)) expect(body[key]).toEqual(value);
  });

  const refusals: { name: string; input: ChatRequest; param: string }[] = [
    { name: 'refuses seed', input: base({ seed: 1 }), param: 'seed' },
    { name: 'refuses json_object, which has no schema to enforce', input: base({ responseFormat: { type: 'json_object' } }), param: 'response_format' },
    { name: 'refuses a user id Bedrock metadata cannot hold', input: base({ user: 'name<with>brackets' }), param: 'user' },
    { name: 'refuses reasoning for a model family without it', input: base({ model: LLAMA, reasoning: { effort: 'high' } }), param: 'reasoning_effort' },
    { name: 'refuses a temperature other than 1 with Claude thinking asked for as a budget', input: base({ temperature: 0.2, reasoning: { budgetTokens: 2048 } }), param: 'temperature' },
    { name: 'refuses a top_k with Claude thinking', input: base({ topK: 40, reasoning: { budgetTokens: 2048 } }), param: 'top_k' },
    { name: 'refuses tool_choice required without tools', input: base({ toolChoice: { type: 'required' } }), param: 'tool_choice' },
    { name: 'refuses a named tool choice that is not among the tools', input: base({ tools: [{ name: 'a', parameters: {} }], toolChoice: { type: 'tool', name: 'b' } }), param: 'tool_choice' },
    {
      name: 'refuses an http image URL, naming the part, because Bedrock needs the bytes',
      input: base({ messages: [user({ type: 'text', text: 'see' }, { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } })] }),
      param: 'messages[0].content[1]',
    },
    {
      name: 'refuses an image type Bedrock does not read',
      input: base({ messages: [user({ type: 'image', source: { kind: 'base64', mediaType: 'image/bmp', data: 'Qk0=' } })] }),
      param: 'messages[0].content[0]',
    },
    {
      name: 'refuses tool arguments that are not JSON',
      input: base({ tools: [{ name: 'a', parameters: {} }], messages: [user({ type: 'text', text: 'x' }), assistant(call('t', 'a', '[1,2'))] }),
      param: 'messages[1].content[0].arguments',
    },
    {
      name: 'refuses tool arguments that are not a JSON object',
      input: base({ tools: [{ name: 'a', parameters: {} }], messages: [user({ type: 'text', text: 'x' }), assistant({ type: 'text', text: 'Looking.' }, call('t', 'a', '[1,2]'))] }),
      param: 'messages[1].content[1].arguments',
    },
    {
      name: 'refuses an S3 image whose name gives no format Bedrock reads',
      input: base({ messages: [user({ type: 'text', text: 'see' }, { type: 'image', source: { kind: 'url', url: 's3://bucket/cat.bmp' } })] }),
      param: 'messages[0].content[1]',
    },
    {
      name: 'refuses an image URL inside a tool result, naming its place in the result',
      input: base({
        tools: [TOOL],
        messages: [
          user({ type: 'text', text: 'x' }),
          assistant(call('t', 'a')),
          user({ type: 'tool_result', toolCallId: 't', content: [{ type: 'text', text: 'here' }, { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } }] }),
        ],
      }),
      param: 'messages[2].content[0].content[1]',
    },
    {
      name: 'refuses a document URL',
      input: base({ messages: [user({ type: 'text', text: 'read' }, { type: 'document', source: { kind: 'url', url: 'https://example.com/a.pdf' } })] }),
      param: 'messages[0].content[1]',
    },
    {
      name: 'refuses a document type Bedrock does not read',
      input: base({ messages: [user({ type: 'document', source: { kind: 'base64', mediaType: 'application/zip', data: 'UEs=' } })] }),
      param: 'messages[0].content[0]',
    },
  ];

  it.each(refusals)('$name with a 400 naming the field and the provider', ({ input, param }) => {
    // Act
    const failure = (() => {
      try {
        toConverseBody(input);
      } catch (err) {
        return err;
      }
      return undefined;
    })();

    // Assess
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ status: 400, param });
    expect((failure as Error).message).toMatch(/bedrock|tool/);
  });

  it.each(refusals)('$name, quoting the field in its message, where a surface can rename it', ({ input, param }) => {
    // Arrange: a client API whose name for the field is another (the Gemini API's error body carries only the message).
    const table: FieldTable = [[new RegExp(`^${param.replace(/[.[\]]/g, '\\$&')}$`), 'client.field']];

    // Act
    const failure = (() => {
      try {
        toConverseBody(input);
      } catch (err) {
        return err as GatewayError;
      }
      return undefined;
    })();

    // Assess
    expect(failure).toBeInstanceOf(GatewayError);
    const message = inClientFields(table, failure!).message;
    expect(message).toContain('client.field');
    expect(message).not.toContain(param);
  });
});

describe('cachePointFields', () => {
  // Bedrock's "Supported models, Regions, and limits" table for prompt caching, its column "Fields that accept prompt cache checkpoints".
  it.each<[string, string, ReturnType<typeof cachePointFields>]>([
    ['Claude', CLAUDE, { system: true, messages: true, tools: true }],
    ['Claude through an inference profile', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', { system: true, messages: true, tools: true }],
    ['Nova Pro', NOVA, { system: true, messages: true, tools: false }],
    ['Nova Micro through an inference profile', 'us.amazon.nova-micro-v1:0', { system: true, messages: true, tools: false }],
    ['Llama', LLAMA, { system: false, messages: false, tools: false }],
    ['GPT-OSS', 'openai.gpt-oss-120b-1:0', { system: false, messages: false, tools: false }],
  ])('says where %s takes cache points', (_name, model, fields) => {
    expect(cachePointFields(model)).toEqual(fields);
  });
});

describe('cache points on Nova, which takes them in system and messages only', () => {
  it('sends no cache point among the tools, and keeps the system’s and the messages’', () => {
    // Act
    const body = toConverseBody(
      base({
        model: NOVA,
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        messages: [user({ type: 'text', text: 'long', cacheControl: { type: 'ephemeral' } })],
        tools: [{ ...TOOL, cacheControl: { type: 'ephemeral' } }],
      }),
    );

    // Assess
    expect(body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'a', inputSchema: { json: EMPTY_SCHEMA } } }] });
    expect(body.system).toEqual([{ text: 'sys' }, { cachePoint: { type: 'default' } }]);
    expect(body.messages).toEqual([{ role: 'user', content: [{ text: 'long' }, { cachePoint: { type: 'default' } }] }]);
  });

  it('does not count a tool’s mark, which does not go out, against the four', () => {
    // Act
    const body = toConverseBody(
      base({
        model: NOVA,
        messages: ['a', 'b', 'c', 'd'].flatMap((text): Message[] => [user({ type: 'text', text, cacheControl: { type: 'ephemeral' } }), assistant({ type: 'text', text: 'ok' })]).slice(0, -1),
        tools: [{ ...TOOL, cacheControl: { type: 'ephemeral' } }],
      }),
    );

    // Assess
    const points = body.messages.flatMap((m) => m.content).filter((block) => 'cachePoint' in block);
    expect(points).toHaveLength(4);
  });
});

describe('signatures of another family on Claude (Converse)', () => {
  const tools = [{ name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
  const loop = (thinking: Extract<Message, { role: 'assistant' }>['parts']): Message[] => [
    user({ type: 'text', text: 'Weather?' }),
    assistant(...thinking, call('t1', 'weather')),
    user(result('t1', '12')),
  ];

  it.each<{ name: string; thinking: Extract<Message, { role: 'assistant' }>['parts']; reasoningBlocks: number; thinkingOn: boolean }>([
    { name: "keeps Claude's signed thinking (Bedrock's and Anthropic's are one family)", thinking: [{ type: 'thinking', text: 'Plan.', signature: 'EqQB', signedBy: 'claude' }], reasoningBlocks: 1, thinkingOn: true },
    { name: "drops Gemini's thought and sends the loop without thinking", thinking: [{ type: 'thinking', text: 'Plan.', signature: 'CiQB', signedBy: 'gemini' }], reasoningBlocks: 0, thinkingOn: false },
    { name: "drops OpenAI's reasoning and sends the loop without thinking", thinking: [{ type: 'thinking', text: 'Plan.', signature: 'gAAAAABo', signedBy: 'openai' }], reasoningBlocks: 0, thinkingOn: false },
    // Claude on Bedrock refuses a reasoning block without a signature ("thinking.signature: Field required"), as Anthropic does.
    { name: "drops unsigned thinking (another model's plain reasoning) and sends the loop without thinking", thinking: [{ type: 'thinking', text: 'Plan.' }], reasoningBlocks: 0, thinkingOn: false },
  ])('$name', ({ thinking, reasoningBlocks, thinkingOn }) => {
    const body = toConverseBody(base({ messages: loop(thinking), tools, reasoning: { budgetTokens: 2048 } }));
    expect(body.messages[1]!.content.filter((b) => 'reasoningContent' in b)).toHaveLength(reasoningBlocks);
    expect(body.additionalModelRequestFields?.thinking).toEqual(thinkingOn ? { type: 'enabled', budget_tokens: 2048 } : undefined);
  });

  it('keeps unsigned reasoning for models that are not Claude (they wrote it so)', () => {
    const body = toConverseBody(base({ model: 'deepseek.r1-v1:0', messages: loop([{ type: 'thinking', text: 'Plan.' }]), tools }));
    expect(body.messages[1]!.content[0]).toEqual({ reasoningContent: { reasoningText: { text: 'Plan.' } } });
  });
});

describe('sampling options Converse leaves out for Claude, told so the usage record says so', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; dropped: string[] }>([
    { name: 'the client’s temperature and top_p beside thinking asked for as an effort', input: { temperature: 0, topP: 0.9, reasoning: { effort: 'medium' } }, dropped: ['temperature', 'topP'] },
    { name: 'a top_p the policy filled in beside the client’s temperature', input: { temperature: 0.2, topP: 0.9, setByPolicy: { topP: true } }, dropped: ['topP'] },
    { name: 'nothing without thinking', input: { temperature: 0 }, dropped: [] },
    { name: 'nothing for a model other than Claude', input: { model: 'amazon.nova-pro-v1:0', temperature: 0, reasoning: { effort: 'medium' } }, dropped: [] },
  ])('$name', ({ input, dropped }) => {
    // Prepare
    const told: string[] = [];

    // Act
    toConverseBody(base(input), undefined, undefined, (param) => told.push(param));

    // Assess
    expect(told).toEqual(dropped);
  });

  it('tells nothing of a call refused after its sampling was settled (a tool_choice naming no tool): nothing went upstream', () => {
    // Prepare
    const told: string[] = [];

    // Act
    const act = () => toConverseBody(base({ temperature: 0, reasoning: { effort: 'medium' }, tools: [TOOL], toolChoice: { type: 'tool', name: 'missing' } }), undefined, undefined, (param) => told.push(param));

    // Assess
    expect(act).toThrow('tool_choice names "missing"');
    expect(told).toEqual([]);
  });
});

describe('sampling options and Claude thinking on Converse', () => {
  it("turns no thinking on for an effort the model's policy filled in when the client set a temperature", () => {
    // Act
    const body = toConverseBody(base({ temperature: 0.2, topP: 0.5, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } }));

    // Assess
    expect(body.inferenceConfig).toEqual({ temperature: 0.2, topP: 0.5 });
    expect(body.additionalModelRequestFields).toBeUndefined();
  });

  it("leaves out a temperature the model's policy filled in when the client asked for thinking", () => {
    // Act
    const body = toConverseBody(base({ maxTokens: 8000, temperature: 0.2, reasoning: { effort: 'low' }, setByPolicy: { temperature: true } }));

    // Assess
    expect(body.inferenceConfig).toEqual({ maxTokens: 8000 });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 1024 } });
  });

  it('sends Claude one of temperature and top_p, leaving out the one the policy filled in beside the client’s', () => {
    // Act
    const body = toConverseBody(base({ temperature: 0.2, topP: 0.9, setByPolicy: { topP: true } }));

    // Assess
    expect(body.inferenceConfig).toEqual({ temperature: 0.2 });
  });

  it('keeps sampling options on a Nova model with reasoning, which takes both', () => {
    // Act
    const body = toConverseBody(base({ model: NOVA, temperature: 0.2, reasoning: { effort: 'low' } }));

    // Assess
    expect(body.inferenceConfig).toEqual({ temperature: 0.2 });
  });
});

describe('a Claude thinking budget and a maxTokens at odds (Converse)', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; thinking: unknown }>([
    { name: 'sizes the budget of an effort just under a maxTokens the policy capped', input: { maxTokens: 2000, reasoning: { effort: 'high' }, setByPolicy: { maxTokens: true } }, thinking: { type: 'enabled', budget_tokens: 1999 } },
    { name: 'does not think when the capped maxTokens leaves no room for the least budget', input: { maxTokens: 1000, reasoning: { effort: 'low' }, setByPolicy: { reasoning: true } }, thinking: undefined },
    { name: 'leaves the client’s own budget that does not fit for Bedrock to answer', input: { maxTokens: 2000, reasoning: { budgetTokens: 4096 } }, thinking: { type: 'enabled', budget_tokens: 4096 } },
    // An effort's budget is the gateway's own mapping: it gives way to the client's maxTokens, leaving the answer room.
    { name: 'lowers the budget of the client’s effort under its maxTokens, leaving the answer room', input: { maxTokens: 4096, reasoning: { effort: 'high' } }, thinking: { type: 'enabled', budget_tokens: 4096 - 1024 } },
    { name: 'keeps the least budget for the client’s effort while maxTokens is above it', input: { maxTokens: 2000, reasoning: { effort: 'high' } }, thinking: { type: 'enabled', budget_tokens: 1024 } },
    { name: 'does not think for the client’s effort when maxTokens leaves no room for the least budget', input: { maxTokens: 1000, reasoning: { effort: 'low' } }, thinking: undefined },
    { name: 'keeps the budget of the client’s effort where it leaves the answer room', input: { maxTokens: 8192, reasoning: { effort: 'high' } }, thinking: { type: 'enabled', budget_tokens: 4096 } },
    { name: 'does not think when only raising the client’s small budget to the least put it over maxTokens', input: { maxTokens: 1000, reasoning: { budgetTokens: 512 } }, thinking: undefined },
  ])('$name', ({ input, thinking }) => {
    // Act
    const body = toConverseBody(base(input));

    // Assess
    expect(body.inferenceConfig?.maxTokens).toBe(input.maxTokens);
    expect(body.additionalModelRequestFields?.thinking).toEqual(thinking);
  });
});

describe('an effort the model’s policy filled in that Claude does not think on (Converse)', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; declined: string[] }>([
    { name: 'tells of it when the client’s temperature clashes with thinking', input: { temperature: 0.2, reasoning: { effort: 'low' }, setByPolicy: { reasoning: true } }, declined: ['reasoningEffort'] },
    { name: 'tells of it when maxTokens leaves no room for the least budget', input: { maxTokens: 1000, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true, maxTokens: true } }, declined: ['reasoningEffort'] },
    { name: 'says nothing when it becomes thinking', input: { maxTokens: 3000, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } }, declined: [] },
    { name: 'says nothing of a model that is not Claude', input: { model: 'amazon.nova-pro-v1:0', temperature: 0.2, reasoning: { effort: 'low' }, setByPolicy: { reasoning: true } }, declined: [] },
  ])('$name', ({ input, declined }) => {
    // Prepare
    const told: string[] = [];

    // Act
    toConverseBody(base(input), (param) => told.push(param));

    // Assess
    expect(told).toEqual(declined);
  });
});

describe('a prefill (a final assistant message, as Aider continues a cut answer)', () => {
  const prefill = (text: string): Message[] => [user({ type: 'text', text: 'Rewrite app.py' }), assistant({ type: 'text', text })];

  it.each<{ name: string; input: Partial<ChatRequest>; lastText: string; thinking: unknown }>([
    { name: 'stays last on Claude, as it came', input: { messages: prefill('import os') }, lastText: 'import os', thinking: undefined },
    { name: 'loses its trailing whitespace on Claude, which refuses it', input: { messages: prefill('import os\n\n') }, lastText: 'import os', thinking: undefined },
    {
      name: 'loses its trailing whitespace on Claude when its last part is blank',
      input: { messages: [user({ type: 'text', text: 'Rewrite app.py' }), assistant({ type: 'text', text: 'import os\n' }, { type: 'text', text: '\n' })] },
      lastText: 'import os',
      thinking: undefined,
    },
    { name: 'of only whitespace is left off on Claude', input: { messages: [user({ type: 'text', text: 'Rewrite app.py' }), assistant({ type: 'text', text: '\n' })] }, lastText: 'Rewrite app.py', thinking: undefined },
    { name: 'keeps its trailing whitespace on another family', input: { model: LLAMA, messages: prefill('import os\n\n') }, lastText: 'import os\n\n', thinking: undefined },
    { name: 'goes without thinking on Claude, which refuses it beside a prefill', input: { messages: prefill('import os'), reasoning: { effort: 'low' } }, lastText: 'import os', thinking: undefined },
    { name: 'keeps thinking when the conversation ends with the user', input: { reasoning: { effort: 'low' } }, lastText: 'hi', thinking: { type: 'enabled', budget_tokens: 1024 } },
  ])('$name', ({ input, lastText, thinking }) => {
    // Act
    const body = toConverseBody(base(input)) as unknown as { messages: { content: { text?: string }[] }[]; additionalModelRequestFields?: { thinking?: unknown } };

    // Assess
    expect(body.messages.at(-1)!.content[0]!.text).toBe(lastText);
    expect(body.additionalModelRequestFields?.thinking).toEqual(thinking);
  });
});

describe('stop sequences on a Bedrock model that refuses stopSequences (GPT-OSS, Qwen)', () => {
  it.each([
    { name: 'GPT-OSS sends none and tells the caller all of them', model: 'openai.gpt-oss-120b-1:0', stop: ['END', '', '\n\n'], sent: undefined, told: [['END', '\n\n']] },
    { name: 'Qwen sends none and tells the caller all of them', model: 'qwen.qwen3-coder-30b-a3b-v1:0', stop: ['END'], sent: undefined, told: [['END']] },
    { name: 'Llama sends them and tells the caller nothing', model: LLAMA, stop: ['END', '\n\n'], sent: ['END', '\n\n'], told: [] },
  ])('$name', ({ model, stop, sent, told }) => {
    // Prepare
    const emulated: (readonly string[])[] = [];

    // Act
    const body = toConverseBody(base({ model, stop }), undefined, (sequences) => emulated.push(sequences));

    // Assess
    expect(body.inferenceConfig?.stopSequences).toEqual(sent);
    expect(emulated).toEqual(told);
  });

  it('refuses them with a 400 naming stop when no one cuts the answer at them', () => {
    // Act
    const act = () => toConverseBody(base({ model: 'openai.gpt-oss-20b-1:0', stop: ['END'] }));

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, param: 'stop' }));
  });
});

describe('a forced tool beside Claude thinking (Converse), which Claude refuses together', () => {
  const tools = [TOOL];

  it.each<{ name: string; input: Partial<ChatRequest>; toolChoice: unknown; thinking: unknown; temperature: unknown; declined: string[] }>([
    { name: 'tool_choice required beside an effort goes without thinking', input: { tools, toolChoice: { type: 'required' }, reasoning: { effort: 'high' } }, toolChoice: { any: {} }, thinking: undefined, temperature: undefined, declined: [] },
    { name: 'a named tool beside an effort goes without thinking', input: { tools, toolChoice: { type: 'tool', name: 'a' }, reasoning: { effort: 'low' } }, toolChoice: { tool: { name: 'a' } }, thinking: undefined, temperature: undefined, declined: [] },
    { name: 'the client’s temperature is kept when no thinking goes (the sampling rule sees none)', input: { tools, toolChoice: { type: 'required' }, temperature: 0, reasoning: { effort: 'medium' } }, toolChoice: { any: {} }, thinking: undefined, temperature: 0, declined: [] },
    { name: 'an effort the policy filled in is declined', input: { tools, toolChoice: { type: 'required' }, reasoning: { effort: 'high' }, setByPolicy: { reasoning: true } }, toolChoice: { any: {} }, thinking: undefined, temperature: undefined, declined: ['reasoningEffort'] },
    { name: 'a budget the policy filled in gives way too', input: { tools, toolChoice: { type: 'required' }, reasoning: { budgetTokens: 2048 }, setByPolicy: { reasoning: true } }, toolChoice: { any: {} }, thinking: undefined, temperature: undefined, declined: ['reasoningEffort'] },
    { name: 'tool_choice auto keeps thinking', input: { tools, toolChoice: { type: 'auto' }, reasoning: { effort: 'low' } }, toolChoice: undefined, thinking: { type: 'enabled', budget_tokens: 1024 }, temperature: undefined, declined: [] },
  ])('$name', ({ input, toolChoice, thinking, temperature, declined }) => {
    // Prepare
    const told: string[] = [];

    // Act
    const body = toConverseBody(base(input), (param) => told.push(param));

    // Assess
    expect(body.toolConfig?.toolChoice).toEqual(toolChoice);
    expect(body.additionalModelRequestFields?.thinking).toEqual(thinking);
    expect(body.inferenceConfig?.temperature).toEqual(temperature);
    expect(told).toEqual(declined);
  });

  it.each<{ name: string; toolChoice: ChatRequest['toolChoice'] }>([
    { name: 'required', toolChoice: { type: 'required' } },
    { name: 'a named tool', toolChoice: { type: 'tool', name: 'a' } },
  ])('refuses the client’s own thinking budget (the Messages surface’s) beside $name, naming tool_choice', ({ toolChoice }) => {
    // Act
    const act = () => toConverseBody(base({ tools, toolChoice, reasoning: { budgetTokens: 2048 } }));

    // Assess
    expect(act).toThrow(GatewayError);
    try {
      act();
    } catch (err) {
      expect(err).toMatchObject({ status: 400, param: 'tool_choice' });
    }
  });
});
