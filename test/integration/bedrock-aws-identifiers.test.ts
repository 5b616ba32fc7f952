import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { GatewayLogger } from '../../lib/observe/logger';
import type { FakeBedrock, Reply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame, exceptionFrame, type AnswerContent } from '../fakes/bedrock-wire';
import type { FakePool } from './fake-pool';
import { BEDROCK_CLAUDE, startBedrockPool } from './provider-pools';

/**
 * Every path by which Bedrock's words reach a client, and what they must not carry: the
 * operator's AWS account id and the names in its ARNs (a role, an inference profile). Each path
 * (an HTTP error through the Converse translation and through the Claude passthrough, an
 * exception frame in either stream, Claude's own error event inside a chunk) tells the client
 * AWS's sentence with `arn:aws:<service>:…:<type>/…` and `<account>` in their places, and the
 * request's access log line keeps the whole text as `errorDetail`. Official clients against the
 * fake Bedrock, the store on dynalite.
 */
const ACCOUNT = '444455556666';
const PROFILE = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.anthropic.claude-sonnet-4-5-ops-team`;
const SAID = `The model arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.anthropic.claude-sonnet-4-5-ops-team is not available for account ${ACCOUNT}; 2048 tokens requested.`;
const SHOWN = 'The model arn:aws:bedrock:…:inference-profile/… is not available for account <account>; 2048 tokens requested.';
const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
const ANSWER: AnswerContent = { text: 'Hello there', chunks: ['Hello ', 'there'], calls: [], stopReason: 'end_turn', usage: { input: 17, output: 9 } };

const logged: string[] = [];
const record = (level: string) => (...args: unknown[]) => void logged.push(`${level} ${JSON.stringify(args)}`);
const logger: GatewayLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };

let pool: FakePool<FakeBedrock, Reply>;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  pool = await startBedrockPool('bedrock-aws-identifiers', { logger });
  anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
  openai = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

/** The access log line of one request (written once its answer has ended). */
async function accessLine(requestId: string | null | undefined): Promise<Record<string, unknown>> {
  await pool.gw.gateway.drain();
  const line = logged.find((l) => l.includes('"request"') && l.includes(`"requestId":"${requestId}"`));
  if (!line) throw new Error(`no access log line for ${requestId}`);
  return (JSON.parse(line.slice(line.indexOf(' ') + 1)) as [string, Record<string, unknown>])[1];
}

/** Both accounts answer the same, so the client sees it whichever is asked and however often. */
function bothReply(reply: Reply): void {
  pool.fakes.one.reply(reply);
  pool.fakes.two.reply(reply);
}

const chat = { model: BEDROCK_CLAUDE, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const message = { model: BEDROCK_CLAUDE, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };

/** An Anthropic stream read by the official client to its error: the error's message and the request id. */
async function anthropicStreamError(): Promise<{ said: string; requestId: string | null }> {
  const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
  const err = await (async () => {
    for await (const _ of stream);
  })().catch((e: unknown) => e);
  if (!(err instanceof Anthropic.APIError)) throw new Error(`the stream ended without an API error: ${String(err)}`);
  return { said: (err.error as { error: { message: string } }).error.message, requestId: response.headers.get('x-request-id') };
}

describe("Bedrock's words reach the client without the operator's AWS account", () => {
  it('an HTTP error through the Converse translation (OpenAI client)', async () => {
    // Prepare
    bothReply({ kind: 'error', type: 'ValidationException', message: SAID });

    // Act
    const err = (await openai.chat.completions.create(chat).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ message: SHOWN });
    expect(JSON.stringify(err.error)).not.toContain(ACCOUNT);
    expect(await accessLine(err.headers?.get('x-request-id'))).toMatchObject({ status: 400, errorDetail: SAID });
  });

  it('an HTTP error through the Claude passthrough (Anthropic client)', async () => {
    // Prepare
    bothReply({ kind: 'error', type: 'ValidationException', message: SAID });

    // Act
    const err = (await anthropic.messages.create(message).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: SHOWN } });
    expect(await accessLine(err.headers?.get('x-request-id'))).toMatchObject({ status: 400, errorDetail: SAID });
  });

  it('an exception frame in a ConverseStream after its answer started (OpenAI client)', async () => {
    // Prepare: messageStart and a first delta, then the exception.
    const opening = converseStreamEvents(ANSWER)
      .slice(0, 2)
      .map((e) => eventFrame(e.type, e.payload));
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [...opening, exceptionFrame('modelStreamErrorException', SAID)] });

    // Act
    const { data: stream, response } = await openai.chat.completions.create({ ...chat, stream: true }).withResponse();
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain(SHOWN);
    expect((err as Error).message).not.toContain(ACCOUNT);
    expect(await accessLine(response.headers.get('x-request-id'))).toMatchObject({ status: 200, errorDetail: SAID });
  });

  it('an exception frame in a Claude stream after its answer started (Anthropic client)', async () => {
    // Prepare: message_start, content_block_start, a first delta, then the exception.
    const opening = anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').slice(0, 3).map(chunkFrame);
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [...opening, exceptionFrame('modelStreamErrorException', SAID)] });

    // Act
    const { said, requestId } = await anthropicStreamError();

    // Assess
    expect(said).toBe(SHOWN);
    expect(await accessLine(requestId)).toMatchObject({ status: 200, errorDetail: SAID });
  });

  it.each([
    ['rate_limit_error', `Too many tokens for ${PROFILE}, please wait before trying again.`, 'Too many tokens for arn:aws:bedrock:…:inference-profile/…, please wait before trying again.'],
    ['overloaded_error', `Overloaded in account ${ACCOUNT}.`, 'Overloaded in account <account>.'],
  ])("Claude's own %s event inside a chunk (Anthropic client)", async (type, words, shown) => {
    // Prepare
    const opening = anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').slice(0, 3).map(chunkFrame);
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [...opening, chunkFrame({ type: 'error', error: { type, message: words } })] });

    // Act
    const { said, requestId } = await anthropicStreamError();

    // Assess
    expect(said).toBe(shown);
    expect(await accessLine(requestId)).toMatchObject({ status: 200, errorCode: type, errorDetail: words });
  });

  it("Claude's error event naming both the organisation and the AWS account: both cleaned, the log keeps the whole", async () => {
    // Prepare
    const words = `Rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) on ${PROFILE} exceeded.`;
    const opening = anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').slice(0, 3).map(chunkFrame);
    pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: [...opening, chunkFrame({ type: 'error', error: { type: 'rate_limit_error', message: words } })] });

    // Act
    const { said, requestId } = await anthropicStreamError();

    // Assess
    expect(said).toBe('Rate limit for your organization (the provider account) on arn:aws:bedrock:…:inference-profile/… exceeded.');
    expect(await accessLine(requestId)).toMatchObject({ errorDetail: words });
  });

  it('an exception frame before the answer on every account becomes the HTTP error, cleaned alike (Anthropic client)', async () => {
    // Prepare
    bothReply({ kind: 'exception', type: 'throttlingException', afterEvents: 1, message: SAID });

    // Act
    const err = (await anthropic.messages.create({ ...message, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;

    // Assess
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: SHOWN } });
    expect(await accessLine(err.headers?.get('x-request-id'))).toMatchObject({ status: 429, errorDetail: SAID });
  });
});
