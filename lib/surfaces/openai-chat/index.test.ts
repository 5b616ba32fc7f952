import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ChatResponse, StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { createOpenAIChatSurface, openAIChatSurface } from './index';

const usage = { input: 30, output: 12, cacheRead: 20, cacheWrite: 0, reasoning: 4 };

/** A local server that answers every request with what the surface encodes, as the gateway would. */
async function serve(answer: { events: StreamEvent[] } | { response: ChatResponse }): Promise<{ client: OpenAI; server: Server }> {
  const surface = createOpenAIChatSurface();
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const piece of req) raw += String(piece);
    const body = JSON.parse(raw) as { model: string; stream_options?: { include_usage?: boolean } };
    if ('response' in answer) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(surface.encodeResponse(answer.response, body.model)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    const list = answer.events;
    async function* events(): AsyncGenerator<StreamEvent> {
      yield* list;
    }
    for await (const piece of surface.encodeStream(events(), { model: body.model, includeUsage: body.stream_options?.include_usage === true })) res.write(piece);
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { client: new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0, timeout: 5_000 }), server };
}

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris and the time?' }];

describe('openAIChatSurface with the official openai client', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('assembles a streamed answer with text, parallel tool calls and usage after the finish', async () => {
    // Prepare
    const events: StreamEvent[] = [
      { type: 'start', id: 'msg_01', model: 'claude-x' },
      { type: 'thinking_delta', text: 'Two tools.' },
      { type: 'text_delta', text: 'Let me check.' },
      { type: 'tool_call_start', toolIndex: 0, id: 'toolu_a', name: 'weather' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '"Paris"}' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'tool_call_start', toolIndex: 1, id: 'toolu_b', name: 'time' },
      { type: 'tool_call_delta', toolIndex: 1, arguments: '{}' },
      { type: 'tool_call_end', toolIndex: 1 },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage },
    ];
    const served = await serve({ events });
    server = served.server;

    // Act
    const completion = await served.client.chat.completions.stream({ model: 'gpt-4o', messages, stream_options: { include_usage: true } }).finalChatCompletion();

    // Assess
    expect(completion.id).toBe('chatcmpl-msg_01');
    expect(completion.model).toBe('gpt-4o');
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]!.message.content).toBe('Let me check.');
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      { id: 'toolu_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      { id: 'toolu_b', type: 'function', function: { name: 'time', arguments: '{}' } },
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 12, total_tokens: 42, prompt_tokens_details: { cached_tokens: 20 } });
  });

  it('makes the client raise on an in-band error event', async () => {
    // Prepare
    const events: StreamEvent[] = [
      { type: 'start', id: 'msg_02', model: 'claude-x' },
      { type: 'text_delta', text: 'Partial' },
      { type: 'error', error: new GatewayError('overloaded', 'The upstream is overloaded.', { code: 'overloaded' }) },
    ];
    const served = await serve({ events });
    server = served.server;

    // Act
    const pending = served.client.chat.completions.stream({ model: 'gpt-4o', messages }).finalChatCompletion();

    // Assess
    await expect(pending).rejects.toThrow('The upstream is overloaded.');
  });

  it('gives the client a whole completion it reads', async () => {
    // Prepare
    const response: ChatResponse = { id: 'msg_03', model: 'claude-x', parts: [{ type: 'text', text: 'Sunny.' }], finishReason: 'stop', usage };
    const served = await serve({ response });
    server = served.server;

    // Act
    const completion = await served.client.chat.completions.create({ model: 'gpt-4o', messages });

    // Assess
    expect(completion).toMatchObject({ id: 'chatcmpl-msg_03', object: 'chat.completion', model: 'gpt-4o', choices: [{ message: { content: 'Sunny.' }, finish_reason: 'stop' }] });
  });
});

describe('openAIChatSurface', () => {
  it('encodes errors in the OpenAI error shape', () => {
    expect(openAIChatSurface.encodeError(new GatewayError('invalid_request', 'n > 1 is not supported.', { param: 'n', code: 'unsupported_parameter' }))).toEqual({
      error: { message: 'n > 1 is not supported.', type: 'invalid_request_error', param: 'n', code: 'unsupported_parameter' },
    });
  });
});
