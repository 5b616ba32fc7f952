import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { decodeResponsesRequest } from './decode';

const PNG = 'iVBORw0KGgo=';

describe('decodeResponsesRequest', () => {
  const cases: { name: string; body: Record<string, unknown>; expected: Partial<ChatRequest> }[] = [
    {
      name: 'takes a string input as one user message and instructions as the system prompt',
      body: { model: 'gpt-4.1', instructions: 'Be terse.', input: 'Hi' },
      expected: { model: 'gpt-4.1', system: [{ type: 'text', text: 'Be terse.' }], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false },
    },
    {
      name: 'reads messages with and without type, system and developer messages into the system prompt, in order',
      body: {
        model: 'm',
        instructions: 'First.',
        input: [
          { role: 'developer', content: 'Second.' },
          { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Third.' }] },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Question' }] },
          { role: 'assistant', content: [{ type: 'output_text', text: 'Answer', annotations: [] }] },
          { role: 'user', content: 'Again' },
        ],
      },
      expected: {
        system: [
          { type: 'text', text: 'First.' },
          { type: 'text', text: 'Second.' },
          { type: 'text', text: 'Third.' },
        ],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Question' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'Answer' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Again' }] },
        ],
      },
    },
    {
      name: 'reads images (data URL and https, with detail) and PDF files (data URL or plain base64)',
      body: {
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'high' },
              { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'auto' },
              { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
              { type: 'input_file', file_data: 'JVBERi0=' },
            ],
          },
        ],
      },
      expected: {
        messages: [
          {
            role: 'user',
            parts: [
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG }, detail: 'high' },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, title: 'a.pdf' },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' } },
            ],
          },
        ],
      },
    },
    {
      name: 'joins function calls to the assistant turn and their outputs into one user message, named by the call',
      body: {
        model: 'm',
        input: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two cities.' }], encrypted_content: 'sig-1' },
          { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', id: 'fc_2', call_id: 'call_b', name: 'weather', arguments: '{"city":"Rome"}' },
          { type: 'function_call_output', call_id: 'call_a', output: '18C' },
          { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '21C' }] },
          { role: 'user', content: 'And?' },
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
          {
            role: 'assistant',
            parts: [
              { type: 'thinking', text: 'Two cities.', signature: 'sig-1' },
              { type: 'tool_call', id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
              { type: 'tool_call', id: 'call_b', name: 'weather', arguments: '{"city":"Rome"}' },
            ],
          },
          {
            role: 'user',
            parts: [
              { type: 'tool_result', toolCallId: 'call_a', name: 'weather', content: '18C' },
              { type: 'tool_result', toolCallId: 'call_b', name: 'weather', content: [{ type: 'text', text: '21C' }] },
              { type: 'text', text: 'And?' },
            ],
          },
        ],
      },
    },
    {
      // The gateway's own answer to an OpenAI Chat refusal (encode.ts), replayed: its words go back as the assistant's text.
      name: 'reads an assistant message with text and a refusal part back as its words, in their order',
      body: { model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Sure. ', annotations: [], logprobs: [] }, { type: 'refusal', refusal: 'But no.' }] }, { role: 'user', content: 'Why?' }] },
      expected: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'Sure. ' }, { type: 'text', text: 'But no.' }] }, { role: 'user', parts: [{ type: 'text', text: 'Why?' }] }] },
    },
    {
      name: 'reads a reasoning item that carries redacted thinking back as redacted thinking',
      body: { model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'reasoning', summary: [], encrypted_content: 'redacted_thinking:EuYBCkQ' }, { role: 'assistant', content: 'y' }] },
      expected: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }, { role: 'assistant', parts: [{ type: 'redacted_thinking', data: 'EuYBCkQ' }, { type: 'text', text: 'y' }] }] },
    },
    {
      name: "puts a tool call's signature, carried by the reasoning item before it, back on the call",
      body: {
        model: 'm',
        input: [
          { role: 'user', content: 'x' },
          { type: 'reasoning', summary: [], encrypted_content: 'tool_call_signature:CiQB' },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{}' },
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'x' }] },
          {
            role: 'assistant',
            parts: [
              { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}', signature: 'CiQB' },
              { type: 'tool_call', id: 'c2', name: 'g', arguments: '{}' },
            ],
          },
        ],
      },
    },
    {
      name: 'drops reasoning items without encrypted content (unsigned reasoning cannot be replayed)',
      body: { model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'reasoning', summary: [{ type: 'summary_text', text: 'hmm' }] }, { role: 'assistant', content: 'y' }] },
      expected: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'y' }] }] },
    },
    {
      name: 'maps tools, tool choice, structured output, reasoning effort, limits and the user',
      body: {
        model: 'm',
        input: 'x',
        stream: true,
        tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
        tool_choice: { type: 'function', name: 'weather' },
        parallel_tool_calls: false,
        text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
        reasoning: { effort: 'low', summary: 'auto' },
        max_output_tokens: 500,
        temperature: 0.5,
        top_p: 0.9,
        safety_identifier: 'user-1',
        store: false,
        metadata: { a: 'b' },
        include: ['reasoning.encrypted_content'],
        some_future_field: 1,
      },
      expected: {
        stream: true,
        tools: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
        toolChoice: { type: 'tool', name: 'weather' },
        parallelToolCalls: false,
        responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
        reasoning: { effort: 'low' },
        maxTokens: 500,
        temperature: 0.5,
        topP: 0.9,
        user: 'user-1',
      },
    },
    {
      name: "takes Codex's freeform apply_patch as a function of one string, its calls and their outputs as tool calls and results, and a custom tool choice",
      body: {
        model: 'm',
        input: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Add a file' }] },
          { type: 'custom_tool_call', status: 'completed', call_id: 'call_p', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\n' },
          { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Success.' },
        ],
        tools: [{ type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } }],
        tool_choice: { type: 'custom', name: 'apply_patch' },
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Add a file' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_p', name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\n' }) }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_p', content: 'Success.' }] },
        ],
        tools: [{ name: 'apply_patch', description: 'Edit files.\n\nThe input must match this lark grammar:\nstart: x', parameters: { type: 'object', properties: { input: { type: 'string', description: expect.any(String) } }, required: ['input'] } }],
        toolChoice: { type: 'tool', name: 'apply_patch' },
      },
    },
    {
      name: "takes Codex's local_shell tool as a local_shell function, a local_shell_call (named by call_id, or by id) as its call, and the outputs as results",
      body: {
        model: 'm',
        input: [
          { role: 'user', content: 'List files' },
          { type: 'local_shell_call', id: 'lsh_1', call_id: 'call_a', status: 'completed', action: { type: 'exec', command: ['ls', '-a'], working_directory: '/repo', timeout_ms: 5000, env: {}, user: null } },
          { type: 'function_call_output', call_id: 'call_a', output: '.git' },
          { type: 'local_shell_call', id: 'call_b', status: 'completed', action: { type: 'exec', command: ['pwd'], env: {} } },
          { type: 'local_shell_call_output', id: 'call_b', output: '/repo' },
        ],
        tools: [{ type: 'local_shell' }],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'List files' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_a', name: 'local_shell', arguments: '{"command":["ls","-a"],"workdir":"/repo","timeout_ms":5000}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_a', content: '.git' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_b', name: 'local_shell', arguments: '{"command":["pwd"]}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_b', content: '/repo' }] },
        ],
        tools: [{ name: 'local_shell', description: expect.stringContaining('execvp'), parameters: expect.objectContaining({ required: ['command'] }) }],
      },
    },
    {
      name: 'leaves out a web_search_call in the history (a model switched from OpenAI): it records a search, whose findings are in the answer after it',
      body: {
        model: 'm',
        input: [
          { role: 'user', content: 'What is new in Node 22?' },
          { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'Node 22 release notes' } },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'require(esm).', annotations: [] }] },
          { role: 'user', content: 'Thanks' },
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'What is new in Node 22?' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'require(esm).' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Thanks' }] },
        ],
      },
    },
    {
      name: "takes 'required' and json_object, and treats effort 'none' as no reasoning",
      body: { model: 'm', input: 'x', tool_choice: 'required', text: { format: { type: 'json_object' } }, reasoning: { effort: 'none' }, user: 'u' },
      expected: { toolChoice: { type: 'required' }, responseFormat: { type: 'json_object' }, user: 'u' },
    },
  ];

  it.each(cases)('$name', ({ body, expected }) => {
    // Act
    const req = decodeResponsesRequest(body);

    // Assess
    expect(req).toMatchObject(expected);
    if (!('reasoning' in expected)) expect(req.reasoning).toBeUndefined();
  });

  const refusals: { name: string; body: Record<string, unknown>; param: string; code: string }[] = [
    { name: 'previous_response_id (server-side state)', body: { model: 'm', input: 'x', previous_response_id: 'resp_1' }, param: 'previous_response_id', code: 'untranslatable' },
    { name: 'conversation (server-side state)', body: { model: 'm', input: 'x', conversation: 'conv_1' }, param: 'conversation', code: 'untranslatable' },
    { name: 'a built-in tool', body: { model: 'm', input: 'x', tools: [{ type: 'web_search' }] }, param: 'tools[0].type', code: 'untranslatable' },
    { name: 'a built-in tool choice', body: { model: 'm', input: 'x', tool_choice: { type: 'file_search' } }, param: 'tool_choice', code: 'untranslatable' },
    { name: 'an item reference', body: { model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }, param: 'input[0].type', code: 'untranslatable' },
    { name: 'a computer call item', body: { model: 'm', input: [{ type: 'computer_call_output', call_id: 'c' }] }, param: 'input[0].type', code: 'untranslatable' },
    { name: 'an uploaded file', body: { model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, param: 'input[0].content[0].file_id', code: 'untranslatable' },
    { name: 'a missing input', body: { model: 'm' }, param: 'input', code: 'invalid_value' },
    { name: 'a message of an unknown role', body: { model: 'm', input: [{ role: 'tool', content: 'x' }] }, param: 'input[0].role', code: 'invalid_value' },
    { name: 'a function call without call_id', body: { model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, param: 'input[0].call_id', code: 'invalid_value' },
    { name: 'a custom tool call without input', body: { model: 'm', input: [{ type: 'custom_tool_call', call_id: 'c', name: 'apply_patch' }] }, param: 'input[0].input', code: 'invalid_value' },
    { name: 'a custom tool output without call_id', body: { model: 'm', input: [{ type: 'custom_tool_call_output', output: 'ok' }] }, param: 'input[0].call_id', code: 'invalid_value' },
    { name: 'a custom tool with an unknown format', body: { model: 'm', input: 'x', tools: [{ type: 'custom', name: 'f', format: { type: 'json' } }] }, param: 'tools[0].format.type', code: 'invalid_value' },
    { name: 'a local_shell_call whose action is not exec', body: { model: 'm', input: [{ type: 'local_shell_call', call_id: 'c', action: { type: 'spawn', command: ['ls'] } }] }, param: 'input[0].action.type', code: 'invalid_value' },
    { name: 'a local_shell_call without a command', body: { model: 'm', input: [{ type: 'local_shell_call', call_id: 'c', action: { type: 'exec', command: [] } }] }, param: 'input[0].action.command', code: 'invalid_value' },
    // The upstream sees one function per name, and a call of the name could not say which tool the client meant.
    { name: 'a function tool named local_shell beside the local_shell tool', body: { model: 'm', input: 'x', tools: [{ type: 'local_shell' }, { type: 'function', name: 'local_shell' }] }, param: 'tools[1].name', code: 'invalid_value' },
    { name: 'the local_shell tool after a function named local_shell', body: { model: 'm', input: 'x', tools: [{ type: 'function', name: 'local_shell' }, { type: 'local_shell' }] }, param: 'tools[1].type', code: 'invalid_value' },
    { name: 'a custom tool named as a function tool', body: { model: 'm', input: 'x', tools: [{ type: 'function', name: 'apply_patch' }, { type: 'custom', name: 'apply_patch' }] }, param: 'tools[1].name', code: 'invalid_value' },
    { name: 'two custom tools of one name', body: { model: 'm', input: 'x', tools: [{ type: 'custom', name: 'a' }, { type: 'custom', name: 'b' }, { type: 'custom', name: 'a' }] }, param: 'tools[2].name', code: 'invalid_value' },
    { name: 'a local_shell_call without any id', body: { model: 'm', input: [{ type: 'local_shell_call', action: { type: 'exec', command: ['ls'] } }] }, param: 'input[0].call_id', code: 'invalid_value' },
    { name: 'a non-base64 data URL', body: { model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png,abc' }] }] }, param: 'input[0].content[0].image_url', code: 'invalid_value' },
    { name: 'a json_schema format without schema', body: { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'a' } } }, param: 'text.format.schema', code: 'invalid_value' },
    { name: 'an unknown reasoning effort', body: { model: 'm', input: 'x', reasoning: { effort: 'extreme' } }, param: 'reasoning.effort', code: 'invalid_value' },
    { name: 'a bad max_output_tokens', body: { model: 'm', input: 'x', max_output_tokens: 0 }, param: 'max_output_tokens', code: 'invalid_value' },
  ];

  it('tells a client that refers to stored items what to send instead (the AI SDK\'s default store: true refers to its reasoning items)', () => {
    // Act
    const caught = (() => {
      try {
        decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'item_reference', id: 'rs_1' }] });
      } catch (err) {
        return err as GatewayError;
      }
    })();

    // Assess
    expect(caught?.message).toMatch(/keeps no responses: send the items themselves, as clients do with store: false/);
  });

  it.each(refusals)('refuses $name with a 400 naming the field', ({ body, param, code }) => {
    // Act
    let caught: unknown;
    try {
      decodeResponsesRequest(body);
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ status: 400, param, code });
  });
});
