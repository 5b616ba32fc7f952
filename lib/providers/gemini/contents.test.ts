import type { Message, SignatureFamily } from '../../canonical/types';
import { SKIP_SIGNATURE, geminiMajorVersion, toGeminiContents } from './contents';
import { toolCallId } from './response';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const callTurn = (calls: { id: string; name: string; arguments?: string; signature?: string; signedBy?: SignatureFamily }[]): Message => ({
  role: 'assistant',
  parts: calls.map((c) => ({ type: 'tool_call' as const, id: c.id, name: c.name, arguments: c.arguments ?? '{}', ...(c.signature ? { signature: c.signature } : {}), ...(c.signedBy ? { signedBy: c.signedBy } : {}) })),
});

type Case = { name: string; model?: string; messages: Message[]; expected: unknown };

const cases: Case[] = [
  {
    name: 'maps user and assistant text to user and model turns',
    messages: [user('Hi'), { role: 'assistant', parts: [{ type: 'text', text: 'Hello' }] }, user('Bye')],
    expected: [
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello' }] },
      { role: 'user', parts: [{ text: 'Bye' }] },
    ],
  },
  {
    name: 'merges consecutive turns of one role',
    messages: [user('one'), user('two'), { role: 'assistant', parts: [{ type: 'text', text: 'a' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'b' }] }],
    expected: [
      { role: 'user', parts: [{ text: 'one' }, { text: 'two' }] },
      { role: 'model', parts: [{ text: 'a' }, { text: 'b' }] },
    ],
  },
  {
    name: 'drops empty text, thinking and redacted thinking, and a turn left empty',
    messages: [
      user('q'),
      { role: 'assistant', parts: [{ type: 'thinking', text: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'xx' }, { type: 'text', text: '' }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'answer' }] },
    ],
    expected: [
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [{ text: 'answer' }] },
    ],
  },
  {
    name: 'sends tool calls with parsed arguments ("" as {}) and their thought signature',
    messages: [user('q'), callTurn([{ id: 'c1', name: 'get', arguments: '{"city":"Oslo"}', signature: 'SIG' }, { id: 'c2', name: 'now', arguments: '' }])],
    expected: [
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get', args: { city: 'Oslo' } }, thoughtSignature: 'SIG' }, { functionCall: { name: 'now', args: {} } }] },
    ],
  },
  {
    name: 'finds the name of a tool result from the call with its id',
    messages: [user('q'), callTurn([{ id: 'call_A', name: 'lookup' }]), { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_A', content: 'found it' }] }],
    expected: [
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [{ functionCall: { name: 'lookup', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { content: 'found it' } } }] },
    ],
  },
  {
    name: 'puts the results of one turn in the order of their calls, however they came (Gemini ties them by name and position)',
    messages: [
      callTurn([
        { id: 'p', name: 'weather', arguments: '{"city":"Paris"}' },
        { id: 't', name: 'weather', arguments: '{"city":"Tokyo"}' },
        { id: 'k', name: 'clock' },
      ]),
      // As OpenAI clients send them: one tool message each, in the order the tools finished.
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'k', content: '{"time":"19:05"}' }] },
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: 't', content: '{"temp":24}' }] },
      { role: 'user', parts: [{ type: 'text', text: 'and?' }, { type: 'tool_result', toolCallId: 'p', content: '{"temp":18}' }] },
    ],
    expected: [
      {
        role: 'model',
        parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }, { functionCall: { name: 'weather', args: { city: 'Tokyo' } } }, { functionCall: { name: 'clock', args: {} } }],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { temp: 18 } } },
          { functionResponse: { name: 'weather', response: { temp: 24 } } },
          { functionResponse: { name: 'clock', response: { time: '19:05' } } },
          { text: 'and?' },
        ],
      },
    ],
  },
  {
    name: 'ties a result to the latest call with its id before it, when a client numbers calls anew in each answer',
    messages: [
      callTurn([{ id: 'call_0', name: 'weather', arguments: '{"city":"Paris"}' }]),
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_0', content: '{"temp":18}' }] },
      callTurn([
        { id: 'call_0', name: 'weather', arguments: '{"city":"Tokyo"}' },
        { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
      ]),
      {
        role: 'user',
        parts: [
          { type: 'tool_result', toolCallId: 'call_1', content: '{"temp":3}' },
          { type: 'tool_result', toolCallId: 'call_0', content: '{"temp":24}' },
        ],
      },
    ],
    expected: [
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { temp: 18 } } }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Tokyo' } } }, { functionCall: { name: 'weather', args: { city: 'Oslo' } } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { temp: 24 } } },
          { functionResponse: { name: 'weather', response: { temp: 3 } } },
        ],
      },
    ],
  },
  {
    name: 'names a result after the call it answers, not a later call that reuses the id',
    messages: [
      callTurn([{ id: 'call_0', name: 'weather' }]),
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'call_0', content: 'sunny' }] },
      callTurn([{ id: 'call_0', name: 'clock' }]),
    ],
    expected: [
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { content: 'sunny' } } }] },
      { role: 'model', parts: [{ functionCall: { name: 'clock', args: {} } }] },
    ],
  },
  {
    name: 'prefers the name a tool result carries',
    messages: [{ role: 'user', parts: [{ type: 'tool_result', toolCallId: 'x', name: 'given', content: 'ok' }] }],
    expected: [{ role: 'user', parts: [{ functionResponse: { name: 'given', response: { content: 'ok' } } }] }],
  },
  {
    name: 'passes a JSON-object result as the response object, and an error result under error',
    messages: [
      callTurn([{ id: 'a', name: 'f' }, { id: 'b', name: 'g' }, { id: 'c', name: 'h' }]),
      {
        role: 'user',
        parts: [
          { type: 'tool_result', toolCallId: 'a', content: '{"temp": 21}' },
          { type: 'tool_result', toolCallId: 'b', content: 'boom', isError: true },
          { type: 'tool_result', toolCallId: 'c', content: '[1,2]' },
        ],
      },
    ],
    expected: [
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }, { functionCall: { name: 'g', args: {} } }, { functionCall: { name: 'h', args: {} } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'f', response: { temp: 21 } } },
          { functionResponse: { name: 'g', response: { error: 'boom' } } },
          { functionResponse: { name: 'h', response: { content: '[1,2]' } } },
        ],
      },
    ],
  },
  {
    name: 'joins a result of parts into text and sends its images after the function responses',
    messages: [
      callTurn([{ id: 'a', name: 'shot' }]),
      {
        role: 'user',
        parts: [
          { type: 'text', text: 'and?' },
          {
            type: 'tool_result',
            toolCallId: 'a',
            content: [
              { type: 'text', text: 'line 1' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
              { type: 'text', text: 'line 2' },
            ],
          },
        ],
      },
    ],
    expected: [
      { role: 'model', parts: [{ functionCall: { name: 'shot', args: {} } }] },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'shot', response: { content: 'line 1\nline 2' } } }, { inlineData: { mimeType: 'image/png', data: 'iVBOR' } }, { text: 'and?' }],
      },
    ],
  },
  {
    name: 'keeps function responses first when a text turn and a result turn merge',
    messages: [callTurn([{ id: 'a', name: 'f' }]), user('note'), { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'a', content: 'r' }] }],
    expected: [
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { content: 'r' } } }, { text: 'note' }] },
    ],
  },
  {
    name: 'sends base64 images and documents inline, data URLs too',
    messages: [
      {
        role: 'user',
        parts: [
          { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'AAA' }, detail: 'high', cacheControl: { type: 'ephemeral' } },
          { type: 'image', source: { kind: 'url', url: 'data:image/gif;base64,R0lG' } },
          { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, title: 'spec' },
        ],
      },
    ],
    expected: [
      {
        role: 'user',
        parts: [{ inlineData: { mimeType: 'image/webp', data: 'AAA' } }, { inlineData: { mimeType: 'image/gif', data: 'R0lG' } }, { inlineData: { mimeType: 'application/pdf', data: 'JVBE' } }],
      },
    ],
  },
  {
    name: 'sends https and gs URLs as fileData with a MIME type from the extension',
    messages: [
      {
        role: 'user',
        parts: [
          { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.PNG?size=2' } },
          { type: 'image', source: { kind: 'url', url: 'https://example.com/render' } },
          { type: 'document', source: { kind: 'url', url: 'gs://bucket/report.pdf' } },
        ],
      },
    ],
    expected: [
      {
        role: 'user',
        parts: [
          { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat.PNG?size=2' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/render' } },
          { fileData: { mimeType: 'application/pdf', fileUri: 'gs://bucket/report.pdf' } },
        ],
      },
    ],
  },
  {
    name: 'sends a text document as text under its title',
    messages: [{ role: 'user', parts: [{ type: 'document', source: { kind: 'text', text: 'body' }, title: 'Notes' }] }],
    expected: [{ role: 'user', parts: [{ text: 'Notes\n\nbody' }] }],
  },
  {
    name: 'fills the documented stand-in signature on the first unsigned call of a step for Gemini 3',
    model: 'gemini-3-pro-preview',
    messages: [user('q'), callTurn([{ id: 'a', name: 'f' }, { id: 'b', name: 'g' }]), callTurn([{ id: 'c', name: 'h', signature: 'REAL' }])],
    expected: [
      { role: 'user', parts: [{ text: 'q' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'f', args: {} }, thoughtSignature: SKIP_SIGNATURE },
          { functionCall: { name: 'g', args: {} } },
          { functionCall: { name: 'h', args: {} }, thoughtSignature: 'REAL' },
        ],
      },
    ],
  },
  {
    name: "sends Gemini's own call signature, and the stand-in instead of another family's, on Gemini 3",
    model: 'gemini-3-pro-preview',
    messages: [user('q'), callTurn([{ id: 'a', name: 'f', signature: 'CiQB', signedBy: 'gemini' }]), callTurn([{ id: 'b', name: 'g', signature: 'EqQB', signedBy: 'claude' }])],
    expected: [
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'CiQB' }, { functionCall: { name: 'g', args: {} }, thoughtSignature: SKIP_SIGNATURE }] },
    ],
  },
  {
    name: "drops another family's call signature before Gemini 3",
    model: 'gemini-2.5-flash',
    messages: [callTurn([{ id: 'a', name: 'f', signature: 'gAAAAABo', signedBy: 'openai' }])],
    expected: [{ role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }],
  },
  {
    name: 'leaves unsigned calls unsigned for Gemini 2',
    model: 'gemini-2.5-pro',
    messages: [callTurn([{ id: 'a', name: 'f' }])],
    expected: [{ role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }],
  },
];

describe('toGeminiContents', () => {
  it.each(cases)('$name', ({ messages, model, expected }) => {
    // Act (call ids have their own table below)
    const contents = toGeminiContents(messages, model ?? 'gemini-2.5-flash', { callIds: false });

    // Assess
    expect(contents).toEqual(expected);
  });

  it.each([
    {
      name: 'a tool result whose call is nowhere in the history',
      messages: [user('q'), { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'ghost', content: 'x' }] }] as Message[],
      param: 'messages[1].content[0].tool_call_id',
    },
    { name: 'tool call arguments that are not a JSON object', messages: [callTurn([{ id: 'a', name: 'f', arguments: '{"cut' }])], param: 'messages[0].content[0].arguments' },
    { name: 'tool call arguments that are a JSON array', messages: [user('q'), callTurn([{ id: 'a', name: 'f', arguments: '[1]' }])], param: 'messages[1].content[0].arguments' },
    {
      name: 'an http image URL',
      messages: [{ role: 'user', parts: [{ type: 'image', source: { kind: 'url', url: 'http://example.com/a.png' } }] }] as Message[],
      param: 'messages[0].content[0].image_url.url',
    },
    {
      name: 'a data URL that is not base64',
      messages: [{ role: 'user', parts: [{ type: 'image', source: { kind: 'url', url: 'data:image/svg+xml,<svg/>' } }] }] as Message[],
      param: 'messages[0].content[0].image_url.url',
    },
  ])('refuses $name with a 400 naming the field', ({ messages, param }) => {
    // Act
    const act = () => toGeminiContents(messages, 'gemini-2.5-flash');

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, kind: 'invalid_request', param }));
  });
});

describe('toGeminiContents: call ids', () => {
  const result = (toolCallId: string): Message => ({ role: 'user', parts: [{ type: 'tool_result', toolCallId, content: 'done' }] });
  const idsOf = (contents: ReturnType<typeof toGeminiContents>) => ({
    call: contents[1]?.parts?.[0]?.functionCall?.id,
    response: contents[2]?.parts?.[0]?.functionResponse?.id,
  });

  it.each([
    { name: "Gemini's own id", id: 'n3v0qk2x', sent: 'n3v0qk2x' },
    { name: "Gemini's own id in the form later models give (brainlid/langchain#620: gemini-3.6-flash)", id: 'call_4162774', sent: 'call_4162774' },
    { name: "Gemini CLI's id (a Gemini client's)", id: 'list_directory-1764186000000-a1b2c3', sent: 'list_directory-1764186000000-a1b2c3' },
    { name: "the gateway's id for a call Gemini gave none (toolCallId)", id: toolCallId('resp-1', 0), sent: undefined },
    { name: "the gateway's id for the tenth call of an answer Gemini gave none", id: toolCallId('resp-1', 10), sent: undefined },
    { name: "the Gemini surface's id for a call its client sent without one", id: 'call_1_0', sent: undefined },
    // After a model switch: Gemini takes any id, and ties a response to its call by it.
    { name: "OpenAI's id", id: 'call_Xq3mZ8rT1vB7nK2pL9sD4fG6', sent: 'call_Xq3mZ8rT1vB7nK2pL9sD4fG6' },
    { name: "a client's own numbering", id: 'call_0', sent: 'call_0' },
    { name: "Anthropic's id", id: 'toolu_01A09q90qw90lq917835lq9', sent: 'toolu_01A09q90qw90lq917835lq9' },
    { name: "Bedrock Converse's id", id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', sent: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q' },
    { name: "vLLM's id", id: 'chatcmpl-tool-8f3a1b2c4d5e6f708192a3b4c5d6e7f8', sent: 'chatcmpl-tool-8f3a1b2c4d5e6f708192a3b4c5d6e7f8' },
    { name: "Mistral's id", id: 'D681PevKs', sent: 'D681PevKs' },
    { name: "Kimi's id", id: 'functions.lookup:0', sent: 'functions.lookup:0' },
  ])('sends back on the call and its response $name: $sent', ({ id, sent }) => {
    // Prepare
    const messages = [user('q'), callTurn([{ id, name: 'lookup' }]), result(id)];

    // Act
    const contents = toGeminiContents(messages, 'gemini-3-pro-preview');

    // Assess
    expect(idsOf(contents)).toEqual({ call: sent, response: sent });
    expect(contents[2]?.parts?.[0]?.functionResponse?.name).toBe('lookup');
  });

  it('sends no id when the target takes none (Vertex AI: "Unknown name \"id\" at function_call")', () => {
    // Prepare
    const messages = [user('q'), callTurn([{ id: 'n3v0qk2x', name: 'lookup' }]), result('n3v0qk2x')];

    // Act
    const contents = toGeminiContents(messages, 'gemini-3-pro-preview', { callIds: false });

    // Assess
    expect(idsOf(contents)).toEqual({ call: undefined, response: undefined });
  });

  it('sends no id on a result whose call it does not find by id (found by name alone)', () => {
    // Prepare
    const messages: Message[] = [user('q'), callTurn([{ id: 'n3v0qk2x', name: 'lookup' }]), { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'zz9', name: 'lookup', content: 'done' }] }];

    // Act
    const contents = toGeminiContents(messages, 'gemini-3-pro-preview');

    // Assess
    expect(idsOf(contents)).toEqual({ call: 'n3v0qk2x', response: undefined });
  });
});

describe('geminiMajorVersion', () => {
  it.each([
    ['gemini-2.5-flash', 2],
    ['gemini-3-pro-preview', 3],
    ['models/gemini-3.1-flash-lite', 3],
    ['gemini-exp-1206', 0],
    ['learnlm-2.0-flash', 0],
  ])('reads %s as major version %i', (model, major) => {
    expect(geminiMajorVersion(model)).toBe(major);
  });
});
