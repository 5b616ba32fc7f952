import { chunkFrame } from '../../test/fakes/bedrock-wire';
import type { ProviderRegistry } from '../providers/registry';
import type { Attempt } from '../routing/attempts';
import { passthroughFor, type Relay } from './passthrough';

const registry = { bedrockCredentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) } as unknown as ProviderRegistry;
const attempt = (type: string, model: string) => ({ provider: { id: 'aws-east', type }, account: { id: 'a', weight: 1 }, model }) as unknown as Attempt;
const ANTHROPIC = passthroughFor('anthropic', attempt('anthropic', 'claude-sonnet-4-5'), registry)!;
const BEDROCK = passthroughFor('anthropic', attempt('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'), registry)!;

const START = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 5, output_tokens: 1 } } };

async function* pieces(list: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* list;
}

/** The relay read to its end, and what it found. */
async function drained(relay: Relay) {
  for await (const _ of relay.body);
  const { failure, usage } = relay.findings();
  return { message: failure?.message, kind: failure?.kind, code: failure?.code, detail: failure?.detail, usage };
}

describe('the Bedrock Claude relay', () => {
  it.each([
    { name: 'the gateway’s key refused', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    { name: 'a model the organisation may not use', error: { type: 'permission_error', message: 'Your organization d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7 cannot use this model.' } },
    { name: 'a rate limit naming the organisation', error: { type: 'rate_limit_error', message: 'Rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) reached.' } },
    { name: 'an overload without words', error: { type: 'overloaded_error', message: '' } },
    { name: 'an error of a type Anthropic does not document', error: { type: 'mystery_error', message: 'Something.' } },
  ])('books Claude’s own error event ($name) as the Anthropic relay does, naming the provider by its config id', async ({ error }) => {
    // Prepare: the same events, as Anthropic's SSE and as Bedrock's chunks.
    const event = { type: 'error', error };
    const sse = Buffer.from(`event: message_start\ndata: ${JSON.stringify(START)}\n\nevent: error\ndata: ${JSON.stringify(event)}\n\n`);
    const options = { start: 0, clientAskedUsage: false, providerId: 'aws-east' };

    // Act
    const direct = await drained(ANTHROPIC.relay(pieces([sse]), options));
    const viaBedrock = await drained(BEDROCK.relay(pieces([chunkFrame(START), chunkFrame(event)]), options));

    // Assess
    expect(viaBedrock).toEqual(direct);
    expect(viaBedrock.message).not.toMatch(/"anthropic"/);
  });
});
