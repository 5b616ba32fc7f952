import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ConverseStreamOutput,
  type ToolChoice,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../lib/cli/sigv4';
import { startFakeBedrock, type FakeBedrock } from './bedrock';
import { bedrockEmbedding, titanTokens } from './bedrock-embeddings';
import { rankDocuments } from './rerank-wire';

const CREDENTIALS = { accessKeyId: 'AKIDFAKEBEDROCK0001', secretAccessKey: 'fake/secret+key/0123456789abcdefghijklmn' };
const REGION = 'us-west-2';
const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const PROFILE_ARN = 'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0';
const USER = [{ role: 'user' as const, content: [{ text: 'hello world' }] }];
const use = (toolUseId: string) => ({ toolUse: { toolUseId, name: 'f', input: {} } });
const result = (toolUseId: string) => ({ toolResult: { toolUseId, content: [{ text: 'ok' }] } });

/** The official client over HTTP/1.1 (it defaults to HTTP/2, which the fake does not speak). */
function sdkClient(fake: FakeBedrock, secretAccessKey = CREDENTIALS.secretAccessKey): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: REGION,
    endpoint: fake.url,
    credentials: { ...CREDENTIALS, secretAccessKey },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

describe('fake Bedrock Runtime, through the official AWS SDK client', () => {
  let fake: FakeBedrock;
  let client: BedrockRuntimeClient;

  beforeAll(async () => {
    fake = await startFakeBedrock({ ...CREDENTIALS, region: REGION });
    client = sdkClient(fake);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });

  it('answers Converse with an echo, usage and end_turn, after checking the signature of a model id with a colon', async () => {
    // Act
    const out = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: USER }));

    // Assess
    expect(out.output?.message).toEqual({ role: 'assistant', content: [{ text: 'Echo: hello world' }] });
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.outputTokens).toBeGreaterThan(0);
    expect(fake.requests[0]).toMatchObject({ path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse', modelId: CLAUDE, signatureValid: true });
  });

  it('accepts an inference-profile ARN as the model id', async () => {
    // Act
    const out = await client.send(new ConverseCommand({ modelId: PROFILE_ARN, messages: USER }));

    // Assess
    expect(out.stopReason).toBe('end_turn');
    expect(fake.requests[0]?.modelId).toBe(PROFILE_ARN);
  });

  it('refuses a request signed with the wrong secret the way AWS does', async () => {
    // Prepare
    const wrong = sdkClient(fake, 'not-the-secret');

    // Act
    const failure = await wrong.send(new ConverseCommand({ modelId: CLAUDE, messages: USER })).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    expect((failure as Error).message).toMatch(/signature we calculated does not match/);
    wrong.destroy();
  });

  it.each([' leading space', '\n\n  indented line\n', 'two  spaces  between ', '   '])('streams every byte of %j across its default pieces', async (text) => {
    // Prepare
    fake.reply({ kind: 'text', text });

    // Act
    const out = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages: USER }));
    const events = await collect(out.stream);

    // Assess
    expect(events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('')).toBe(text);
  });

  it.each(['frame', 'together', 'awkward'] as const)('streams ConverseStream frames the SDK decodes when written %s', async (chunking) => {
    // Prepare
    fake.reply({ kind: 'text', text: 'Hello there, friend', chunks: ['Hel', 'lo there', ', friend'], usage: { input: 12, output: 3, cacheRead: 4 }, chunking });

    // Act
    const out = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages: USER }));
    const events = await collect(out.stream);

    // Assess
    expect(events.map((e) => Object.keys(e).find((k) => k !== '$unknown'))).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('')).toBe('Hello there, friend');
    expect(events[5]?.messageStop?.stopReason).toBe('end_turn');
    expect(events[6]?.metadata?.usage).toEqual({ inputTokens: 12, outputTokens: 3, totalTokens: 19, cacheReadInputTokens: 4 });
  });

  it('streams a tool call as contentBlockStart with its id and name, then input fragments', async () => {
    // Prepare
    fake.reply({ kind: 'tool_use', calls: [{ id: 'tooluse_abc', name: 'get_weather', input: { city: 'Paris' } }] });

    // Act
    const out = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages: USER }));
    const events = await collect(out.stream);

    // Assess
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse).toEqual({ toolUseId: 'tooluse_abc', name: 'get_weather' });
    const input = events.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(input)).toEqual({ city: 'Paris' });
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('raises the exception frame sent mid-stream as the SDK exception', async () => {
    // Prepare
    fake.reply({ kind: 'exception', type: 'throttlingException', afterEvents: 2, message: 'Too many tokens, please wait.' });

    // Act
    const out = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages: USER }));
    const failure = await collect(out.stream).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'ThrottlingException', message: 'Too many tokens, please wait.' });
  });

  it('drops the connection mid-stream in drop mode, which the SDK reports', async () => {
    // Prepare
    fake.reply({ kind: 'drop', afterEvents: 2 });

    // Act
    const out = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages: USER }));
    const failure = await collect(out.stream).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ message: expect.stringMatching(/aborted|closed|terminated|socket|ECONNRESET/i) });
  });

  it('never answers in hang mode, so only the caller abort ends the call', async () => {
    // Prepare
    fake.reply({ kind: 'hang' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);

    // Act
    const failure = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: USER }), { abortSignal: abort.signal }).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'AbortError' });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    { type: 'ThrottlingException', status: 429 },
    { type: 'ValidationException', status: 400 },
    { type: 'ServiceUnavailableException', status: 503 },
    { type: 'ModelTimeoutException', status: 408 },
  ])('answers an error reply of $type with status $status that the SDK names', async ({ type, status }) => {
    // Prepare
    fake.reply({ kind: 'error', type, message: 'fake failure' });

    // Act
    const failure = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: USER })).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: type, message: 'fake failure', $metadata: { httpStatusCode: status } });
  });

  it.each([
    {
      name: 'a toolUse not answered in the next message',
      messages: [...USER, { role: 'assistant' as const, content: [use('a'), use('b')] }, { role: 'user' as const, content: [result('b')] }],
      message: 'Expected toolResult blocks at messages.2.content for the following Ids: a',
    },
    { name: 'a toolResult answering no toolUse', messages: [{ role: 'user' as const, content: [result('z')] }], message: 'The number of toolResult blocks at messages.0.content exceeds the number of toolUse blocks of previous turn.' },
  ])('refuses $name, as Bedrock does', async ({ messages, message }) => {
    // Act
    const failure = await client.send(new ConverseCommand({ modelId: CLAUDE, messages, toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] } })).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'ValidationException', message });
  });

  it.each<{ name: string; toolChoice?: ToolChoice; additional: Record<string, string | boolean>; message: RegExp }>([
    { name: "Claude's tool_choice without a type and no toolChoice", toolChoice: undefined, additional: { disable_parallel_tool_use: true }, message: /tool_choice\.type: Field required$/ },
    {
      name: "Claude's tool_choice type beside a toolChoice",
      toolChoice: { tool: { name: 'f' } },
      additional: { type: 'tool', name: 'f', disable_parallel_tool_use: true },
      message: /^The additional field tool_choice\/type conflicts with the existing field toolConfig\.toolChoice\.tool\./,
    },
  ])('refuses $name in additionalModelRequestFields, as Bedrock does', async ({ toolChoice, additional, message }) => {
    // Act
    const tools = [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }];
    const failure = await client
      .send(new ConverseCommand({ modelId: CLAUDE, messages: USER, toolConfig: { tools, ...(toolChoice ? { toolChoice } : {}) }, additionalModelRequestFields: { tool_choice: additional } }))
      .catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(message) });
  });

  it.each<{ name: string; toolChoice?: ToolChoice; additional: Record<string, string | boolean> }>([
    { name: 'with its type and no toolChoice', toolChoice: undefined, additional: { type: 'auto', disable_parallel_tool_use: true } },
    { name: 'without a type beside a toolChoice', toolChoice: { any: {} }, additional: { disable_parallel_tool_use: true } },
  ])("takes Claude's disable_parallel_tool_use $name", async ({ toolChoice, additional }) => {
    // Prepare
    fake.reply({ kind: 'text', text: 'ok' });

    // Act
    const tools = [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }];
    const out = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: USER, toolConfig: { tools, ...(toolChoice ? { toolChoice } : {}) }, additionalModelRequestFields: { tool_choice: additional } }));

    // Assess
    expect(out.stopReason).toBe('end_turn');
  });

  it('refuses roles that do not alternate, as Bedrock does', async () => {
    // Act
    const failure = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: [...USER, ...USER] })).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/must alternate/) });
  });

  it.each<{ name: string; toolChoice: ToolChoice; refused: boolean }>([
    { name: 'refuses', toolChoice: { any: {} }, refused: true },
    { name: 'refuses a named tool too', toolChoice: { tool: { name: 'f' } }, refused: true },
    { name: 'takes auto', toolChoice: { auto: {} }, refused: false },
  ])('$name beside Claude thinking, as Claude does (tool_choice only auto or none while thinking)', async ({ toolChoice, refused }) => {
    // Prepare
    const command = new ConverseCommand({
      modelId: CLAUDE,
      messages: USER,
      toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }], toolChoice },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    });

    // Act
    const failure = await client.send(command).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(failure).toEqual(refused ? expect.objectContaining({ name: 'ValidationException', message: expect.stringMatching(/tool_choice forces tool use/) }) : undefined);
  });

  it('answers InvokeModel with the Anthropic message JSON', async () => {
    // Prepare
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 20, messages: [{ role: 'user', content: 'hello world' }] });

    // Act
    const out = await client.send(new InvokeModelCommand({ modelId: CLAUDE, body, contentType: 'application/json', accept: 'application/json' }));

    // Assess
    expect(JSON.parse(new TextDecoder().decode(out.body))).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Echo: hello world' }], stop_reason: 'end_turn' });
  });

  it('streams InvokeModelWithResponseStream chunks whose bytes are Anthropic events', async () => {
    // Prepare
    fake.reply({ kind: 'text', text: 'Hi there', chunking: 'awkward' });
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] });

    // Act
    const out = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE, body, contentType: 'application/json' }));
    const types: string[] = [];
    for await (const event of out.body ?? []) types.push((JSON.parse(new TextDecoder().decode(event.chunk?.bytes)) as { type: string }).type);

    // Assess
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });

  it('refuses an InvokeModel body that still names the model', async () => {
    // Prepare
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', model: 'claude', max_tokens: 20, messages: [] });

    // Act
    const failure = await client.send(new InvokeModelCommand({ modelId: CLAUDE, body })).catch((e: unknown) => e);

    // Assess
    expect(failure).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/extraneous key \[model\]/) });
  });

  describe('embedding models on InvokeModel', () => {
    const invoke = async (modelId: string, body: unknown) => {
      const out = await client.send(new InvokeModelCommand({ modelId, body: JSON.stringify(body), contentType: 'application/json', accept: 'application/json' }));
      return JSON.parse(Buffer.from(out.body).toString('utf8')) as Record<string, unknown>;
    };

    it('answers Titan V2 with its normalized vector, the dimensions asked for and the token count', async () => {
      // Act
      const out = await invoke('amazon.titan-embed-text-v2:0', { inputText: 'hello world', dimensions: 256 });

      // Assess
      expect(out.embedding).toEqual(bedrockEmbedding('amazon.titan-embed-text-v2:0', 'hello world', 256));
      expect(Math.hypot(...(out.embedding as number[]))).toBeCloseTo(1, 5);
      expect(out).toMatchObject({ inputTextTokenCount: titanTokens('hello world'), embeddingsByType: { float: out.embedding } });
      expect(fake.requests[0]).toMatchObject({ operation: 'invoke', signatureValid: true });
    });

    it('answers Cohere v3 with float lists and Cohere v4 by type, with no token count', async () => {
      const v3 = await invoke('cohere.embed-english-v3', { texts: ['a', 'b'], input_type: 'search_document' });
      const v4 = await invoke('cohere.embed-v4:0', { texts: ['a'], input_type: 'search_query', embedding_types: ['float'], output_dimension: 256 });

      expect(v3).toMatchObject({ embeddings: [bedrockEmbedding('cohere.embed-english-v3', 'a'), bedrockEmbedding('cohere.embed-english-v3', 'b')], response_type: 'embeddings_floats', texts: ['a', 'b'] });
      expect(v4).toMatchObject({ embeddings: { float: [bedrockEmbedding('cohere.embed-v4:0', 'a', 256)] }, response_type: 'embeddings_by_type' });
      expect(v3).not.toHaveProperty('inputTextTokenCount');
    });

    it.each([
      { name: 'dimensions on Titan V1', modelId: 'amazon.titan-embed-text-v1', body: { inputText: 'x', dimensions: 256 }, message: /extraneous key \[dimensions\]/ },
      { name: 'dimensions Titan V2 cannot give', modelId: 'amazon.titan-embed-text-v2:0', body: { inputText: 'x', dimensions: 768 }, message: /768 is not a valid enum value/ },
      { name: 'more than 96 Cohere texts', modelId: 'cohere.embed-english-v3', body: { texts: Array.from({ length: 97 }, () => 'x'), input_type: 'search_document' }, message: /maximum item count: 96, found: 97/ },
      { name: 'a Cohere body without input_type', modelId: 'cohere.embed-multilingual-v3', body: { texts: ['x'] }, message: /required key \[input_type\]/ },
    ])('refuses $name with a ValidationException', async ({ modelId, body, message }) => {
      const failure = await invoke(modelId, body).catch((e: unknown) => e);

      expect(failure).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(message) });
    });
  });

  it('serves InvokeModel on a rerank model no more: Rerank is the agent runtime\'s operation', async () => {
    const failure = await client
      .send(new InvokeModelCommand({ modelId: 'amazon.rerank-v1:0', body: JSON.stringify({ query: 'q', documents: ['a'] }), contentType: 'application/json' }))
      .catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: 'ValidationException' });
  });
});

/**
 * The fake's Rerank (the Agents for Amazon Bedrock runtime's `POST /rerank`), called with plain
 * `fetch` signed by Smithy's SigV4 signer (the agent runtime's SDK client is not installed), as
 * the AWS SDK signs it: service `bedrock`, the body's SHA-256 signed.
 */
describe('fake Bedrock agent runtime Rerank', () => {
  let fake: FakeBedrock;
  const documents = ['Berlin is the capital of Germany.', 'Paris is the capital of France.', 'The capital of France is Paris, on the Seine.'];
  const modelArn = (model: string, region = REGION) => `arn:aws:bedrock:${region}::foundation-model/${model}`;
  const body = (model: string, texts: string[], extra: { numberOfResults?: number; additionalModelRequestFields?: object; nextToken?: string } = {}) => ({
    queries: [{ type: 'TEXT', textQuery: { text: 'capital of France' } }],
    sources: texts.map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
    rerankingConfiguration: {
      type: 'BEDROCK_RERANKING_MODEL',
      bedrockRerankingConfiguration: {
        ...(extra.numberOfResults !== undefined ? { numberOfResults: extra.numberOfResults } : {}),
        modelConfiguration: { modelArn: modelArn(model), ...(extra.additionalModelRequestFields ? { additionalModelRequestFields: extra.additionalModelRequestFields } : {}) },
      },
    },
    ...(extra.nextToken !== undefined ? { nextToken: extra.nextToken } : {}),
  });

  /** A signed `POST /rerank`; its JSON answer and status. */
  async function rerank(json: unknown, options: { secretAccessKey?: string; service?: string } = {}) {
    const url = new URL(`${fake.url}/rerank`);
    const text = JSON.stringify(json);
    const signer = new SignatureV4({
      service: options.service ?? 'bedrock',
      region: REGION,
      credentials: { ...CREDENTIALS, ...(options.secretAccessKey ? { secretAccessKey: options.secretAccessKey } : {}) },
      sha256: NodeSha256,
      applyChecksum: true,
    });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: { host: url.host, 'content-type': 'application/json' }, body: text });
    const { host: _host, ...headers } = signed.headers;
    const res = await fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(5_000) });
    return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), json: (await res.json()) as { results?: { index: number; relevanceScore: number }[]; nextToken?: string; message?: string } };
  }

  beforeAll(async () => {
    fake = await startFakeBedrock({ ...CREDENTIALS, region: REGION });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.close();
  });

  it.each(['cohere.rerank-v3-5:0', 'amazon.rerank-v1:0'])('answers %s with the numberOfResults best scores, best first, after checking the signature', async (model) => {
    // Act
    const out = await rerank(body(model, documents, { numberOfResults: 2 }));

    // Assess
    expect(out.status).toBe(200);
    expect(out.json).toEqual({ results: rankDocuments('capital of France', documents, 2).map((r) => ({ index: r.index, relevanceScore: r.relevance_score })) });
    expect(out.json.results!.map((r) => r.index)).toEqual([1, 2]);
    expect(fake.requests[0]).toMatchObject({ path: '/rerank', operation: 'rerank', modelId: model, signatureValid: true });
  });

  it("takes Cohere's max_tokens_per_doc in additionalModelRequestFields", async () => {
    const out = await rerank(body('cohere.rerank-v3-5:0', documents, { additionalModelRequestFields: { max_tokens_per_doc: 512 } }));

    expect(out.status).toBe(200);
    expect(out.json.results).toHaveLength(3);
  });

  it('pages an answer when told to, each page continued by its nextToken', async () => {
    // Prepare
    fake.reply({ kind: 'rerank', pageSize: 2 });

    // Act
    const first = await rerank(body('amazon.rerank-v1:0', documents));
    const second = await rerank(body('amazon.rerank-v1:0', documents, { nextToken: first.json.nextToken! }));

    // Assess
    const all = rankDocuments('capital of France', documents).map((r) => ({ index: r.index, relevanceScore: r.relevance_score }));
    expect(first.json).toEqual({ results: all.slice(0, 2), nextToken: expect.any(String) });
    expect(second.json).toEqual({ results: all.slice(2) });
  });

  it.each<{ name: string; json: unknown; message: RegExp }>([
    { name: 'two queries', json: { ...body('amazon.rerank-v1:0', ['a']), queries: [1, 2].map(() => ({ type: 'TEXT', textQuery: { text: 'q' } })) }, message: /at 'queries' failed to satisfy constraint/ },
    { name: 'no sources', json: body('amazon.rerank-v1:0', []), message: /at 'sources' failed to satisfy constraint: Member must have length between 1 and 1000/ },
    { name: 'more than 1 000 sources', json: body('amazon.rerank-v1:0', Array.from({ length: 1001 }, () => 'x')), message: /Value '1001' at 'sources'/ },
    { name: 'an empty text', json: body('amazon.rerank-v1:0', ['a', '']), message: /at 'sources.2.member.inlineDocumentSource.textDocument.text'/ },
    { name: 'a text over 32 000 characters', json: body('cohere.rerank-v3-5:0', ['x'.repeat(32_001)]), message: /Member must have length between 1 and 32000/ },
    { name: 'numberOfResults 0', json: body('amazon.rerank-v1:0', ['a'], { numberOfResults: 0 }), message: /numberOfResults' failed to satisfy constraint/ },
    { name: 'a model that does not rerank', json: body('anthropic.claude-3-5-sonnet-20240620-v1:0', ['a']), message: /not a reranking model/ },
    { name: 'max_tokens_per_doc on Amazon', json: body('amazon.rerank-v1:0', ['a'], { additionalModelRequestFields: { max_tokens_per_doc: 10 } }), message: /extraneous key \[max_tokens_per_doc\]/ },
    { name: "InvokeModel's body", json: { query: 'q', documents: ['a'], top_n: 1 }, message: /Unknown field 'query'/ },
    { name: 'a token it never gave', json: body('amazon.rerank-v1:0', ['a'], { nextToken: 'made-up' }), message: /nextToken is invalid/ },
  ])('refuses $name with a 400 ValidationException', async ({ json, message }) => {
    const out = await rerank(json);

    expect(out.status).toBe(400);
    expect(out.errorType).toMatch(/^ValidationException/);
    expect(out.json.message).toMatch(message);
  });

  it('refuses a model ARN of another Region', async () => {
    const json = body('amazon.rerank-v1:0', ['a']);
    json.rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration.modelArn = modelArn('amazon.rerank-v1:0', 'eu-central-1');

    expect(await rerank(json)).toMatchObject({ status: 400, json: { message: expect.stringMatching(/not a reranking model/) } });
  });

  it.each([
    { name: 'a wrong secret', options: { secretAccessKey: 'wrong' }, type: /^InvalidSignatureException/ },
    { name: 'another service name', options: { service: 'bedrock-agent-runtime' }, type: /^InvalidSignatureException/ },
  ])('refuses a call signed with $name with a 403', async ({ options, type }) => {
    const out = await rerank(body('amazon.rerank-v1:0', ['a']), options);

    expect(out.status).toBe(403);
    expect(out.errorType).toMatch(type);
    expect(fake.requests[0]).toMatchObject({ signatureValid: false });
  });
});
