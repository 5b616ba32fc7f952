import { ChatStopStream, stoppedChatStream, stoppedCompletion, type ChatStopOptions } from './chat-completions';

const SEQ = ['\nObservation:'];
const envelope = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'o3' };
const chunk = (index: number, delta: Record<string, unknown>, finish: string | null = null) => JSON.stringify({ ...envelope, choices: [{ index, delta, logprobs: null, finish_reason: finish }] });
const usageChunk = JSON.stringify({ ...envelope, choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } });

/** Feeds the events' data to one emulation; what the client gets, as the data of its events. */
function run(events: string[], options: Partial<ChatStopOptions> = {}): string[] {
  const stream = new ChatStopStream({ sequences: SEQ, choices: 1, ...options });
  const text = events.map((data) => stream.event(data)).join('') + stream.end();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((event) => event.replace(/^data: /, ''));
}

/** What the client's events say: each choice's text, finish reasons, and whether usage and [DONE] came. */
function read(events: string[]) {
  const text: Record<number, string> = {};
  const finish: Record<number, string> = {};
  let usage = false;
  let done = 0;
  for (const data of events) {
    if (data === '[DONE]') {
      done++;
      continue;
    }
    const parsed = JSON.parse(data) as { choices: { index: number; delta: { content?: string }; finish_reason: string | null }[]; usage?: unknown };
    if (parsed.usage) usage = true;
    for (const choice of parsed.choices) {
      if (choice.delta.content) text[choice.index] = (text[choice.index] ?? '') + choice.delta.content;
      if (choice.finish_reason) finish[choice.index] = choice.finish_reason;
    }
  }
  return { text, finish, usage, done };
}

describe('stoppedCompletion, on a whole Chat Completions answer', () => {
  const whole = (choices: unknown[]) => Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'o3', choices, usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } }));
  const cut = (choices: unknown[]) => {
    const out = stoppedCompletion(whole(choices), SEQ);
    return out && (JSON.parse(Buffer.from(out).toString()) as { choices: unknown[]; usage: unknown });
  };

  it('cuts the content before the sequence and says the choice stopped, keeping the upstream’s usage', () => {
    const out = cut([{ index: 0, message: { role: 'assistant', content: 'Thought: x\nObservation: 42', refusal: null }, finish_reason: 'length' }]);

    expect(out).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'o3',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Thought: x', refusal: null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
    });
  });

  it('cuts each of n choices on its own', () => {
    const out = cut([
      { index: 0, message: { role: 'assistant', content: 'no sequence' }, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: 'a\nObservation: b' }, finish_reason: 'length' },
    ]);

    expect(out!.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'no sequence' }, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: 'a' }, finish_reason: 'stop' },
    ]);
  });

  it('drops the tool calls of a choice whose text stopped, and leaves a choice with only tool calls alone', () => {
    const calls = [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"q":"\\nObservation:"}' } }];

    const out = cut([
      { index: 0, message: { role: 'assistant', content: 'Checking\nObservation:', tool_calls: calls }, finish_reason: 'tool_calls' },
      { index: 1, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' },
    ]);

    expect(out!.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Checking' }, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' },
    ]);
  });

  it('keeps the logprobs of the tokens before the cut only (GPT-5.1 takes logprobs at effort none)', () => {
    // `é` is two bytes: offsets are counted in the tokens' UTF-8 bytes, as `bytes` gives them.
    const token = (t: string) => ({ token: t, logprob: -0.1, bytes: [...Buffer.from(t)], top_logprobs: [] });
    const tokens = ['Thought', ': é', '\nObserv', 'ation', ':', ' 42'].map(token);

    const out = cut([{ index: 0, message: { role: 'assistant', content: 'Thought: é\nObservation: 42' }, logprobs: { content: tokens, refusal: null }, finish_reason: 'stop' }]);

    expect(out!.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'Thought: é' }, logprobs: { content: tokens.slice(0, 2), refusal: null }, finish_reason: 'stop' }]);
  });

  it('answers undefined, the bytes to go on as they are, when no choice holds a sequence or the bytes are no answer', () => {
    expect(stoppedCompletion(whole([{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }]), SEQ)).toBeUndefined();
    expect(stoppedCompletion(Buffer.from('not json'), SEQ)).toBeUndefined();
    expect(stoppedCompletion(Buffer.from('{"error":{"message":"x"}}'), SEQ)).toBeUndefined();
  });
});

describe('ChatStopStream, event by event', () => {
  it('passes events that need nothing as the very bytes they came as', () => {
    const events = [chunk(0, { role: 'assistant', content: '' }), chunk(0, { content: 'Hello' }), chunk(0, {}, 'stop'), '[DONE]'];

    expect(run(events)).toEqual(events);
  });

  it('ends the choice at a sequence split across chunks with a finish chunk, dropping the rest of it and the upstream’s own finish', () => {
    const out = run([chunk(0, { role: 'assistant', content: '' }), chunk(0, { content: 'Thought: x\nObs' }), chunk(0, { content: 'ervation: 42' }), chunk(0, { content: ' more' }), chunk(0, {}, 'stop'), '[DONE]']);

    expect(read(out)).toEqual({ text: { 0: 'Thought: x' }, finish: { 0: 'stop' }, usage: false, done: 1 });
    expect(out.at(-2)).toBe(JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }));
  });

  it('still passes the upstream’s usage chunk and [DONE] after the choice has ended', () => {
    const out = run([chunk(0, { content: 'x\nObservation:' }), chunk(0, { content: 'after' }), chunk(0, {}, 'stop'), usageChunk, '[DONE]']);

    expect(out).toEqual([chunk(0, { content: 'x' }), JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }), usageChunk, '[DONE]']);
  });

  it('sends held text with the upstream’s own finish when no sequence came', () => {
    const out = run([chunk(0, { content: 'Bye\n' }), chunk(0, {}, 'length'), '[DONE]']);

    expect(out).toEqual([chunk(0, { content: 'Bye' }), chunk(0, { content: '\n' }, 'length'), '[DONE]']);
  });

  it('sends held text before tool calls begin, and never searches their arguments', () => {
    const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '"\\nObservation:"' } };

    const out = run([chunk(0, { content: 'Calling\n' }), chunk(0, { tool_calls: [call] }), chunk(0, {}, 'tool_calls'), '[DONE]']);

    expect(out).toEqual([chunk(0, { content: 'Calling' }), chunk(0, { tool_calls: [call], content: '\n' }), chunk(0, {}, 'tool_calls'), '[DONE]']);
  });

  it('treats n choices on their own: one stopped early, the other running to its finish, [DONE] only when both have ended', () => {
    const out = run([chunk(0, { content: 'a\nObservation: b' }), chunk(1, { content: 'no stop ' }), chunk(0, { content: 'dropped' }), chunk(1, { content: 'here' }), chunk(1, {}, 'stop'), chunk(0, {}, 'stop'), '[DONE]'], { choices: 2 });

    expect(read(out)).toEqual({ text: { 0: 'a', 1: 'no stop here' }, finish: { 0: 'stop', 1: 'stop' }, usage: false, done: 1 });
    expect(out.at(-1)).toBe('[DONE]');
  });

  it('passes an in-band error while the client still reads, and after every choice has ended nothing but the [DONE] the upstream did not send', () => {
    const error = JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: null } });

    expect(run([chunk(0, { content: 'a' }), error])).toEqual([chunk(0, { content: 'a' }), error]);
    expect(run([chunk(0, { content: 'a\nObservation:' }), error])).toEqual([chunk(0, { content: 'a' }), JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }), '[DONE]']);
  });

  it('keeps the logprobs of a matching chunk’s tokens before the cut only', () => {
    const token = (t: string) => ({ token: t, logprob: -0.1, bytes: [...Buffer.from(t)], top_logprobs: [] });
    const stream = new ChatStopStream({ sequences: ['END'], choices: 1 });
    const withLogprobs = (content: string, tokens: string[]) => JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content }, logprobs: { content: tokens.map(token), refusal: null }, finish_reason: null }] });

    const first = stream.event(withLogprobs('yes E', ['yes', ' E']));
    const second = stream.event(withLogprobs('ND no', ['ND', ' no']));

    // ' E' is held (it may begin END) with its logprobs sent already: the second chunk's tokens are the sequence's and after it.
    expect(first).toBe(`data: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'yes ' }, logprobs: { content: ['yes', ' E'].map(token), refusal: null }, finish_reason: null }] })}\n\n`);
    expect(second).toBe(`data: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\n`);
    const third = new ChatStopStream({ sequences: ['END'], choices: 1 }).event(withLogprobs('yes END no', ['yes', ' END', ' no']));
    expect(third.split('\n\n')[0]).toBe(`data: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'yes ' }, logprobs: { content: ['yes', ' END'].map(token), refusal: null }, finish_reason: null }] })}`);
  });

  it('sends text still held when the stream breaks off before its finish', () => {
    const out = run([chunk(0, { content: 'cut\n' })]);

    expect(read(out).text).toEqual({ 0: 'cut\n' });
  });
});

describe('stoppedChatStream, on bytes', () => {
  it.each([
    ['CR line ends', '\r'],
    ['CRLF line ends', '\r\n'],
  ])('reads the last event of a stream in %s (the finish, [DONE] not sent by the upstream)', async (_name, eol) => {
    const sse = `data: ${chunk(0, { content: 'x' })}\n\ndata: ${chunk(0, {}, 'stop')}\n\n`.replaceAll('\n', eol);
    async function* source() {
      for (const piece of sse.match(/[\s\S]{1,5}/g)!) yield Buffer.from(piece);
    }

    let out = '';
    for await (const bytes of stoppedChatStream(source(), { sequences: SEQ, choices: 1 })) out += Buffer.from(bytes).toString();

    expect(out).toBe(`data: ${chunk(0, { content: 'x' })}\n\ndata: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
  });

  it('reads SSE split anywhere across chunks, keeps comments, and reads the upstream to its end', async () => {
    const sse = `: keep-alive\n\ndata: ${chunk(0, { content: 'x\nObserv' })}\n\ndata: ${chunk(0, { content: 'ation: y' })}\n\ndata: ${chunk(0, {}, 'stop')}\n\ndata: [DONE]\n\n`;
    const pieces = sse.match(/[\s\S]{1,7}/g)!;
    let read = 0;
    async function* source() {
      for (const piece of pieces) {
        read++;
        yield Buffer.from(piece);
      }
    }

    let out = '';
    for await (const bytes of stoppedChatStream(source(), { sequences: SEQ, choices: 1 })) out += Buffer.from(bytes).toString();

    expect(out).toBe(`: keep-alive\n\ndata: ${chunk(0, { content: 'x' })}\n\ndata: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    expect(read).toBe(pieces.length);
  });

  it('ends the client’s whole answer with [DONE] when the upstream breaks off after it, and hands the failure back', async () => {
    const failure = new Error('socket hang up');
    async function* source() {
      yield Buffer.from(`data: ${chunk(0, { content: 'x\nObservation: y' })}\n\n`);
      throw failure;
    }
    const stream = stoppedChatStream(source(), { sequences: SEQ, choices: 1 });

    let out = '';
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) out += Buffer.from(next.value).toString();

    expect(out).toBe(`data: ${chunk(0, { content: 'x' })}\n\ndata: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    expect(next.value).toEqual({ answered: true, failure });
  });

  it('lets a failure before the answer is whole go on to the client', async () => {
    async function* source() {
      yield Buffer.from(`data: ${chunk(0, { content: 'x' })}\n\n`);
      throw new Error('socket hang up');
    }

    const read = async () => {
      for await (const _bytes of stoppedChatStream(source(), { sequences: SEQ, choices: 1 }));
    };

    await expect(read()).rejects.toThrow('socket hang up');
  });
});
