import Anthropic from '@anthropic-ai/sdk';
import type { FakeBedrock, Reply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, exceptionFrame, type AnswerContent } from '../fakes/bedrock-wire';
import type { FakePool } from './fake-pool';
import { BEDROCK_CLAUDE, startBedrockPool } from './provider-pools';

/**
 * How a Claude stream passed through from Bedrock (InvokeModelWithResponseStream) ends when it
 * fails mid-way, as the official Anthropic client reads it and as the usage record books it: the
 * gateway's words name the provider by its config id (`aws` here), and the record's `errorCode`
 * is the one the same failure gets elsewhere (before the stream, on the Anthropic passthrough,
 * through the Converse translation), not the `error.type` of the event the client was sent.
 */
let pool: FakePool<FakeBedrock, Reply>;
let anthropic: Anthropic;

beforeAll(async () => {
  pool = await startBedrockPool('bedrock-claude-stream-errors');
  anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
});
afterAll(() => pool.close());
beforeEach(() => pool.reset());

const message = { model: BEDROCK_CLAUDE, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi.' }] };
const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
const ANSWER: AnswerContent = { text: 'Hello there', chunks: ['Hello ', 'there'], calls: [], stopReason: 'end_turn', usage: { input: 17, output: 9 } };
/** The answer's first three frames: message_start (17 input tokens), content_block_start, a first delta. */
const opening = () => anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').slice(0, 3).map(chunkFrame);
const ORGANIZATION = 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7';
const ROLE = 'arn:aws:sts::444455556666:assumed-role/aigw-bedrock/session';

/** The stream read by the official client to its error, and the usage record of its request. */
async function failedStream(frames: Uint8Array[]) {
  pool.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: frames });
  const { data: stream, response } = await anthropic.messages.create({ ...message, stream: true }).withResponse();
  let text = '';
  const err = await (async () => {
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  })().catch((e: unknown) => e);
  if (!(err instanceof Anthropic.APIError)) throw new Error(`the stream ended without an API error: ${String(err)}`);
  return { text, error: err.error as { type: string; error: { type: string; message: string } }, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

describe('a Claude stream on Bedrock that fails mid-way (Anthropic client)', () => {
  it.each(['authentication_error', 'permission_error'])('books Claude’s own %s event as the gateway’s credentials refused, naming the provider by its config id', async (type) => {
    // Prepare
    const refused = chunkFrame({ type: 'error', error: { type, message: `Your organization ${ORGANIZATION} cannot use this model.` } });

    // Act
    const { text, error, record } = await failedStream([...opening(), refused]);

    // Assess
    expect(text).toBe('Hello ');
    expect(error).toEqual({ type: 'error', error: { type: 'api_error', message: `The upstream provider "aws" rejected the gateway's credentials (${type}).` } });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'upstream_auth_failed', inputTokens: 17 });
  });

  it.each(['accessDeniedException', 'expiredTokenException'])('books Bedrock’s %s as the gateway’s AWS credentials refused, naming the provider by its config id', async (type) => {
    // Act
    const { error, record } = await failedStream([...opening(), exceptionFrame(type, `User: ${ROLE} is not authorized to perform: bedrock:InvokeModelWithResponseStream`)]);

    // Assess: worded as the same refusal before the stream is.
    expect(error).toEqual({ type: 'error', error: { type: 'api_error', message: `The upstream provider "aws" rejected the gateway's AWS credentials (${type}).` } });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'upstream_auth_failed', inputTokens: 17 });
  });

  it.each([
    { exception: 'throttlingException', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    { exception: 'serviceUnavailableException', type: 'overloaded_error', code: 'service_unavailable_exception' },
    { exception: 'modelStreamErrorException', type: 'api_error', code: 'model_stream_error_exception' },
  ])('books Bedrock’s $exception mid-stream by the code it has before the stream ($code), AWS’s words kept', async ({ exception, type, code }) => {
    // Act
    const { error, record } = await failedStream([...opening(), exceptionFrame(exception, 'Too many tokens, please wait before trying again.')]);

    // Assess
    expect(error).toEqual({ type: 'error', error: { type, message: 'Too many tokens, please wait before trying again.' } });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: code, inputTokens: 17 });
  });

  it('books Claude’s own rate_limit_error by its type, the organisation kept out of the client’s words', async () => {
    // Act
    const said = `This request would exceed the rate limit for your organization (${ORGANIZATION}) of 40,000 input tokens per minute.`;
    const { error, record } = await failedStream([...opening(), chunkFrame({ type: 'error', error: { type: 'rate_limit_error', message: said } })]);

    // Assess
    expect(error.error).toEqual({ type: 'rate_limit_error', message: said.replace(ORGANIZATION, 'the provider account') });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_error', inputTokens: 17 });
  });

  it('books a stream Bedrock ends before message_stop as truncated', async () => {
    // Act
    const { error, record } = await failedStream(opening());

    // Assess
    expect(error.error).toEqual({ type: 'api_error', message: 'Bedrock ended the stream before the answer was complete.' });
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'upstream_stream_truncated', inputTokens: 17 });
  });
});
