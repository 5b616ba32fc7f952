import type { ChatRequest, StreamEvent } from '../../canonical/types';
import type { CallContext } from '../types';
import { createUpstreamClient, type UpstreamClient } from '../../upstream/http';
import { startFakeBedrock, type FakeBedrock } from '../../../test/fakes/bedrock';
import { bedrockAnthropicPassthroughRequest, bedrockAnthropicStreamToSse, configuredBedrockCredentials, createBedrockProvider } from './index';

const KEYS = { accessKeyId: 'AKIDBEDROCKTEST0001', secretAccessKey: 'bedrock/test+secret/0123456789abcdef' };
const REGION = 'eu-central-1';
const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const PROFILE_ARN = 'arn:aws:bedrock:eu-central-1:123456789012:application-inference-profile/a1b2c3';
const TIMEOUTS = { headersMs: 5_000, idleMs: 5_000 };

const chat = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: CLAUDE,
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'hello there' }] }],
  maxTokens: 50,
  stream: false,
  ...over,
});

describe('the Bedrock provider against the fake Bedrock, through the gateway upstream client', () => {
  let fake: FakeBedrock;
  let upstream: UpstreamClient;
  let call: CallContext;
  const provider = createBedrockProvider({ credentials: async () => KEYS });

  beforeAll(async () => {
    fake = await startFakeBedrock({ ...KEYS, region: REGION });
    upstream = createUpstreamClient();
    call = { provider: { id: 'bedrock-main', type: 'bedrock', region: REGION, baseUrl: fake.url }, account: { id: 'main', weight: 1 }, apiKey: undefined, timeouts: TIMEOUTS };
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await upstream.close();
    await fake.close();
  });

  async function send(req: ChatRequest, ctx: CallContext = call) {
    const res = await upstream.send(await provider.buildRequest(req, ctx));
    return res;
  }

  it.each([
    { name: 'a versioned model id with a colon', model: CLAUDE },
    { name: 'an application inference-profile ARN', model: PROFILE_ARN },
  ])('gets a Converse answer for $name past the signature check', async ({ model }) => {
    // Act
    const res = await send(chat({ model }));
    const answer = provider.parseResponse(JSON.parse(await res.body.text()), chat({ model }));

    // Assess
    expect(res.status).toBe(200);
    expect(fake.requests[0]).toMatchObject({ modelId: model, operation: 'converse', signatureValid: true });
    expect(fake.requests[0]?.body).toMatchObject({ system: [{ text: 'Be brief.' }], inferenceConfig: { maxTokens: 50 } });
    expect(answer).toMatchObject({ parts: [{ type: 'text', text: 'Echo: hello there' }], finishReason: 'stop' });
  });

  it('streams a ConverseStream answer cut at awkward byte offsets into canonical events', async () => {
    // Prepare
    fake.reply({ kind: 'tool_use', text: 'Looking it up.', calls: [{ id: 'tooluse_1', name: 'lookup', input: { q: 'x' } }], usage: { input: 20, output: 9, cacheRead: 5 }, chunking: 'awkward' });
    const req = chat({ stream: true, tools: [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }] });

    // Act
    const res = await send(req);
    const events: StreamEvent[] = [];
    for await (const e of provider.parseStream(res.body, req)) events.push(e);

    // Assess
    expect(res.headers['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(events.map((e) => e.type)).toEqual(['start', 'text_delta', 'text_delta', 'text_delta', 'tool_call_start', 'tool_call_delta', 'tool_call_delta', 'tool_call_end', 'finish', 'usage']);
    expect(events.filter((e) => e.type === 'tool_call_delta').map((e) => (e as { arguments: string }).arguments).join('')).toBe('{"q":"x"}');
    expect(events.at(-2)).toEqual({ type: 'finish', reason: 'tool_calls' });
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { input: 25, output: 9, cacheRead: 5, cacheWrite: 0, reasoning: 0 } });
  });

  it('turns the 403 for a wrong secret into a 502 that blames the gateway credentials', async () => {
    // Prepare
    const wrong = createBedrockProvider({ credentials: async () => ({ ...KEYS, secretAccessKey: 'wrong' }) });

    // Act
    const res = await upstream.send(await wrong.buildRequest(chat(), call));
    const err = wrong.parseError(res.status, res.headers, await res.body.text(), 'bedrock-main');

    // Assess
    expect(res.status).toBe(403);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(err.message).toMatch(/InvalidSignatureException/);
  });

  it('turns a throttling answer into a 429', async () => {
    // Prepare
    fake.reply({ kind: 'error', type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' });

    // Act
    const res = await send(chat());
    const err = provider.parseError(res.status, res.headers, await res.body.text(), 'bedrock-main');

    // Assess
    expect(err).toMatchObject({ status: 429, kind: 'rate_limit', message: 'Too many requests, please wait before trying again.' });
  });

  it('signs with static account credentials resolved from the config references, session token included', async () => {
    // Prepare
    const values: Record<string, string> = { AK: KEYS.accessKeyId, SK: KEYS.secretAccessKey, TOKEN: 'session-token-1' };
    const configured = createBedrockProvider({ credentials: configuredBedrockCredentials(async (ref) => values[(ref as { env: string }).env] ?? '') });
    const account = { id: 'static', weight: 1, awsCredentials: { accessKeyId: { env: 'AK' }, secretAccessKey: { env: 'SK' }, sessionToken: { env: 'TOKEN' } } };

    // Act
    const res = await upstream.send(await configured.buildRequest(chat(), { ...call, account }));
    await res.body.dump();

    // Assess
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.headers['x-amz-security-token']).toBe('session-token-1');
  });

  it('refuses a request Converse cannot express before asking for credentials', async () => {
    // Prepare
    const credentials = jest.fn(async () => KEYS);
    const guarded = createBedrockProvider({ credentials });

    // Act
    const failure = await Promise.resolve(guarded.buildRequest(chat({ seed: 7 }), call)).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ status: 400, param: 'seed' });
    expect(credentials).not.toHaveBeenCalled();
  });

  describe('Anthropic passthrough on InvokeModel', () => {
    const anthropicBody = { model: 'claude-3-5-sonnet', max_tokens: 30, stream: true, metadata: { user_id: 'u1' }, messages: [{ role: 'user', content: 'hello there' }] };

    it('sends the Anthropic body without model and stream, with Bedrock version and only the betas Bedrock takes', async () => {
      // Act
      const req = await bedrockAnthropicPassthroughRequest({
        body: { ...anthropicBody, stream: false },
        betaHeader: 'claude-code-20250219,interleaved-thinking-2025-05-14',
        modelId: CLAUDE,
        endpoint: fake.url,
        region: REGION,
        credentials: KEYS,
        stream: false,
        timeouts: TIMEOUTS,
      });
      const res = await upstream.send(req);
      const message = JSON.parse(await res.body.text()) as Record<string, unknown>;

      // Assess
      expect(res.status).toBe(200);
      expect(fake.requests[0]).toMatchObject({ operation: 'invoke', signatureValid: true });
      expect(fake.requests[0]?.body).toEqual({
        max_tokens: 30,
        metadata: { user_id: 'u1' },
        messages: [{ role: 'user', content: 'hello there' }],
        anthropic_version: 'bedrock-2023-05-31',
        anthropic_beta: ['interleaved-thinking-2025-05-14'],
      });
      expect(message).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'Echo: hello there' }] });
    });

    it('turns InvokeModelWithResponseStream chunks back into Anthropic SSE', async () => {
      // Prepare
      fake.reply({ kind: 'text', text: 'Hi you', chunking: 'awkward' });
      const req = await bedrockAnthropicPassthroughRequest({ body: anthropicBody, modelId: CLAUDE, endpoint: fake.url, region: REGION, credentials: KEYS, stream: true, timeouts: TIMEOUTS });

      // Act
      const res = await upstream.send(req);
      let sse = '';
      for await (const piece of bedrockAnthropicStreamToSse(res.body)) sse += piece;

      // Assess
      expect(fake.requests[0]?.operation).toBe('invoke-with-response-stream');
      const types = [...sse.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
      expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
      expect(sse).toContain('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi "}}\n\n');
      expect(sse).toContain('amazon-bedrock-invocationMetrics');
    });

    it('ends the SSE with an Anthropic error event when Bedrock sends an exception frame', async () => {
      // Prepare
      fake.reply({ kind: 'exception', type: 'throttlingException', afterEvents: 2, message: 'Too many tokens' });
      const req = await bedrockAnthropicPassthroughRequest({ body: anthropicBody, modelId: CLAUDE, endpoint: fake.url, region: REGION, credentials: KEYS, stream: true, timeouts: TIMEOUTS });

      // Act
      const res = await upstream.send(req);
      const pieces: string[] = [];
      for await (const piece of bedrockAnthropicStreamToSse(res.body)) pieces.push(piece);

      // Assess
      expect(pieces).toHaveLength(3);
      expect(pieces.at(-1)).toBe('event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"Too many tokens"}}\n\n');
    });
  });
});

describe('the answer to a prefill that ends in whitespace', () => {
  const provider = createBedrockProvider({ credentials: async () => KEYS });
  const prefilled = (model: string): ChatRequest =>
    chat({ model, messages: [{ role: 'user', parts: [{ type: 'text', text: 'Go on' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'def f():\n' }] }] });
  const converse = { output: { message: { role: 'assistant', content: [{ text: '\n    return 1' }] } }, stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 } };

  it.each([
    { name: 'loses the line end Claude repeats, which the request left off', model: CLAUDE, text: '    return 1' },
    { name: 'keeps it on another family, whose prefill went as it came', model: 'meta.llama3-70b-instruct-v1:0', text: '\n    return 1' },
  ])('$name', ({ model, text }) => {
    // Act
    const answer = provider.parseResponse(converse, prefilled(model));

    // Assess
    expect(answer).toMatchObject({ parts: [{ type: 'text', text }], finishReason: 'stop', usage: { input: 9, output: 4 } });
  });
});
