import type { ChatResponse } from '../../canonical/types';
import { declaredTools, encodeResponse, hasWholeArguments, NO_DECLARED_TOOLS, sequentialIds } from './encode';

const NOW = () => 1_700_000_000_123;
const usage = { input: 30, output: 12, cacheRead: 20, cacheWrite: 5, reasoning: 4 };


const answer = (over: Partial<ChatResponse>): ChatResponse => ({ id: 'msg_up', model: 'claude-x', parts: [], finishReason: 'stop', usage, ...over });

describe('encodeResponse', () => {
  const cases: { name: string; input: Partial<ChatResponse>; request?: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    {
      name: 'encodes text as one message item with the client model name and the usage with cached and reasoning tokens',
      input: { parts: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there' }] },
      expected: {
        id: 'resp_msg_up',
        object: 'response',
        created_at: 1_700_000_000,
        status: 'completed',
        error: null,
        incomplete_details: null,
        model: 'gpt-4.1',
        output: [{ id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there', annotations: [], logprobs: [] }] }],
        usage: { input_tokens: 30, input_tokens_details: { cached_tokens: 20 }, output_tokens: 12, output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 42 },
      },
    },
    {
      name: 'encodes thinking as a reasoning item carrying its signature marked with its family, then function calls ("{}" for empty arguments)',
      input: {
        parts: [
          { type: 'thinking', text: 'Let me look.', signature: 'sig-abc', signedBy: 'claude' },
          { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: 'toolu_2', name: 'time', arguments: '' },
        ],
        finishReason: 'tool_calls',
      },
      expected: {
        status: 'completed',
        output: [
          { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Let me look.' }], encrypted_content: 'aigw1:claude:sig-abc' },
          { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { id: 'fc_2', type: 'function_call', status: 'completed', call_id: 'toolu_2', name: 'time', arguments: '{}' },
        ],
      },
    },
    {
      name: "encodes redacted thinking as a reasoning item with no summary and the data behind its marker, marked as Claude's",
      input: { parts: [{ type: 'redacted_thinking', data: 'EuYBCkQ' }, { type: 'text', text: 'Done.' }] },
      expected: { output: [{ id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'aigw1:claude:redacted_thinking:EuYBCkQ' }, { id: 'msg_1', type: 'message' }] },
    },
    {
      name: 'marks unsigned thinking as such, so that it never goes to OpenAI',
      input: { parts: [{ type: 'thinking', text: 'Hmm.' }, { type: 'text', text: 'Done.' }] },
      expected: { output: [{ id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }], encrypted_content: 'aigw1:unsigned' }, { id: 'msg_1', type: 'message' }] },
    },
    {
      name: "puts a tool call's signature (Gemini's) in a reasoning item right before the call",
      input: { parts: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}', signature: 'CiQB', signedBy: 'gemini' }], finishReason: 'tool_calls' },
      expected: {
        output: [
          { id: 'rs_1', type: 'reasoning', summary: [], encrypted_content: 'aigw1:gemini:tool_call_signature:CiQB' },
          { id: 'fc_1', type: 'function_call', call_id: 'c1' },
        ],
      },
    },
    {
      name: 'marks an answer cut by the token limit incomplete with the reason',
      input: { parts: [{ type: 'text', text: 'Once upon' }], finishReason: 'length' },
      expected: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    },
    {
      name: 'marks a filtered answer incomplete with the reason',
      input: { finishReason: 'content_filter' },
      expected: { status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] },
    },
    {
      name: "echoes the request's settings, with OpenAI's defaults for what it left out",
      input: { parts: [{ type: 'text', text: '{}' }] },
      request: {
        instructions: 'Be terse.',
        max_output_tokens: 100,
        temperature: 0.2,
        tools: [{ type: 'function', name: 'f', parameters: {} }],
        tool_choice: 'required',
        text: { format: { type: 'json_object' } },
        reasoning: { effort: 'low' },
        metadata: { run: '1' },
        store: true,
        user: 'u1',
      },
      expected: {
        instructions: 'Be terse.',
        max_output_tokens: 100,
        temperature: 0.2,
        top_p: 1,
        parallel_tool_calls: true,
        tools: [{ type: 'function', name: 'f', parameters: {} }],
        tool_choice: 'required',
        text: { format: { type: 'json_object' }, verbosity: 'medium' },
        reasoning: { effort: 'low', summary: null },
        metadata: { run: '1' },
        previous_response_id: null,
        store: false,
        user: 'u1',
      },
    },
  ];

  it("answers a call of a custom tool the request declared as a custom_tool_call with the text as input, and other calls as function calls", () => {
    // Prepare
    const patch = '*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\n';
    const request = { tools: [{ type: 'function', name: 'shell' }, { type: 'custom', name: 'apply_patch' }] };
    const parts: ChatResponse['parts'] = [
      { type: 'tool_call', id: 'toolu_1', name: 'apply_patch', arguments: JSON.stringify({ input: patch }) },
      { type: 'tool_call', id: 'toolu_2', name: 'shell', arguments: '{"command":["ls"]}' },
    ];

    // Act
    const body = encodeResponse(answer({ parts, finishReason: 'tool_calls' }), 'gpt-4.1', request, NOW, sequentialIds());

    // Assess
    expect(body.output).toEqual([
      { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'toolu_1', name: 'apply_patch', input: patch },
      { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'toolu_2', name: 'shell', arguments: '{"command":["ls"]}' },
    ]);
  });

  it('answers a call of the local_shell tool the request declared as a local_shell_call with its exec action, and one without a command as the function call it was', () => {
    // Prepare
    const request = { tools: [{ type: 'local_shell' }] };
    const parts: ChatResponse['parts'] = [
      { type: 'tool_call', id: 'toolu_1', name: 'local_shell', arguments: '{"command":["ls","-a"],"workdir":"/repo"}' },
      { type: 'tool_call', id: 'toolu_2', name: 'local_shell', arguments: '{"command":"ls"}' },
    ];

    // Act
    const body = encodeResponse(answer({ parts, finishReason: 'tool_calls' }), 'gpt-4.1', request, NOW, sequentialIds());

    // Assess
    expect(body.output).toEqual([
      { id: 'lsh_1', type: 'local_shell_call', status: 'completed', call_id: 'toolu_1', action: { type: 'exec', command: ['ls', '-a'], working_directory: '/repo', env: {} } },
      { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'toolu_2', name: 'local_shell', arguments: '{"command":"ls"}' },
    ]);
  });

  it.each(cases)('$name', ({ input, request, expected }) => {
    // Act
    const body = encodeResponse(answer(input), 'gpt-4.1', request ?? {}, NOW, sequentialIds());

    // Assess
    expect(body).toMatchObject(expected);
  });

  it('answers a bare request with the defaults every response carries', () => {
    const body = encodeResponse(answer({ parts: [{ type: 'text', text: 'x' }] }), 'gpt-4.1', {}, NOW, sequentialIds());

    expect(body).toMatchObject({ instructions: null, max_output_tokens: null, temperature: 1, top_p: 1, tool_choice: 'auto', tools: [], text: { format: { type: 'text' } }, metadata: {}, store: false });
  });
});

describe('encodeResponse: words the upstream marked as its refusal', () => {
  const TEXT = { type: 'output_text', text: 'Sure. ', annotations: [], logprobs: [] };
  const cases: { name: string; input: Partial<ChatResponse>; status: string; incomplete_details: unknown; content: unknown[] }[] = [
    {
      name: 'a refusal: a refusal part of a completed response, as OpenAI ends one',
      input: { parts: [{ type: 'text', text: 'I cannot ', refusal: true }, { type: 'text', text: 'help.', refusal: true }], finishReason: 'content_filter' },
      status: 'completed',
      incomplete_details: null,
      content: [{ type: 'refusal', refusal: 'I cannot help.' }],
    },
    {
      name: 'text, then refusal words: a part of each kind, in order',
      input: { parts: [{ type: 'text', text: 'Sure. ' }, { type: 'text', text: 'But no.', refusal: true }], finishReason: 'content_filter' },
      status: 'completed',
      incomplete_details: null,
      content: [TEXT, { type: 'refusal', refusal: 'But no.' }],
    },
    {
      name: 'refusal words the token limit cut: still incomplete',
      input: { parts: [{ type: 'text', text: 'I cannot', refusal: true }], finishReason: 'length' },
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      content: [{ type: 'refusal', refusal: 'I cannot' }],
    },
    {
      name: 'a refusal no upstream marked (Anthropic’s, Gemini’s): text of an incomplete response, as before',
      input: { parts: [{ type: 'text', text: 'I cannot help.' }], finishReason: 'content_filter' },
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      content: [{ type: 'output_text', text: 'I cannot help.', annotations: [], logprobs: [] }],
    },
  ];

  it.each(cases)('$name', ({ input, status, incomplete_details, content }) => {
    // Act
    const body = encodeResponse(answer(input), 'gpt-4.1', {}, NOW, sequentialIds());

    // Assess
    expect(body).toMatchObject({ status, incomplete_details, output: [{ type: 'message', content }] });
    expect((body.output as { content: unknown[] }[])[0]!.content).toEqual(content);
  });
});

describe('encodeResponse: the item an answer’s end cuts', () => {
  const TOOLS = { tools: [{ type: 'custom', name: 'apply_patch' }, { type: 'local_shell' }, { type: 'function', name: 'weather' }] };
  const call = (id: string, name: string, args: string) => ({ type: 'tool_call' as const, id, name, arguments: args });

  const cases: { name: string; input: Partial<ChatResponse>; status: string; items: string[] }[] = [
    { name: 'cut during text: the message is incomplete', input: { parts: [{ type: 'text', text: 'Once' }, { type: 'text', text: ' upon' }], finishReason: 'length' }, status: 'incomplete', items: ['message:incomplete'] },
    { name: 'cut during the first function call', input: { parts: [call('c1', 'weather', '{"city":"Pa')], finishReason: 'length' }, status: 'incomplete', items: ['function_call:incomplete'] },
    { name: 'cut during the second function call: the first stays completed', input: { parts: [call('c1', 'weather', '{}'), call('c2', 'weather', '{"ci')], finishReason: 'length' }, status: 'incomplete', items: ['function_call:completed', 'function_call:incomplete'] },
    { name: 'cut during a custom call', input: { parts: [call('c1', 'apply_patch', '{"input":"*** Begin')], finishReason: 'length' }, status: 'incomplete', items: ['custom_tool_call:incomplete'] },
    { name: 'cut during reasoning', input: { parts: [{ type: 'thinking', text: 'First I' }], finishReason: 'length' }, status: 'incomplete', items: ['reasoning:incomplete'] },
    { name: 'a finish by error in the middle of a call: the call is incomplete, the response failed', input: { parts: [call('c1', 'weather', '{"ci')], finishReason: 'error' }, status: 'failed', items: ['function_call:incomplete'] },
    { name: 'a call finished, then cut during text', input: { parts: [call('c1', 'weather', '{}'), { type: 'text', text: 'Now' }], finishReason: 'length' }, status: 'incomplete', items: ['function_call:completed', 'message:incomplete'] },
    { name: 'reasoning, then cut during text: the reasoning stays as it was', input: { parts: [{ type: 'thinking', text: 'Hmm', signature: 's' }, { type: 'text', text: 'Now' }], finishReason: 'length' }, status: 'incomplete', items: ['reasoning:undefined', 'message:incomplete'] },
    { name: 'a cut local_shell call goes as the incomplete function call it was, not as an exec', input: { parts: [call('c1', 'local_shell', '{"command":["rm","-rf","build"]}')], finishReason: 'length' }, status: 'incomplete', items: ['function_call:incomplete'] },
    { name: 'a finish by tool calls: every call completed', input: { parts: [call('c1', 'weather', '{}'), call('c2', 'local_shell', '{"command":["ls"]}')], finishReason: 'tool_calls' }, status: 'completed', items: ['function_call:completed', 'local_shell_call:completed'] },
  ];

  it.each(cases)('$name', ({ input, status, items }) => {
    // Act
    const res = encodeResponse(answer(input), 'gpt-4.1', TOOLS, NOW, sequentialIds()) as { status: string; output: { type: string; status?: string }[] };

    // Assess
    expect(res.status).toBe(status);
    expect(res.output.map((item) => `${item.type}:${String(item.status)}`)).toEqual(items);
  });

  it("keeps a cut call's partial arguments and a cut custom call's raw text, for the client to show", () => {
    // Act
    const fn = encodeResponse(answer({ parts: [call('c1', 'weather', '{"city":"Pa')], finishReason: 'length' }), 'gpt-4.1', TOOLS, NOW, sequentialIds());
    const custom = encodeResponse(answer({ parts: [call('c2', 'apply_patch', '{"input":"*** Be')], finishReason: 'length' }), 'gpt-4.1', TOOLS, NOW, sequentialIds());

    // Assess
    expect(fn).toMatchObject({ output: [{ id: 'fc_1', status: 'incomplete', arguments: '{"city":"Pa' }] });
    expect(custom).toMatchObject({ output: [{ id: 'ctc_1', status: 'incomplete', input: '{"input":"*** Be' }] });
  });
});

describe('hasWholeArguments', () => {
  const cases: { name: string; args: string; whole: boolean }[] = [
    { name: 'an object closed to its last brace', args: '{"city":"Paris"}', whole: true },
    { name: 'an empty object', args: '{}', whole: true },
    { name: 'an object with white space around it', args: ' {"a":1}\n', whole: true },
    { name: 'a prefix cut inside a string', args: '{"city":"Pa', whole: false },
    { name: 'a prefix cut before the last brace', args: '{"command":["ls"]', whole: false },
    { name: 'nothing yet', args: '', whole: false },
    { name: 'a value that is not an object', args: '[1]', whole: false },
    { name: 'a number a cut may have shortened', args: '12', whole: false },
  ];

  it.each(cases)('$name: $whole', ({ args, whole }) => {
    // Act & assess
    expect(hasWholeArguments(args)).toBe(whole);
  });
});

describe('declaredTools', () => {
  const cases: { name: string; request: Record<string, unknown>; custom: string[]; localShell: boolean }[] = [
    { name: 'names the custom tools, not the function or other built-in ones', request: { tools: [{ type: 'function', name: 'shell' }, { type: 'custom', name: 'apply_patch' }, { type: 'custom', name: 'note' }, { type: 'web_search' }] }, custom: ['apply_patch', 'note'], localShell: false },
    { name: 'tells the local_shell tool', request: { tools: [{ type: 'function', name: 'shell' }, { type: 'local_shell' }] }, custom: [], localShell: true },
    { name: 'takes a function named local_shell for a function', request: { tools: [{ type: 'function', name: 'local_shell' }] }, custom: [], localShell: false },
    { name: 'skips a custom tool without a name, and what is not a tool', request: { tools: [{ type: 'custom' }, null, 'local_shell'] }, custom: [], localShell: false },
    { name: 'has none when tools is not an array', request: { tools: 'apply_patch' }, custom: [], localShell: false },
  ];

  it.each(cases)('$name', ({ request, custom, localShell }) => {
    const tools = declaredTools(request);

    expect({ custom: [...tools.custom], localShell: tools.localShell }).toEqual({ custom, localShell });
  });

  it('gives a request declaring neither the one shared value, so that it allocates nothing for them', () => {
    expect(declaredTools({})).toBe(NO_DECLARED_TOOLS);
    expect(declaredTools({ tools: [{ type: 'function', name: 'shell' }] })).toBe(NO_DECLARED_TOOLS);
  });
});
