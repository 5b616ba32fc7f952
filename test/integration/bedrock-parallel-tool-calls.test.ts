import OpenAI from 'openai';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock';
import { startHarness, type Harness } from './harness';

/**
 * `parallel_tool_calls: false` (LangChain, the OpenAI Agents SDK and n8n send it) to Bedrock:
 * Converse has no field for it, so Claude gets Anthropic's own `disable_parallel_tool_use`
 * among the additional fields, in the shape Bedrock takes (the fake refuses the shapes it
 * refuses); another model's answer is held to its first call, as Gemini's is; without tools
 * nothing is sent, since no call can be made.
 */
const AWS = { accessKeyId: 'AKIDPARALLEL', secretAccessKey: 'secret-parallel', region: 'us-east-1' };
const CLAUDE = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

let h: Harness;
let bedrock: FakeBedrock;
let client: OpenAI;

beforeAll(async () => {
  bedrock = await startFakeBedrock(AWS);
  h = await startHarness({
    config: () => ({
      providers: [
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: bedrock.url, accounts: [{ id: 'b', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
      ],
      models: [
        { name: 'sonnet-bedrock', targets: [{ provider: 'aws', model: CLAUDE }] },
        { name: 'nova', targets: [{ provider: 'aws', model: 'amazon.nova-pro-v1:0' }] },
      ],
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey },
  });
  const created = await h.createKey({ name: 'agents', models: ['*'] });
  client = h.openai({ apiKey: created.key });
});
afterAll(async () => {
  await h.close();
  await bedrock.close();
});
beforeEach(() => bedrock.reset());

const TOOLS: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }];
const USER: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Read add.ts' }];

describe('parallel_tool_calls: false to Bedrock', () => {
  it.each<{ name: string; toolChoice?: OpenAI.ChatCompletionToolChoiceOption; sent: unknown }>([
    { name: 'with no tool_choice', sent: { type: 'auto', disable_parallel_tool_use: true } },
    { name: 'with a forced tool (structured output through a tool)', toolChoice: { type: 'function', function: { name: 'read_file' } }, sent: { disable_parallel_tool_use: true } },
  ])('reaches Claude as disable_parallel_tool_use $name, and the call comes back', async ({ toolChoice, sent }) => {
    // Prepare
    bedrock.reply({ kind: 'tool_use', calls: [{ id: 'tooluse_1', name: 'read_file', input: { path: 'add.ts' } }] });

    // Act
    const res = await client.chat.completions.create({ model: 'sonnet-bedrock', messages: USER, tools: TOOLS, parallel_tool_calls: false, ...(toolChoice ? { tool_choice: toolChoice } : {}) });

    // Assess
    expect(res.choices[0]?.message.tool_calls).toEqual([expect.objectContaining({ id: 'tooluse_1', function: { name: 'read_file', arguments: '{"path":"add.ts"}' } })]);
    expect(bedrock.requests[0]!.body).toMatchObject({ additionalModelRequestFields: { tool_choice: sent } });
  });

  it.each([false, true])('holds the answer of a model with no such switch to its first call (streamed: %s)', async (streamed) => {
    // Prepare
    bedrock.reply({
      kind: 'tool_use',
      calls: [
        { id: 'tooluse_1', name: 'read_file', input: { path: 'add.ts' } },
        { id: 'tooluse_2', name: 'read_file', input: { path: 'add.test.ts' } },
      ],
    });
    const body = { model: 'nova', messages: USER, tools: TOOLS, parallel_tool_calls: false };

    // Act
    const message = streamed
      ? (await client.chat.completions.stream({ ...body, stream: true }).finalChatCompletion()).choices[0]?.message
      : (await client.chat.completions.create(body)).choices[0]?.message;

    // Assess
    expect(message?.tool_calls).toEqual([expect.objectContaining({ id: 'tooluse_1', function: { name: 'read_file', arguments: '{"path":"add.ts"}' } })]);
    expect(bedrock.requests[0]!.body).not.toHaveProperty('additionalModelRequestFields');
  });

  it('is dropped for a request without tools, which a model with no such switch then answers', async () => {
    // Prepare
    bedrock.reply({ kind: 'text', text: 'Hi.' });

    // Act
    const res = await client.chat.completions.create({ model: 'nova', messages: USER, parallel_tool_calls: false });

    // Assess
    expect(res.choices[0]?.message.content).toBe('Hi.');
    expect(bedrock.requests[0]!.body).not.toHaveProperty('additionalModelRequestFields');
  });
});
