/**
 * The Bedrock fake in the matrix, as two rigs on one fake (it checks SigV4 against the static
 * credentials given to the gateway): a Nova model the gateway reaches through Converse, and a
 * Claude model it reaches through InvokeModel with Anthropic's own body.
 */
import { startFakeBedrock, type BedrockRecordedRequest, type FakeBedrock, type Reply } from '../../fakes/bedrock';
import { anthropicStyleReply, readAnthropicBody } from './anthropic';
import { parsedIfJson } from './scenario';
import type { Meant, ProviderRig, Received } from './types';

const REGION = 'us-east-1';
const ACCESS_KEY_ID = 'AKIAMATRIXEXAMPLE';
const SECRET_ACCESS_KEY = 'matrix/secret/access/key/EXAMPLE';
const converseToolId = (index: number): string => `tooluse_MatrixBedrock0${index + 1}`;
const claudeToolSuffix = (index: number): string => `MatrixClaude0${index + 1}`;

/** Bedrock's answer: Anthropic's usage split, without cache fields when nothing was cached (as Bedrock sends it). */
function bedrockReply(meant: Meant, toolCallId: (index: number) => string): Reply {
  const reply = anthropicStyleReply(meant, toolCallId);
  const { cacheRead, cacheWrite, ...counts } = reply.usage;
  return { ...reply, usage: { ...counts, ...(cacheRead ? { cacheRead } : {}), ...(cacheWrite ? { cacheWrite } : {}) } };
}

type Block = {
  text?: string;
  image?: { format?: string; source?: { bytes?: string } };
  toolUse?: { toolUseId?: string; name?: string; input?: unknown };
  toolResult?: { toolUseId?: string; content?: { text?: string; json?: unknown }[] };
};
interface ConverseBody {
  messages?: { role?: string; content?: Block[] }[];
  toolConfig?: { tools?: { toolSpec?: { name: string; description?: string; inputSchema?: { json?: unknown } } }[] };
}

/** A Converse body as comparable facts; the model and the mode are in the path. */
export function readConverseRequest(record: BedrockRecordedRequest): Received {
  const b = record.body as ConverseBody;
  const blocks = (role: string) => (b.messages ?? []).filter((m) => m.role === role).flatMap((m) => m.content ?? []);
  const resultContent = (content: { text?: string; json?: unknown }[] = []): unknown =>
    content.length === 1 && content[0]!.json !== undefined ? content[0]!.json : parsedIfJson(content.map((c) => c.text ?? '').join(''));
  return {
    model: record.modelId,
    stream: record.operation === 'converse-stream',
    userTexts: (b.messages ?? [])
      .filter((m) => m.role === 'user')
      .map((m) => (m.content ?? []).map((c) => c.text ?? '').join(''))
      .filter((t) => t !== ''),
    assistantTexts: (b.messages ?? [])
      .filter((m) => m.role === 'assistant')
      .map((m) => (m.content ?? []).map((c) => c.text ?? '').join(''))
      .filter((t) => t !== ''),
    images: blocks('user').flatMap((c) => (c.image ? [{ mediaType: `image/${c.image.format ?? '?'}`, data: c.image.source?.bytes ?? '' }] : [])),
    tools: (b.toolConfig?.tools ?? []).flatMap((t) => (t.toolSpec ? [{ name: t.toolSpec.name, description: t.toolSpec.description, schema: t.toolSpec.inputSchema?.json }] : [])),
    toolCalls: blocks('assistant').flatMap((c) => (c.toolUse ? [{ id: c.toolUse.toolUseId, name: c.toolUse.name ?? '', args: c.toolUse.input }] : [])),
    toolResults: blocks('user').flatMap((c) => (c.toolResult ? [{ link: c.toolResult.toolUseId ?? '', content: resultContent(c.toolResult.content) }] : [])),
  };
}

function lastSigned(fake: FakeBedrock, operations: string[]): BedrockRecordedRequest {
  const r = fake.requests.at(-1);
  if (!r) throw new Error('the Bedrock fake received no request');
  if (!r.signatureValid) throw new Error('the Bedrock fake rejected the SigV4 signature');
  if (!r.operation || !operations.includes(r.operation)) throw new Error(`the Bedrock fake was called for ${r.operation ?? r.path}, expected ${operations.join(' or ')}`);
  return r;
}

export async function startBedrockRigs(): Promise<{ converse: ProviderRig; claude: ProviderRig }> {
  const fake = await startFakeBedrock({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION });
  const common = {
    providerId: 'bedrock',
    provider: {
      id: 'bedrock',
      type: 'bedrock',
      region: REGION,
      baseUrl: fake.url,
      accounts: [{ id: 'main', awsCredentials: { accessKeyId: { env: 'MATRIX_AWS_KEY_ID' }, secretAccessKey: { env: 'MATRIX_AWS_SECRET' } } }],
    },
    env: { MATRIX_AWS_KEY_ID: ACCESS_KEY_ID, MATRIX_AWS_SECRET: SECRET_ACCESS_KEY },
    reportsCacheWrites: true,
    resultLink: 'id',
    expectedToolSchema: (tool) => tool.parameters,
    reset: () => fake.reset(),
    count: () => fake.requests.length,
  } satisfies Partial<ProviderRig>;
  return {
    converse: {
      ...common,
      model: 'matrix-bedrock',
      upstreamModel: 'amazon.nova-pro-v1:0',
      toolCallId: converseToolId,
      script: (meant) => fake.reply(bedrockReply(meant, converseToolId)),
      last: () => readConverseRequest(lastSigned(fake, ['converse', 'converse-stream'])),
      close: () => fake.close(),
    },
    claude: {
      ...common,
      model: 'matrix-bedrock-claude',
      upstreamModel: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      // Bedrock renames Claude's tool ids on the way out (tooluse_… → toolu_bdrk_…).
      toolCallId: (index) => `toolu_bdrk_${claudeToolSuffix(index)}`,
      script: (meant) => fake.reply(bedrockReply(meant, (index) => `tooluse_${claudeToolSuffix(index)}`)),
      last() {
        const r = lastSigned(fake, ['invoke', 'invoke-with-response-stream']);
        return readAnthropicBody(r.body, { model: r.modelId, stream: r.operation === 'invoke-with-response-stream' });
      },
      close: async () => undefined, // The converse rig closes the shared fake.
    },
  };
}
