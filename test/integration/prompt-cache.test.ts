import OpenAI from 'openai';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock';
import { startHarness, eventually, type Harness } from './harness';

/**
 * OpenAI clients (Cursor, Cline, Continue, Aider) never mark prompt-cache breakpoints: OpenAI
 * caches by itself. Translated to Claude, the gateway marks them (`promptCache: auto`), so an
 * agent loop's history is read from the cache; the client's own marks, and `off`, are respected.
 */
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const AWS = { accessKeyId: 'AKIDPROMPTCACHE', secretAccessKey: 'secret-cache', region: 'us-east-1' };

let h: Harness;
let claude: FakeAnthropic;
let bedrock: FakeBedrock;
let client: OpenAI;
let keyId: string;

beforeAll(async () => {
  claude = await startFakeAnthropic();
  bedrock = await startFakeBedrock(AWS);
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [
        { id: 'oai', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: claude.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: bedrock.url, accounts: [{ id: 'b', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
      ],
      models: [
        { name: 'sonnet', price: PRICE, targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] },
        { name: 'sonnet-uncached', promptCache: 'off', targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] },
        { name: 'sonnet-bedrock', targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
        { name: 'nova', targets: [{ provider: 'aws', model: 'amazon.nova-pro-v1:0' }] },
        { name: 'gpt', targets: [{ provider: 'oai', model: 'gpt-4o' }] },
      ],
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey },
  });
  const created = await h.createKey({ name: 'cursor', models: ['*'] });
  keyId = created.id;
  client = h.openai({ apiKey: created.key });
});
afterAll(async () => {
  await h.close();
  await claude.close();
  await bedrock.close();
});
beforeEach(() => {
  claude.reset();
  bedrock.reset();
  h.upstream.reset();
});

const TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } },
  { type: 'function', function: { name: 'edit_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } },
];

/** An agent loop's third request, as Cursor or Cline sends it in OpenAI's shape. */
const AGENT_TURN: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a coding agent working in the user’s repository.' },
  { role: 'user', content: 'Fix the failing test in add.ts' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"add.ts"}' } }] },
  { role: 'tool', tool_call_id: 'call_1', content: 'export const add = (a, b) => a - b;' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'edit_file', arguments: '{"path":"add.ts"}' } }] },
  { role: 'tool', tool_call_id: 'call_2', content: 'edited' },
];

type Block = { type: string; cache_control?: unknown };
type AnthropicBody = { system?: Block[]; tools?: { name: string; cache_control?: unknown }[]; messages: { role: string; content: Block[] }[] };

/** Where an Anthropic body carries breakpoints: `tools[i]`, `system[i]`, `messages[i][j]`. */
function marks(body: AnthropicBody): string[] {
  const out: string[] = [];
  body.tools?.forEach((t, i) => t.cache_control && out.push(`tools[${i}]`));
  body.system?.forEach((b, i) => b.cache_control && out.push(`system[${i}]`));
  body.messages.forEach((m, i) => (Array.isArray(m.content) ? m.content : []).forEach((b, j) => b.cache_control && out.push(`messages[${i}][${j}]`)));
  return out;
}

describe('prompt-cache breakpoints for OpenAI clients on Claude', () => {
  it('marks the tools, the system prompt, the last turn and the user turn before it (Anthropic’s four)', async () => {
    // Act
    await client.chat.completions.create({ model: 'sonnet', messages: AGENT_TURN, tools: TOOLS });

    // Assess: messages are user, assistant, user (tool result), assistant, user (tool result).
    const body = claude.requests[0]!.body as AnthropicBody;
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(marks(body)).toEqual(['tools[1]', 'system[0]', 'messages[2][0]', 'messages[4][0]']);
    expect(body.messages[4]!.content[0]).toMatchObject({ type: 'tool_result', cache_control: { type: 'ephemeral' } });
  });

  it('reports the cache read back as cached_tokens, and records and prices it at the cache prices', async () => {
    claude.reply({ kind: 'text', text: 'Done.', usage: { input: 120, output: 3, cacheRead: 4000, cacheWrite: 150 } });

    const res = await client.chat.completions.create({ model: 'sonnet', messages: AGENT_TURN, tools: TOOLS });

    expect(res.usage).toMatchObject({ prompt_tokens: 4270, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4000 } });
    await eventually(async () => {
      const record = (await h.usage(keyId)).find((u) => u.cacheReadTokens === 4000);
      expect(record).toMatchObject({ inputTokens: 4270, cacheWriteTokens: 150, costMicros: Math.ceil(120 * PRICE.input + 4000 * PRICE.cacheRead + 150 * PRICE.cacheWrite + 3 * PRICE.output) });
    });
  });

  it('streams with the same marks', async () => {
    const stream = await client.chat.completions.create({ model: 'sonnet', messages: AGENT_TURN, tools: TOOLS, stream: true });
    for await (const _chunk of stream);

    expect(marks(claude.requests[0]!.body as AnthropicBody)).toHaveLength(4);
  });

  it('keeps a client’s own marks (OpenRouter-style cache_control on a content part), and only them', async () => {
    const messages = [
      { role: 'system', content: [{ type: 'text', text: 'Long rules', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: 'hi' },
    ] as unknown as OpenAI.ChatCompletionMessageParam[];

    await client.chat.completions.create({ model: 'sonnet', messages });

    expect(marks(claude.requests[0]!.body as AnthropicBody)).toEqual(['system[0]']);
  });

  it('marks nothing for a model whose config says promptCache: off', async () => {
    await client.chat.completions.create({ model: 'sonnet-uncached', messages: AGENT_TURN, tools: TOOLS });

    expect(marks(claude.requests[0]!.body as AnthropicBody)).toEqual([]);
  });
});

describe('prompt-cache breakpoints on Bedrock', () => {
  // Bedrock's prompt-caching table: Claude takes cache points in system, messages and tools; Nova in system and messages only.
  it.each([
    { model: 'sonnet-bedrock', points: 4, toolsCached: true },
    { model: 'nova', points: 3, toolsCached: false },
  ])('puts cache points into the Converse request where the model takes them ($model)', async ({ model, points, toolsCached }) => {
    await client.chat.completions.create({ model, messages: AGENT_TURN, tools: TOOLS });

    const sent = bedrock.requests[0]!;
    expect(sent.operation).toBe('converse');
    const body = sent.body as { system: object[]; toolConfig: { tools: object[] } };
    expect(JSON.stringify(body).match(/"cachePoint"/g)).toHaveLength(points);
    expect(body.system.at(-1)).toEqual({ cachePoint: { type: 'default' } });
    expect(body.toolConfig.tools.some((t) => 'cachePoint' in t)).toBe(toolsCached);
  });
});

describe('prompt-cache breakpoints elsewhere', () => {
  it('sends an OpenAI target the client’s body untouched (OpenAI caches by itself)', async () => {
    await client.chat.completions.create({ model: 'gpt', messages: AGENT_TURN, tools: TOOLS });

    expect(JSON.stringify(h.upstream.requests[0]!.body)).not.toContain('cache_control');
  });
});
